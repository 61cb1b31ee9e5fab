"""Study (issue 22): does refitting only the model's last layer on FER2013 plus real photos separate a frown from
a calm face better than the class-prior bias does?

The network's 128 pooled features stay as trained; only the final Dense layer (7 × 129 numbers) is refitted by
weighted cross-entropy on: FER2013 Training features (both mirror views; weight 1), faces-crossdomain through
the app's crop (class-balanced, weight w), with an L2 pull toward the shipped layer (strength lam). Scored as
the app runs it (softmax per view, averaged over the mirror pair), on PublicTest and on faces-crossdomain
held out two ways: 5 folds by person, and leave-one-source-out (fit on two of cmu/london/yale, score the third:
the check that a gain is not a set's quirks). PrivateTest is not touched.

Run: `PYTHONPATH=$PWD python scripts/head_refit_study.py` (features cached in runs/cache/head_features.npz).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "runs" / "cache" / "head_features.npz"


def features(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pooled features of each picture and of its mirror: two (n, 128) arrays."""
    import keras

    pooled = keras.Model(model.inputs, model.get_layer("global_average_pooling2d").output)
    x = x.astype(np.float32)
    return (pooled.predict(x, batch_size=256, verbose=0),
            pooled.predict(x[:, :, ::-1], batch_size=256, verbose=0))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def app_probs(W: np.ndarray, b: np.ndarray, f: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return (softmax(f[0] @ W + b) + softmax(f[1] @ W + b)) / 2.0


def fit_head(groups, W0: np.ndarray, b0: np.ndarray, lam: float, steps: int = 400, lr: float = 0.05):
    """Adam on the weighted cross-entropy of both mirror views, plus lam·|W − W0|² (b is free)."""
    X = np.concatenate([np.concatenate(g[0]) for g in groups])
    Y = np.concatenate([np.concatenate([g[1], g[1]]) for g in groups])
    w = np.concatenate([np.concatenate([g[2], g[2]]) / 2.0 for g in groups])
    w = w / w.sum()
    onehot = np.eye(7)[Y]
    W, b = W0.copy(), b0.copy()
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    for t in range(1, steps + 1):
        p = softmax(X @ W + b)
        g = w[:, None] * (p - onehot)
        grads = [X.T @ g + 2 * lam * (W - W0), g.sum(0)]
        for i, (param, grad) in enumerate(zip((W, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * grad
            v[i] = 0.999 * v[i] + 0.001 * grad * grad
            param -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return W, b


def balanced(y: np.ndarray, weight: float) -> np.ndarray:
    counts = np.bincount(y, minlength=7).astype(float)
    w = 1.0 / counts[y]
    return weight * w / w.sum()


def main(argv: list[str] | None = None) -> int:
    import keras

    from benchmarks.crossdomain import score
    from benchmarks.detection_set import fer_dir
    from emotune.core.emotions import EMOTIONS
    from emotune.training.data import load_fer
    from emotune.training.logit_bias import person_folds
    from scripts.distill_report import crossdomain_crops

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default="0,0.25,0.5,1,2")
    p.add_argument("--lams", default="0.01,0.001")
    args = p.parse_args(argv)

    model = keras.saving.load_model(ROOT / "models" / "emotion_cnn.keras", compile=False)
    W0, b0 = (np.asarray(a, np.float64) for a in model.get_layer("probs").get_weights())
    size = model.input_shape[1]
    card = json.loads((ROOT / "models" / "emotion_cnn.json").read_text())
    crops, found, photos = crossdomain_crops(float(card["margin"]), size)
    if CACHE.is_file():
        with np.load(CACHE) as z:
            ftr, fval, fx = (z["tr0"], z["tr1"]), (z["va0"], z["va1"]), (z["cx0"], z["cx1"])
            ytr, yval = z["ytr"], z["yval"]
    else:
        fer = load_fer(fer_dir(), size)
        ftr, fval, fx = features(model, fer.train.x), features(model, fer.val.x), features(model, crops)
        ytr, yval = fer.train.y, fer.val.y
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, tr0=ftr[0], tr1=ftr[1], va0=fval[0], va1=fval[1], cx0=fx[0], cx1=fx[1], ytr=ytr, yval=yval)
    ftr = tuple(a.astype(np.float64) for a in ftr)
    fval = tuple(a.astype(np.float64) for a in fval)
    fx = tuple(a.astype(np.float64) for a in fx)
    labels = [ph.label for ph in photos]
    y_cross = np.array([EMOTIONS.index(lab) for lab in labels])
    folds = person_folds([ph.person for ph in photos])
    sources = np.array([ph.set for ph in photos])

    def cross_pred(W, b, mask):
        pred = np.full(len(photos), -1)
        sel = mask & found
        pred[sel] = app_probs(W, b, (fx[0][sel], fx[1][sel])).argmax(1)
        return pred

    def fit(mask, weight, lam):
        sel = mask & found
        groups = [(ftr, ytr, np.full(len(ytr), 1.0 / len(ytr)))]
        if weight > 0:
            groups.append(((fx[0][sel], fx[1][sel]), y_cross[sel], balanced(y_cross[sel], weight)))
        return fit_head(groups, W0, b0, lam)

    base_pub = (app_probs(W0, b0, fval).argmax(1) == yval).mean()
    base = score(labels, cross_pred(W0, b0, np.ones(len(photos), bool)))
    print(f"shipped layer: PublicTest flip {base_pub:.2%}, cross {base.accuracy:.3f}, "
          f"non-neutral→neutral {base.neutral_false_alarm:.1%}, neutral recall {base.neutral_recall:.3f}")
    print(f"sources: {sorted(set(sources))}")
    print(f"{'w':>5}{'lam':>7}{'PublicTest':>11}{'cross 5f':>9}{'FA':>7}{'nrec':>6}{'LOSO acc':>9}{'FA':>7}{'nrec':>6}"
          "  recall angry/happy/sad/surprise/neutral (5-fold)")
    for weight in (float(s) for s in args.weights.split(",")):
        for lam in (float(s) for s in args.lams.split(",")):
            W, b = fit(np.ones(len(photos), bool), weight, lam)
            pub = (app_probs(W, b, fval).argmax(1) == yval).mean()
            cv = np.full(len(photos), -1)
            for k in range(folds.max() + 1):
                held = folds == k
                cv[held] = cross_pred(*fit(~held, weight, lam), held)[held]
            lo = np.full(len(photos), -1)
            for s in sorted(set(sources)):
                held = sources == s
                lo[held] = cross_pred(*fit(~held, weight, lam), held)[held]
            a, c = score(labels, cv), score(labels, lo)
            rec = "/".join(f"{a.recall[k]:.2f}" for k in ("angry", "happy", "sad", "surprise", "neutral"))
            print(f"{weight:>5}{lam:>7}{pub:>11.2%}{a.accuracy:>9.3f}{a.neutral_false_alarm:>7.1%}"
                  f"{a.neutral_recall:>6.2f}{c.accuracy:>9.3f}{c.neutral_false_alarm:>7.1%}{c.neutral_recall:>6.2f}"
                  f"  {rec}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

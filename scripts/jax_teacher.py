"""The GPU side of scripts/gpu_teacher.py: the webcam augmentation and one training step in JAX, compiled
together, for a Keras model run through `stateless_call` (Keras's documented JAX training loop), and the loop
over one seed's epochs. Needs KERAS_BACKEND=jax."""
from __future__ import annotations

import json
import math
import time
from typing import Callable

import numpy as np


def make_augment(aug, size: int):
    """A compiled-friendly version of emotune.training.augment's webcam jitter for a float batch (n, s, s, 1)
    in 0-255: mirror, then zoom, roll and shift about the centre (edges mirrored, as cv2's BORDER_REFLECT_101),
    a Gaussian blur on some faces, gamma, contrast and brightness, noise, and an erased patch. Returns the batch
    and which faces it mirrored (a soft target must be the mirror image's). The domain augmentation (JPEG,
    unsharp mask) has no GPU form and is refused."""
    import jax
    import jax.numpy as jnp
    from jax.scipy.ndimage import map_coordinates

    if aug.sharpen_p or aug.lowres_p or aug.jpeg_p or aug.stretch_p:
        raise SystemExit("the domain augmentation runs only on the CPU trainer")
    c = (size - 1) / 2.0
    yy, xx = jnp.meshgrid(jnp.arange(size, dtype=jnp.float32), jnp.arange(size, dtype=jnp.float32), indexing="ij")
    taps = jnp.arange(-3, 4, dtype=jnp.float32)

    def blur(img, sigma):
        k = jnp.exp(-0.5 * (taps / sigma) ** 2)
        k = k / k.sum()
        p = jnp.pad(img, 3, mode="reflect")
        h = sum(k[i] * p[:, i:i + size] for i in range(7))
        return sum(k[i] * h[i:i + size, :] for i in range(7))

    def one(key, img):
        k = jax.random.split(key, 13)
        u = lambda i, lo, hi, shape=(): jax.random.uniform(k[i], shape, minval=lo, maxval=hi)  # noqa: E731
        zoom, angle = u(0, 1 - aug.scale, 1 + aug.scale), jnp.deg2rad(u(1, -aug.rotate, aug.rotate))
        shift = u(2, -aug.shift, aug.shift, (2,)) * size
        dx, dy = xx - c - shift[0], yy - c - shift[1]
        cos, sin = jnp.cos(angle), jnp.sin(angle)     # the inverse of cv2.getRotationMatrix2D's map
        sx = (cos * dx - sin * dy) / zoom + c
        sy = (sin * dx + cos * dy) / zoom + c
        mirrored = jax.random.bernoulli(k[3]) if aug.flip else jnp.zeros((), bool)
        sx = jnp.where(mirrored, size - 1 - sx, sx)
        out = map_coordinates(img[:, :, 0], [sy, sx], order=1, mode="mirror")
        out = jnp.where(jax.random.bernoulli(k[4], aug.blur_p), blur(out, u(5, 0.5, 1.2)), out)
        f = jnp.clip(out / 255.0, 0.0, 1.0)
        g = math.log1p(aug.gamma)
        f = f ** jnp.exp(u(6, -g, g))
        mean = f.mean()
        f = (f - mean) * u(7, 1 - aug.contrast, 1 + aug.contrast) + mean + u(8, -aug.brightness, aug.brightness)
        f = f + jnp.where(jax.random.bernoulli(k[9], aug.noise_p), 0.03, 0.0) * jax.random.normal(k[10], f.shape)
        hw = jax.random.randint(k[11], (2,), size // 6, size // 3)
        y0x0 = (jax.random.uniform(k[12], (2,)) * (size - hw)).astype(jnp.int32)
        inside = (yy >= y0x0[0]) & (yy < y0x0[0] + hw[0]) & (xx >= y0x0[1]) & (xx < y0x0[1] + hw[1])
        erase = jax.random.bernoulli(jax.random.fold_in(key, 1), aug.erase_p)
        f = jnp.where(erase & inside, jax.random.uniform(jax.random.fold_in(key, 2)), f)
        return (jnp.clip(f, 0.0, 1.0) * 255.0)[:, :, None], mirrored

    batch = jax.vmap(one)
    return lambda key, x: batch(jax.random.split(key, x.shape[0]), x)


class Teacher:
    """One compiled training step and one compiled prediction for a Keras model of the recipe's architecture;
    every seed reuses them with its own variables (a new seed costs no new compilation). A step's targets are
    (n, 2, 7): each face's and its mirror image's (the one-hot label twice, or a teacher's soft predictions).
    With `live` (`live_teacher`'s function) the teacher reads the augmented picture itself instead, inside the
    step (consistent teaching, emotune/training/live_teacher.py): the target is `live_weight · live(variables,
    picture) + (1 − live_weight) · targets[:, 0]`, the variables handed to each step as `live_vars`."""

    def __init__(self, cfg, steps_per_epoch: int, live=None, live_weight: float = 0.6) -> None:
        import jax
        import jax.numpy as jnp
        import keras

        from emotune.training.models import build_model

        self.cfg, self.steps_per_epoch = cfg, steps_per_epoch
        self.model = build_model(cfg.arch, cfg.input_size, cfg.dropout)
        loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing)
        augment = make_augment(cfg.augment, cfg.input_size)
        model, wd, decay = self.model, cfg.weight_decay, cfg.ema_decay
        warm = float(steps_per_epoch * cfg.warmup_epochs)

        def lr_at(step, total):   # keras CosineDecay with linear warm-up from a tenth, down to 1 % of the peak
            peak = cfg.learning_rate
            rising = peak * (0.1 + 0.9 * step / max(warm, 1.0))
            t = jnp.clip((step - warm) / jnp.maximum(total - warm, 1.0), 0.0, 1.0)
            falling = peak * (0.01 + 0.99 * 0.5 * (1 + jnp.cos(jnp.pi * t)))
            return jnp.where(step < warm, rising, falling)

        def loss(tv, ntv, x, y):
            pred, ntv = model.stateless_call(tv, ntv, x, training=True)
            return loss_fn(y, pred), (pred, ntv)

        grad = jax.value_and_grad(loss, has_aux=True)

        def step(state, x, targets, key, total, live_vars=None):
            tv, ntv, mom, avg, n = state
            seen, mirrored = augment(key, x)
            if live is None:
                y = jnp.where(mirrored[:, None], targets[:, 1], targets[:, 0])
            else:
                y = live_weight * jax.lax.stop_gradient(live(live_vars, seen)) + (1 - live_weight) * targets[:, 0]
            (value, (pred, ntv)), g = grad(tv, ntv, seen, y)
            lr = lr_at(n.astype(jnp.float32), total)
            new_tv, new_mom = [], []
            for w, gw, m in zip(tv, g, mom):   # keras SGD(nesterov=True, weight_decay=wd), decoupled decay
                w = w - lr * wd * w
                m = 0.9 * m - lr * gw
                new_tv.append(w + 0.9 * m - lr * gw)
                new_mom.append(m)
            # the random generator's state (uint32, for dropout) is carried, not averaged: averaging would turn it
            # into floats, and the changed type would compile the step a second time
            avg = [decay * a + (1 - decay) * v if jnp.issubdtype(v.dtype, jnp.floating) else v
                   for a, v in zip(avg, new_tv + list(ntv))]
            right = jnp.mean(jnp.argmax(pred, -1) == jnp.argmax(y, -1))
            return (new_tv, list(ntv), new_mom, avg, n + 1), value, right

        self.step = jax.jit(step, donate_argnums=0)
        self.predict = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=False)[0])

    def initial_state(self, seed: int):
        import jax.numpy as jnp
        import keras

        from emotune.training.models import build_model

        keras.utils.set_random_seed(seed)
        fresh = build_model(self.cfg.arch, self.cfg.input_size, self.cfg.dropout)
        tv, ntv = model_variables(fresh)
        average = [jnp.array(v, copy=True) for v in tv + ntv]   # its own buffers: the step donates the state
        return tv, ntv, [jnp.zeros_like(v) for v in tv], average, jnp.zeros((), jnp.int32)

    def probs(self, tv, ntv, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """(n, 2, 7): the softmax for each face and for its mirror image."""
        import jax.numpy as jnp

        out = np.zeros((len(x), 2, 7), np.float32)
        for lo in range(0, len(x), batch):
            part = jnp.asarray(x[lo:lo + batch], jnp.float32)
            out[lo:lo + batch, 0] = np.asarray(self.predict(tv, ntv, part), np.float32)
            out[lo:lo + batch, 1] = np.asarray(self.predict(tv, ntv, part[:, :, ::-1]), np.float32)
        return out

    def weights(self, tv, ntv) -> list[np.ndarray]:
        """The variables in `get_weights()` order (what emotune.training.trainer's weight files hold)."""
        for var, value in zip(self.model.trainable_variables, tv):
            var.assign(value)
        for var, value in zip(self.model.non_trainable_variables, ntv):
            var.assign(value)
        return self.model.get_weights()


def live_teacher(models: list) -> Callable:
    """The mean probability of Keras `models` (the seeds' net, the shipped model) for a batch: `live_vars` is one
    (trainable, non-trainable) pair of variables per model, in the same order."""
    import jax.numpy as jnp

    def predict(live_vars, x):
        return jnp.mean(jnp.stack([model.stateless_call(tv, ntv, x, training=False)[0].astype(jnp.float32)
                                   for model, (tv, ntv) in zip(models, live_vars)]), axis=0)

    return predict


def model_variables(model) -> tuple[list, list]:
    """A Keras model's (trainable, non-trainable) values as JAX arrays, the pair `stateless_call` takes."""
    import jax.numpy as jnp

    return ([jnp.asarray(v.value) for v in model.trainable_variables],
            [jnp.asarray(v.value) for v in model.non_trainable_variables])


def train_seed(teacher: Teacher, data, seed: int, deadline: float, max_epochs: int, log,
               targets: np.ndarray | None = None, live_vars=None) -> tuple:
    """One seed within `deadline`: returns (last, average) as (tv, ntv) pairs and the per-epoch history.
    `targets` (n, 2, 7) for each training face and its mirror, such as a teacher's soft predictions mixed with
    the labels; by default the one-hot labels. `live_vars`: the live teacher's variables (`Teacher(live=...)`)."""
    import jax
    import jax.numpy as jnp

    cfg, spe, bs = teacher.cfg, teacher.steps_per_epoch, teacher.cfg.batch_size
    x = jnp.asarray(data.train.x, jnp.float32)
    if targets is None:
        targets = np.repeat(np.eye(7, dtype=np.float32)[data.train.y][:, None], 2, axis=1)
    y = jnp.asarray(targets, jnp.float32)
    state = teacher.initial_state(seed)
    key = jax.random.PRNGKey(seed)
    total_epochs, history = max_epochs, []
    epoch = 0
    while epoch < total_epochs:
        t0 = time.time()
        key, perm_key = jax.random.split(key)
        order = jax.random.permutation(perm_key, len(data.train.y))
        losses, rights = [], []
        for b in range(spe):
            idx = order[b * bs:(b + 1) * bs]
            key, step_key = jax.random.split(key)
            state, value, right = teacher.step(state, x[idx], y[idx], step_key, float(total_epochs * spe),
                                               live_vars)
            losses.append(value)
            rights.append(right)
        row = {"epoch": epoch + 1, "loss": float(jnp.mean(jnp.stack(losses))),
               "accuracy": float(jnp.mean(jnp.stack(rights)))}
        tv, ntv, _, avg, _ = state
        n_tv = len(tv)
        for name, (a, b) in (("val", (tv, ntv)), ("ema_val", (avg[:n_tv], avg[n_tv:]))):
            p = teacher.probs(a, b, data.val.x)
            row[f"{name}_accuracy"] = float((p[:, 0].argmax(1) == data.val.y).mean())
            row[f"{name}_accuracy_tta"] = float((p.mean(1).argmax(1) == data.val.y).mean())
        row["seconds"] = round(time.time() - t0, 1)
        history.append(row)
        epoch += 1
        if epoch == cfg.warmup_epochs:     # fit the cosine to the time left (gpu_campaign.py's rule)
            fits = math.floor((deadline - time.time()) / (row["seconds"] * 1.05))
            total_epochs = max(epoch + 1, min(max_epochs, epoch + fits))
            log(f"seed {seed}: {row['seconds']:.1f} s an epoch, {total_epochs} epochs in all")
        log(f"seed {seed}: {json.dumps(row)}")
    tv, ntv, _, avg, _ = state
    return (tv, ntv), (avg[:len(tv)], avg[len(tv):]), history

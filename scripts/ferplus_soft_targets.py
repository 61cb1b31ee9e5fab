"""FER+ relabels as soft targets (issue 22, item 3): for every FER2013 Training picture, the share of FER+'s
10 annotators' votes that went to each of our 7 emotions, written in teacher_soft.npz's format
(models/distill/ferplus_soft.npz, float16 (n, 2, 7) in `load_fer(...).train` order, [:, 1] the mirror image,
which got the same votes) with ferplus_soft.json beside it, so the trainer takes it with `--soft-targets`.

Why a pixel join: github:microsoft/FERPlus (MIT) gives vote counts per FER+ image name, but our FER2013 folders
use random ids. github:tessav/crowd-emotion holds the FER+ images under those names, so each of our pictures is
paired with the FER+ image of nearest grey levels (our JPEGs differ from the lossless PNGs by ~2 grey levels
RMSE; any other picture is ~10x further). A picture without a match, or whose votes all went to contempt,
unknown or "not a face", keeps its FER2013 one-hot row.

Contempt, unknown and NF votes are dropped (emotune/training/ferplus.py says why); the script prints FER2013's
labels of the contempt-majority faces to show where contempt would otherwise have gone.

Run from the repository root (a few minutes; both repositories as bare git dirs, e.g. from the `fetch` tool):
`PYTHONPATH=$PWD python scripts/ferplus_soft_targets.py --ferplus-git DIR --images-git DIR`
Neither the FER+ images nor the CSV are written anywhere: only the derived npz and json.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT_DIR = ROOT / "models" / "distill"
MIRROR = Path("/work/.mirror")
MATCH_RMSE = 8.0  # grey levels: pairs sit at ~2, the next nearest picture at ~20 and beyond
CANDIDATES = 5  # nearest by a 16-px thumbnail, then compared at full size


@dataclass(frozen=True)
class Match:
    """For each of our pictures: the FER+ image rows (indices into the FER+ image list) of equal pixels, the
    best full-size RMSE and the runner-up's (the nearest picture that is not a copy)."""

    rows: list[list[int]]
    rmse: np.ndarray
    runner_up: np.ndarray


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def read_blobs(repo: Path, paths: list[str]) -> list[bytes]:
    """The contents of `paths` at HEAD of a bare git dir, through one `git cat-file --batch`."""
    request = "".join(f"HEAD:{p}\n" for p in paths).encode()
    out = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input=request, check=True,
                         capture_output=True).stdout
    blobs, pos = [], 0
    for _ in paths:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        blobs.append(out[header_end + 1: header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return blobs


@dataclass(frozen=True)
class FerPlusRow:
    """One row of fer2013new.csv: its 0-based index (= FER2013's row), its Usage and its 10 vote counts."""

    index: int
    usage: str
    votes: np.ndarray


def ferplus_votes(repo: Path) -> dict[str, FerPlusRow]:
    """Image name → its row, from fer2013new.csv. Rows without an image name (no picture) are skipped, and the
    names skip them too, so a name's number is not its row."""
    from emotune.training.ferplus import FERPLUS_COLUMNS

    text = git(repo, "show", "HEAD:fer2013new.csv").decode()
    votes = {}
    for index, row in enumerate(csv.DictReader(io.StringIO(text))):
        name = row["Image name"].strip()
        if name:
            votes[name] = FerPlusRow(index, row["Usage"], np.array([int(row[c]) for c in FERPLUS_COLUMNS]))
    return votes


def ferplus_images(repo: Path) -> tuple[list[str], np.ndarray]:
    """All FER+ pictures in the images repository: their names and (n, 48, 48) grey pixels."""
    paths = [p for p in git(repo, "ls-tree", "-r", "--name-only", "HEAD", "data").decode().split("\n")
             if p.endswith(".png")]
    pixels = [cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_GRAYSCALE) for b in read_blobs(repo, paths)]
    return [Path(p).name for p in paths], np.stack(pixels)


def our_training_pictures(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Our Training pictures at their own 48 px, in `load_fer(...).train` order, and their labels."""
    from emotune.training.data import _folder_items, find_source

    items = [(f, label) for f, split, label in _folder_items(find_source(data_dir)) if split == "train"]
    pixels = np.stack([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f, _ in items])
    return pixels, np.array([label for _, label in items])


def thumbnails(pixels: np.ndarray) -> np.ndarray:
    return np.stack([cv2.resize(p, (16, 16), interpolation=cv2.INTER_AREA) for p in pixels]).reshape(
        len(pixels), -1).astype(np.float32)


def match_by_pixels(ours: np.ndarray, theirs: np.ndarray, block: int = 1024) -> Match:
    """Nearest FER+ picture of each of ours: a thumbnail search for candidates, then the full-size RMSE.
    Pixel-identical FER+ copies (FER2013 repeats some pictures) all count as the match."""
    a, b = thumbnails(ours), thumbnails(theirs)
    b_sq = (b * b).sum(1)
    rows, best, second = [], np.zeros(len(ours)), np.zeros(len(ours))
    theirs_f = theirs.reshape(len(theirs), -1).astype(np.float32)
    for start in range(0, len(ours), block):
        q = a[start:start + block]
        d = b_sq[None, :] - 2.0 * q @ b.T
        cand = np.argpartition(d, CANDIDATES, axis=1)[:, :CANDIDATES]
        for i, c in enumerate(cand):
            full = ours[start + i].reshape(-1).astype(np.float32)
            rmse = np.sqrt(((theirs_f[c] - full) ** 2).mean(1))
            order = np.argsort(rmse)
            copies = [int(c[k]) for k in order if rmse[k] <= rmse[order[0]] + 0.01]
            others = [rmse[k] for k in order if rmse[k] > rmse[order[0]] + 0.01]
            rows.append(copies)
            best[start + i] = rmse[order[0]]
            second[start + i] = others[0] if others else np.inf
        print(f"matched {min(start + block, len(ours))}/{len(ours)}", flush=True)
    return Match(rows, best, second)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.detection_set import fer_dir
    from emotune.core.emotions import EMOTIONS
    from emotune.inference.onnx_classifier import file_sha256
    from emotune.training.config import preset
    from emotune.training.data import load_fer
    from emotune.training.ferplus import CONTEMPT, FERPLUS_COLUMNS, TO_OURS, agreement, vote_shares

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ferplus-git", type=Path, default=MIRROR / "microsoft+FERPlus" / "repo")
    p.add_argument("--images-git", type=Path, default=MIRROR / "tessav+crowd-emotion" / "repo")
    p.add_argument("--data", type=Path, default=None, help="FER2013 (default: ../shared/datasets/fer2013)")
    p.add_argument("--out", type=Path, default=OUT_DIR)
    args = p.parse_args(argv)
    data_dir = args.data or fer_dir()
    input_size = preset("distill").input_size
    data = load_fer(data_dir, input_size, ROOT / "runs" / "cache")
    ours, labels = our_training_pictures(data_dir)
    if not np.array_equal(labels, data.train.y):
        raise SystemExit("the Training pictures read here are not load_fer's, in its order: refusing to guess")
    votes_by_name = ferplus_votes(args.ferplus_git)
    names, theirs = ferplus_images(args.images_git)
    print(f"{len(ours)} Training pictures, {len(names)} FER+ pictures, {len(votes_by_name)} FER+ vote rows")
    match = match_by_pixels(ours, theirs)
    matched = match.rmse <= MATCH_RMSE
    # Only FER+ Training rows give votes: a picture whose only copies are PublicTest / PrivateTest rows keeps
    # its one-hot, so nothing from the test splits' annotations flows into training.
    train_copies = [[j for j in r if names[j] in votes_by_name and votes_by_name[names[j]].usage == "Training"]
                    if ok else [] for r, ok in zip(match.rows, matched)]
    votes = np.zeros((len(ours), len(FERPLUS_COLUMNS)), np.int64)
    for i, copies in enumerate(train_copies):
        for j in copies:
            votes[i] += votes_by_name[names[j]].votes
    rows, has_vote = vote_shares(votes, labels)
    contempt_major = matched & (votes[:, CONTEMPT] > votes[:, list(TO_OURS)].max(1))
    contempt_labels = {EMOTIONS[k]: int(n) for k, n in enumerate(np.bincount(labels[contempt_major], minlength=7))}
    probs = np.repeat(rows[:, None, :], 2, axis=1).astype(np.float16)
    stats = {
        "matched": int(matched.sum()), "unmatched": int((~matched).sum()),
        "matched_to_ferplus_training_rows": sum(bool(c) for c in train_copies),
        "matched_only_to_test_rows_kept_one_hot": int(matched.sum()) - sum(bool(c) for c in train_copies),
        "matched_to_several_identical_pictures": int(sum(len(r) > 1 for r in match.rows)),
        "median_rmse": round(float(np.median(match.rmse[matched])), 3),
        "p99_rmse": round(float(np.percentile(match.rmse[matched], 99)), 3),
        "median_runner_up_rmse": round(float(np.median(match.runner_up[np.isfinite(match.runner_up)])), 3),
        "with_votes_in_our_classes": int(has_vote.sum()),
        "one_hot_kept": int((~has_vote).sum()),
    }
    meta = {
        "sources": [
            {"repo": "github:microsoft/FERPlus", "commit": git(args.ferplus_git, "rev-parse", "HEAD").decode().strip(),
             "file": "fer2013new.csv", "licence": "MIT (its LICENSE.md)", "use": "vote counts per image name"},
            {"repo": "github:tessav/crowd-emotion",
             "commit": git(args.images_git, "rev-parse", "HEAD").decode().strip(),
             "file": "data/FER2013{Train,Valid,Test}/*.png",
             "licence": "MIT (its LICENSE.md, FERPlus's)", "use": "the FER+ pictures under their names, for the join"},
        ],
        "data_sha256": data.sha256, "faces": len(ours), "input_size": input_size,
        "order": "emotune.training.data.load_fer(...).train, in its order; [:, 0] the picture, [:, 1] its mirror "
                 "image (the same votes)",
        "values": "FER+ vote shares over our 7 emotions (contempt, unknown and NF votes dropped, the rest "
                  "renormalised); the FER2013 one-hot where a picture has no match or no such vote; float16",
        "join": f"nearest FER+ picture by grey levels (RMSE over 48x48 <= {MATCH_RMSE}); votes of pixel-identical "
                "FER+ copies among the Training rows summed (copies in PublicTest/PrivateTest rows never used)",
        "match": stats,
        "contempt_majority_faces_by_fer2013_label": contempt_labels,
        "agreement_with_fer2013_on_training": agreement(rows, has_vote, labels),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    final = args.out / "ferplus_soft.npz"
    tmp = args.out / "ferplus_soft.tmp.npz"
    # The FER+ row (fer2013new.csv, 0-based data row) of each face, -1 where none:
    # anyone with the CSV can check a row against its votes.
    ferplus_row = np.array([votes_by_name[names[c[0]]].index if c else -1 for c in train_copies], np.int32)
    np.savez_compressed(tmp, probs=probs, y=labels.astype(np.int8), ferplus_row=ferplus_row)
    tmp.replace(final)
    (args.out / "ferplus_soft.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta["match"], indent=2))
    print(json.dumps(meta["agreement_with_fer2013_on_training"]))
    print("contempt-majority faces by FER2013 label:", contempt_labels)
    print(f"wrote {final} ({final.stat().st_size / 1e6:.2f} MB), sha256 "
          f"{file_sha256(final)[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""FER2013 in either of its two public layouts, decoded once and cached as .npz so later runs start fast.

Layouts:
- Kaggle image folders: `train/<emotion>/*.jpg` (Training) and `test/<emotion>/PublicTest_*` (validation),
  `test/<emotion>/PrivateTest_*` (test).
- The original `fer2013.csv` with columns emotion,pixels,Usage (Training / PublicTest / PrivateTest).

Every picture goes through `prepare_face` (the inference path), so training sees exactly what the app feeds.
"""
from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emotune.core.emotions import EMOTIONS, index_of
from emotune.inference.preprocessing import DEFAULT_INPUT_SIZE, prepare_face

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
_CSV_USAGE = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
_FILE_PREFIX = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}


class DatasetError(ValueError):
    """The data folder or CSV is not FER2013 in a layout we read; the message says what was expected."""


@dataclass(frozen=True)
class Split:
    """Faces (n, size, size, 1) uint8 and labels (n,) int64 in FER order."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=len(EMOTIONS))


@dataclass(frozen=True)
class FerData:
    train: Split
    val: Split
    test: Split
    source: str
    sha256: str  # of the decoded pixels and labels: identifies the data a model was trained on

    def split(self, name: str) -> Split:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
        return getattr(self, name)


def find_source(data: Path) -> Path:
    """The CSV file or the folder holding train/ and test/; DatasetError explains the layouts otherwise."""
    data = Path(data)
    if data.is_file() and data.suffix.lower() == ".csv":
        return data
    if (data / "fer2013.csv").is_file():
        return data / "fer2013.csv"
    if (data / "train").is_dir() and (data / "test").is_dir():
        return data
    raise DatasetError(
        f"{data} is not FER2013: expected a folder with train/<emotion>/ and test/<emotion>/ image folders "
        "(the Kaggle layout) or a fer2013.csv with columns emotion,pixels,Usage"
    )


def _folder_items(root: Path) -> list[tuple[Path, str, int]]:
    items = []
    for part in ("train", "test"):
        for class_dir in sorted(p for p in (root / part).iterdir() if p.is_dir()):
            label = index_of(class_dir.name)
            for f in sorted(class_dir.iterdir()):
                if f.suffix.lower() not in (".jpg", ".jpeg", ".png", ".bmp"):
                    continue
                prefix = f.name.split("_", 1)[0]
                split = _FILE_PREFIX.get(prefix, "train" if part == "train" else "test")
                items.append((f, split, label))
    return items


def _fingerprint(source: Path, size: int) -> str:
    """A cheap key for the cache: names, sizes and mtimes of the inputs plus the model input size."""
    h = hashlib.sha1(f"{source.resolve()}|{size}".encode())
    if source.is_file():
        st = source.stat()
        h.update(f"{st.st_size}|{st.st_mtime_ns}".encode())
    else:
        for f, split, label in _folder_items(source):
            st = f.stat()
            h.update(f"{f.name}|{split}|{label}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _decode_folders(root: Path, size: int) -> dict[str, list]:
    out: dict[str, list] = {s: ([], []) for s in SPLITS}
    bad = 0
    for f, split, label in _folder_items(root):
        img = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
        if img is None:
            bad += 1
            continue
        out[split][0].append(prepare_face(img, None, size))
        out[split][1].append(label)
    if bad:
        log.warning("skipped %d unreadable images under %s", bad, root)
    return out


def _decode_csv(path: Path, size: int) -> dict[str, list]:
    out: dict[str, list] = {s: ([], []) for s in SPLITS}
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path} lacks the column(s) {', '.join(sorted(missing))} (need emotion,pixels,Usage)")
        for n, row in enumerate(reader, start=2):
            pixels = np.array(row["pixels"].split(), dtype=np.uint8)
            side = int(round(np.sqrt(pixels.size)))
            if side * side != pixels.size or not 0 <= int(row["emotion"]) < len(EMOTIONS):
                raise DatasetError(f"{path}:{n}: expected a square gray image and a label 0–6")
            split = _CSV_USAGE.get(row["Usage"].strip())
            if split is None:
                raise DatasetError(f"{path}:{n}: Usage {row['Usage']!r} is not Training/PublicTest/PrivateTest")
            out[split][0].append(prepare_face(pixels.reshape(side, side), None, size))
            out[split][1].append(int(row["emotion"]))
    return out


def _to_split(xs: list, ys: list, size: int) -> Split:
    x = np.stack(xs) if xs else np.zeros((0, size, size, 1), np.uint8)
    return Split(x, np.asarray(ys, dtype=np.int64))


def load_fer(data: Path, size: int = DEFAULT_INPUT_SIZE, cache_dir: Path | None = Path("runs/cache")) -> FerData:
    """All three splits, from the cache when the inputs have not changed since it was written."""
    source = find_source(Path(data))
    cache = Path(cache_dir) / f"fer-{_fingerprint(source, size)}.npz" if cache_dir else None
    if cache and cache.is_file():
        try:
            with np.load(cache) as z:
                splits = {s: Split(z[f"{s}_x"], z[f"{s}_y"]) for s in SPLITS}
                digest = str(z["sha256"])
            log.info("loaded FER2013 from cache %s", cache)
            return FerData(**splits, source=str(source), sha256=digest)
        except (OSError, KeyError, ValueError) as exc:
            log.warning("ignoring unreadable cache %s: %s", cache, exc)
    raw = _decode_csv(source, size) if source.is_file() else _decode_folders(source, size)
    splits = {s: _to_split(*raw[s], size) for s in SPLITS}
    if not len(splits["train"]):
        raise DatasetError(f"no training faces found in {source}")
    h = hashlib.sha256()
    for s in SPLITS:
        h.update(splits[s].x.tobytes())
        h.update(splits[s].y.tobytes())
    digest = h.hexdigest()
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, sha256=digest, **{f"{s}_{k}": getattr(splits[s], k) for s in SPLITS for k in ("x", "y")})
        tmp.replace(cache)
    return FerData(**splits, source=str(source), sha256=digest)

"""The face-detection benchmark set: real FER2013 faces pasted into 640×480 frames at varied scale, position
and roll (±30°), under varied lighting (gain, gamma, side shading), over plain, busy, bright and dark
backgrounds, plus frames without faces (for false boxes) and the bundled three-face sample.

The set is fixed by the committed manifest benchmarks/detection_set.json (which FER picture goes where, how it
is lit, and the seed of each background); `render` turns an entry into its frame and true boxes, given the
FER2013 folder. `python -m benchmarks.detection_set` writes the manifest again from SEED (the same file).
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 14
MANIFEST = Path(__file__).with_name("detection_set.json")
FER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "fer2013"
KINDS = ("plain", "busy", "bright", "dark")
W, H = 640, 480
FACE_FRAMES_PER_KIND = 40
EMPTY_FRAMES_PER_KIND = 10
SIDE_RANGE = (90, 260)     # pasted FER picture side in pixels: a face at arm's length to close to a webcam
ROLL_RANGE = 30.0
SAMPLE_BOXES = [[40, 160, 160, 160], [240, 160, 160, 160], [440, 160, 160, 160]]  # assets/sample_faces.jpg


@dataclass(frozen=True)
class Truth:
    """A pasted face: centre, side of the (unrotated) FER picture, roll in degrees, FER label."""

    cx: float
    cy: float
    side: float
    roll: float
    label: str


def fer_dir() -> Path:
    return FER_DIR if FER_DIR.is_dir() else Path("../shared/datasets/fer2013")


def make_manifest(fer: Path, seed: int = SEED) -> dict:
    rng = np.random.default_rng(seed)
    files = sorted(str(p.relative_to(fer)) for p in (fer / "test").glob("*/PrivateTest_*"))
    frames = []
    for kind in KINDS:
        for i in range(FACE_FRAMES_PER_KIND + EMPTY_FRAMES_PER_KIND):
            n = 0 if i >= FACE_FRAMES_PER_KIND else int(rng.choice([1, 1, 2, 2, 3]))
            faces = []
            for _ in range(100):
                if len(faces) == n:
                    break
                side = float(rng.uniform(*SIDE_RANGE)) if n < 3 else float(rng.uniform(SIDE_RANGE[0], 180))
                r = side * 0.72  # the rotated picture's half-diagonal
                cx, cy = float(rng.uniform(r, W - r)), float(rng.uniform(r, H - r))
                if any(math.hypot(cx - f["cx"], cy - f["cy"]) < r + f["side"] * 0.72 for f in faces):
                    continue
                faces.append({"file": files[int(rng.integers(len(files)))], "cx": round(cx, 1), "cy": round(cy, 1),
                              "side": round(side, 1), "roll": round(float(rng.uniform(-ROLL_RANGE, ROLL_RANGE)), 1),
                              "gain": round(float(rng.uniform(*((0.3, 0.7) if kind == "dark" else (0.7, 1.3)))), 2),
                              "gamma": round(float(rng.uniform(0.7, 1.4)), 2),
                              "shade": round(float(rng.uniform(-0.5, 0.5) if rng.random() < 0.4 else 0.0), 2)})
            frames.append({"kind": kind, "bg_seed": int(rng.integers(1 << 31)), "faces": faces})
    return {"seed": seed, "size": [W, H], "frames": frames,
            "note": "FER2013 PrivateTest faces; render with benchmarks/detection_set.py"}


def background(kind: str, seed: int) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    lo, hi = {"plain": (60, 200), "busy": (40, 220), "bright": (185, 250), "dark": (8, 45)}[kind]
    base = rng.uniform(lo, hi, 3)
    img = np.empty((H, W, 3), np.float32)
    img[:] = base
    if kind != "plain" and rng.random() < 0.7:  # a gradient, as a lit wall
        ramp = np.linspace(-1, 1, W if rng.random() < 0.5 else H, dtype=np.float32)
        ramp = ramp[None, :, None] if len(ramp) == W else ramp[:, None, None]
        img += ramp * rng.uniform(5, 30)
    if kind in ("busy", "bright", "dark") and (kind == "busy" or rng.random() < 0.5):
        for _ in range(int(rng.integers(20, 60))):  # shelves, posters, cables, plants: shapes and lines
            colour = tuple(float(c) for c in rng.uniform(lo, hi, 3))
            x, y = int(rng.integers(W)), int(rng.integers(H))
            shape = rng.integers(3)
            if shape == 0:
                cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 200)), y + int(rng.integers(10, 200))), colour, -1)
            elif shape == 1:
                cv2.circle(img, (x, y), int(rng.integers(5, 80)), colour, -1)
            else:
                cv2.line(img, (x, y), (int(rng.integers(W)), int(rng.integers(H))), colour, int(rng.integers(1, 8)))
    if kind == "busy":  # fine texture (fabric, wallpaper)
        tex = cv2.resize(rng.normal(0, 1, (H // 8, W // 8)).astype(np.float32), (W, H), interpolation=cv2.INTER_CUBIC)
        img += tex[:, :, None] * 12
    img += rng.normal(0, 3, img.shape).astype(np.float32)  # sensor noise
    return np.clip(img, 0, 255).astype(np.uint8)


def paste(frame: np.ndarray, face: np.ndarray, spec: dict) -> None:
    """Pastes the gray FER picture, lit and rolled as `spec` says, centred at (cx, cy)."""
    import cv2

    side = int(round(spec["side"]))
    img = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    img = img ** spec["gamma"] * spec["gain"]
    if spec["shade"]:
        img *= 1.0 + spec["shade"] * np.linspace(-1, 1, side, dtype=np.float32)[None, :]
    img = np.clip(img * 255.0, 0, 255)
    canvas = int(math.ceil(side * 1.45))
    m = cv2.getRotationMatrix2D((side / 2, side / 2), spec["roll"], 1.0)
    m[:, 2] += (canvas - side) / 2
    rot = cv2.warpAffine(img, m, (canvas, canvas), flags=cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.warpAffine(np.ones((side, side), np.float32), m, (canvas, canvas), flags=cv2.INTER_LINEAR)
    x0, y0 = int(round(spec["cx"] - canvas / 2)), int(round(spec["cy"] - canvas / 2))
    xs, ys = slice(max(0, x0), min(W, x0 + canvas)), slice(max(0, y0), min(H, y0 + canvas))
    sub_r = rot[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
    sub_m = mask[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0][:, :, None]
    region = frame[ys, xs].astype(np.float32)
    frame[ys, xs] = np.clip(region * (1 - sub_m) + sub_r[:, :, None] * sub_m, 0, 255).astype(np.uint8)


def render(entry: dict, fer: Path) -> tuple[np.ndarray, list[Truth]]:
    import cv2

    frame = background(entry["kind"], entry["bg_seed"])
    truths = []
    for spec in entry["faces"]:
        face = cv2.imread(str(fer / spec["file"]), cv2.IMREAD_GRAYSCALE)
        if face is None:
            raise SystemExit(f"FER2013 picture {fer / spec['file']} is missing")
        paste(frame, face, spec)
        truths.append(Truth(spec["cx"], spec["cy"], spec["side"], spec["roll"], Path(spec["file"]).parent.name))
    return frame, truths


def load_set(fer: Path | None = None) -> list[tuple[str, np.ndarray, list[Truth]]]:
    """(kind, frame, true faces) for every frame of the committed set, then the bundled sample as 'sample'."""
    import cv2

    from emotune.resources import asset_path

    fer = fer or fer_dir()
    manifest = json.loads(MANIFEST.read_text())
    out = [(e["kind"], *render(e, fer)) for e in manifest["frames"]]
    sample = cv2.imread(str(asset_path("sample_faces.jpg")))
    out.append(("sample", sample, [Truth(x + s / 2, y + s / 2, s, 0.0, "") for x, y, s, _ in SAMPLE_BOXES]))
    return out


def match(boxes: list, truths: list[Truth]) -> tuple[list[int | None], int]:
    """For each true face, the index of the box that found it (or None), and how many boxes found nothing.
    A box finds a face when its centre lies within 0.4 of the face's side of the face's centre and its size is
    0.45–2× the side: lenient about framing (detectors frame faces differently), strict about place."""
    used: set[int] = set()
    found: list[int | None] = []
    for t in truths:
        best, best_d = None, 0.4 * t.side
        for i, b in enumerate(boxes):
            if i in used or not 0.45 * t.side <= b.w <= 2.0 * t.side:
                continue
            d = math.hypot(b.x + b.w / 2 - t.cx, b.y + b.h / 2 - t.cy)
            if d <= best_d:
                best, best_d = i, d
        if best is not None:
            used.add(best)
        found.append(best)
    return found, len(boxes) - len(used)


def write_manifest(manifest: dict, path: Path = MANIFEST) -> None:
    """One frame per line: small, and a diff shows which frames changed."""
    head = {k: v for k, v in manifest.items() if k != "frames"}
    frames = ",\n".join(json.dumps(f, separators=(",", ":")) for f in manifest["frames"])
    path.write_text(json.dumps(head)[:-1] + ',\n"frames": [\n' + frames + "\n]}\n")


if __name__ == "__main__":
    write_manifest(make_manifest(fer_dir()))
    print(f"wrote {MANIFEST}", file=sys.stderr)

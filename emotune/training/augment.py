"""Training-time augmentation that makes FER2013's tightly registered faces look like the crops the app's
Haar detector and margin produce: the box lands a little bigger or smaller, off-centre and tilted, under
other lighting, sometimes soft or noisy. Runs in NumPy/OpenCV on uint8 batches, so it is backend-agnostic.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    flip: bool = True
    scale: float = 0.15        # zoom factor drawn from [1-scale, 1+scale] (detector box size jitter)
    shift: float = 0.08        # translation, fraction of the side (detector box misalignment)
    rotate: float = 12.0       # degrees (head roll)
    brightness: float = 0.25   # additive, fraction of 255
    contrast: float = 0.3      # multiplicative around the mean
    gamma: float = 0.3         # log-uniform gamma in [1/(1+g), 1+g]
    blur_p: float = 0.15       # probability of a Gaussian blur (out-of-focus webcams)
    noise_p: float = 0.15      # probability of sensor noise
    erase_p: float = 0.25      # probability of erasing a random patch (hands, glasses, occlusion)
    # The app's domain (issue 22): its crops are shrunk from large, sharp photos or upscaled from small webcam
    # faces and re-compressed by cameras; FER2013's are soft 48 px web JPEGs. All 0 = off (older recipes).
    # Ranges measured (docs/model.md): real crops are up to twice as sharp as FER2013's (Laplacian variance),
    # CMU's tiny faces softer, and real colour photos turned grey have ~1.5x FER2013's contrast (pixel std).
    sharpen_p: float = 0.0     # probability of an unsharp mask, amount 0.2-0.6 (a crop shrunk from a big sharp face)
    lowres_p: float = 0.0      # probability of a detour through 70-90 % of the side (a small, upscaled face)
    jpeg_p: float = 0.0        # probability of JPEG re-compression at quality 30-90 (camera/web compression)
    stretch_p: float = 0.0     # probability of a contrast stretch x1.1-1.6 around the mean (grey from colour photos)


def _workers() -> int:
    """Threads for the per-face OpenCV work: the cores this process may use, at most 8."""
    try:
        return max(1, min(8, len(os.sched_getaffinity(0))))
    except AttributeError:  # not on Linux
        return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class _DomainDraws:
    """Per-face draws of the domain augmentation (0 = not applied to that face)."""

    sharpen: np.ndarray   # unsharp-mask amount
    lowres: np.ndarray    # side fraction of the detour
    jpeg: np.ndarray      # JPEG quality
    stretch: np.ndarray   # contrast factor (applied with the photometric jitter)

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, cfg: AugmentConfig) -> _DomainDraws:
        """Draws nothing from `rng` when the domain augmentation is off, so older recipes see the same stream."""
        def pick(p: float, lo: float, hi: float) -> np.ndarray:
            on = rng.random(n) < p if p > 0 else np.zeros(n, bool)
            values = np.zeros(n)
            values[on] = rng.uniform(lo, hi, int(on.sum()))
            return values
        return cls(pick(cfg.sharpen_p, 0.2, 0.6), pick(cfg.lowres_p, 0.7, 0.9), pick(cfg.jpeg_p, 30, 90),
                   pick(cfg.stretch_p, 1.1, 1.6))

    def apply(self, img: np.ndarray, i: int) -> np.ndarray:
        s = img.shape[0]
        if self.lowres[i]:
            small = max(8, int(round(s * self.lowres[i])))
            img = cv2.resize(cv2.resize(img, (small, small), interpolation=cv2.INTER_AREA), (s, s),
                             interpolation=cv2.INTER_LINEAR)
        if self.sharpen[i]:
            soft = cv2.GaussianBlur(img, (0, 0), 1.0)
            img = cv2.addWeighted(img, 1.0 + self.sharpen[i], soft, -self.sharpen[i], 0)
        if self.jpeg[i]:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(self.jpeg[i])])
            img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else img
        return img


def _warp_range(x: np.ndarray, out: np.ndarray, lo: int, hi: int, mats: np.ndarray, flips: np.ndarray,
                sigmas: np.ndarray, domain: _DomainDraws | None = None) -> None:
    """Geometric jitter (and blur where sigma > 0, then the domain augmentation) of faces lo..hi-1; OpenCV
    releases the GIL here."""
    s = x.shape[1]
    for i in range(lo, hi):
        img = x[i, :, :, 0]
        if flips[i]:
            img = img[:, ::-1]
        img = cv2.warpAffine(np.ascontiguousarray(img), mats[i], (s, s), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT_101)
        if sigmas[i] > 0:
            img = cv2.GaussianBlur(img, (0, 0), float(sigmas[i]))
        if domain is not None:
            img = domain.apply(img, i)
        out[i, :, :, 0] = img


def augment_batch(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """A new uint8 batch (n, s, s, 1): each face geometrically jittered, relit, maybe blurred/noised/erased."""
    return augment_batch_with_flips(x, rng, cfg)[0]


def augment_batch_with_flips(x: np.ndarray, rng: np.random.Generator,
                             cfg: AugmentConfig) -> tuple[np.ndarray, np.ndarray]:
    """`augment_batch` and which faces it mirrored (bool (n,)): a soft target must be the mirror image's.
    All random draws happen up front in a fixed order, so the result depends only on `rng`, not on how many
    threads share the per-face OpenCV work (a GPU host has cores to spare for it)."""
    n, s = x.shape[0], x.shape[1]
    out = np.empty_like(x)
    zoom = rng.uniform(1 - cfg.scale, 1 + cfg.scale, n)
    angle = rng.uniform(-cfg.rotate, cfg.rotate, n)
    shifts = rng.uniform(-cfg.shift, cfg.shift, (n, 2)) * s
    flips = rng.random(n) < 0.5 if cfg.flip else np.zeros(n, bool)
    blur = rng.random(n) < cfg.blur_p
    sigmas = np.zeros(n)
    sigmas[blur] = rng.uniform(0.5, 1.2, int(blur.sum()))
    centre = (s / 2 - 0.5, s / 2 - 0.5)
    mats = np.empty((n, 2, 3))
    for i in range(n):
        mats[i] = cv2.getRotationMatrix2D(centre, float(angle[i]), float(zoom[i]))
    mats[:, :, 2] += shifts
    domain = (_DomainDraws.draw(rng, n, cfg) if cfg.sharpen_p or cfg.lowres_p or cfg.jpeg_p or cfg.stretch_p
              else None)
    workers = min(_workers(), max(1, n // 512))
    if workers > 1:
        bounds = np.linspace(0, n, workers + 1).astype(int)
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda k: _warp_range(x, out, bounds[k], bounds[k + 1], mats, flips, sigmas, domain),
                          range(workers)))
    else:
        _warp_range(x, out, 0, n, mats, flips, sigmas, domain)
    f = out.astype(np.float32) / 255.0
    gamma = np.exp(rng.uniform(-np.log1p(cfg.gamma), np.log1p(cfg.gamma), (n, 1, 1, 1))).astype(np.float32)
    f = np.power(f, gamma)
    mean = f.mean(axis=(1, 2, 3), keepdims=True)
    contrast = rng.uniform(1 - cfg.contrast, 1 + cfg.contrast, (n, 1, 1, 1)).astype(np.float32)
    bright = rng.uniform(-cfg.brightness, cfg.brightness, (n, 1, 1, 1)).astype(np.float32)
    if domain is not None:
        contrast = contrast * np.where(domain.stretch > 0, domain.stretch, 1.0).astype(np.float32)[:, None, None, None]
    f = (f - mean) * contrast + mean + bright
    noisy = rng.random(n) < cfg.noise_p
    if noisy.any():
        f[noisy] += rng.normal(0, 0.03, f[noisy].shape).astype(np.float32)
    erase = np.flatnonzero(rng.random(n) < cfg.erase_p)
    for i in erase:
        h, w = rng.integers(s // 6, s // 3, 2)
        y0, x0 = rng.integers(0, s - h), rng.integers(0, s - w)
        f[i, y0:y0 + h, x0:x0 + w] = rng.random()
    return np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8), flips


def mixup(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Mixup (Zhang et al. 2018) on float inputs and one-hot/soft targets; alpha 0 returns them unchanged."""
    if alpha <= 0:
        return x, y
    lam = rng.beta(alpha, alpha, (len(x), 1)).astype(np.float32)
    lam = np.maximum(lam, 1 - lam)  # keep the first image dominant so class weights still make sense
    perm = rng.permutation(len(x))
    xm = x.astype(np.float32) * lam[:, :, None, None] + x[perm].astype(np.float32) * (1 - lam[:, :, None, None])
    return xm, y * lam + y[perm] * (1 - lam)

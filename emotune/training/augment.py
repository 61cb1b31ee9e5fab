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


def _workers() -> int:
    """Threads for the per-face OpenCV work: the cores this process may use, at most 8."""
    try:
        return max(1, min(8, len(os.sched_getaffinity(0))))
    except AttributeError:  # not on Linux
        return max(1, min(8, os.cpu_count() or 1))


def _warp_range(x: np.ndarray, out: np.ndarray, lo: int, hi: int, mats: np.ndarray, flips: np.ndarray,
                sigmas: np.ndarray) -> None:
    """Geometric jitter (and blur where sigma > 0) of faces lo..hi-1; OpenCV releases the GIL here."""
    s = x.shape[1]
    for i in range(lo, hi):
        img = x[i, :, :, 0]
        if flips[i]:
            img = img[:, ::-1]
        img = cv2.warpAffine(np.ascontiguousarray(img), mats[i], (s, s), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT_101)
        if sigmas[i] > 0:
            img = cv2.GaussianBlur(img, (0, 0), float(sigmas[i]))
        out[i, :, :, 0] = img


def augment_batch(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """A new uint8 batch (n, s, s, 1): each face geometrically jittered, relit, maybe blurred/noised/erased.
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
    workers = min(_workers(), max(1, n // 512))
    if workers > 1:
        bounds = np.linspace(0, n, workers + 1).astype(int)
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda k: _warp_range(x, out, bounds[k], bounds[k + 1], mats, flips, sigmas), range(workers)))
    else:
        _warp_range(x, out, 0, n, mats, flips, sigmas)
    f = out.astype(np.float32) / 255.0
    gamma = np.exp(rng.uniform(-np.log1p(cfg.gamma), np.log1p(cfg.gamma), (n, 1, 1, 1))).astype(np.float32)
    f = np.power(f, gamma)
    mean = f.mean(axis=(1, 2, 3), keepdims=True)
    contrast = rng.uniform(1 - cfg.contrast, 1 + cfg.contrast, (n, 1, 1, 1)).astype(np.float32)
    bright = rng.uniform(-cfg.brightness, cfg.brightness, (n, 1, 1, 1)).astype(np.float32)
    f = (f - mean) * contrast + mean + bright
    noisy = rng.random(n) < cfg.noise_p
    if noisy.any():
        f[noisy] += rng.normal(0, 0.03, f[noisy].shape).astype(np.float32)
    erase = np.flatnonzero(rng.random(n) < cfg.erase_p)
    for i in erase:
        h, w = rng.integers(s // 6, s // 3, 2)
        y0, x0 = rng.integers(0, s - h), rng.integers(0, s - w)
        f[i, y0:y0 + h, x0:x0 + w] = rng.random()
    return np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8)


def mixup(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Mixup (Zhang et al. 2018) on float inputs and one-hot/soft targets; alpha 0 returns them unchanged."""
    if alpha <= 0:
        return x, y
    lam = rng.beta(alpha, alpha, (len(x), 1)).astype(np.float32)
    lam = np.maximum(lam, 1 - lam)  # keep the first image dominant so class weights still make sense
    perm = rng.permutation(len(x))
    xm = x.astype(np.float32) * lam[:, :, None, None] + x[perm].astype(np.float32) * (1 - lam[:, :, None, None])
    return xm, y * lam + y[perm] * (1 - lam)

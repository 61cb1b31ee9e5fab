"""What a model costs per face, counted from its layers rather than timed: parameters and multiply-adds
(MACs) of the convolutions and dense layers. Timings on a shared 2-core CPU swing with the load; these
counts do not, so the architecture table in docs/model.md gives both."""
from __future__ import annotations

import math


def macs_per_face(model) -> int:
    """Multiply-accumulates of one forward pass for one input (conv, separable, depthwise and dense layers;
    batch norm, activations and pooling are left out as negligible)."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Dense"):
            continue
        in_c = int(layer.input.shape[-1])
        out_shape = layer.output.shape
        if kind == "Dense":
            total += in_c * int(out_shape[-1])
            continue
        pixels = int(out_shape[1]) * int(out_shape[2])
        k = math.prod(layer.kernel_size)
        if kind == "Conv2D":
            total += pixels * k * in_c * int(out_shape[-1])
        elif kind == "SeparableConv2D":
            total += pixels * (k * in_c + in_c * int(out_shape[-1]))
        else:  # depthwise
            total += pixels * k * in_c * int(getattr(layer, "depth_multiplier", 1))
    return total

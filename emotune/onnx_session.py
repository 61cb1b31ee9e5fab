"""Opening an ONNX model with ONNX Runtime the way EmoTune needs it: on the CPU, a bounded thread pool, quiet
logs, and with ONNX Runtime's telemetry off. Since 1.29 the official wheels report to Microsoft on Linux and
macOS too, and write a device id under ~/.cache/Microsoft, unless ORT_DISABLE_TELEMETRY is set before the
library is first imported; EmoTune sends nothing anywhere and writes only into its own folders (docs/privacy.md).
"""
from __future__ import annotations

import os
from pathlib import Path


def open_session(path: str | Path, threads: int = 1):
    """An onnxruntime.InferenceSession for `path` (raises what onnxruntime raises for bad files)."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = threads
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

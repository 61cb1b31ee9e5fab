"""Makes models/face_detection_short_range.onnx, the default face detector, once; the result is committed.

BlazeFace short-range (Apache-2.0, Google MediaPipe) ships as a .tflite inside the mediapipe 0.10.21 wheel
(later wheels carry no model files). We take only that file and the wheel's licence out of the downloaded
wheel, without installing mediapipe (it pins numpy<2 and an old protobuf), and convert it to ONNX with
tf2onnx, which needs TensorFlow; then the ONNX input's height and width are made free (the network is fully
convolutional and tf2onnx's reshapes already use -1), so the app can feed a 4:3 frame at 176×144 instead of
letterboxing it into 128×128 (small faces are found far more often). Run this with a throwaway virtualenv
that has them, e.g.

    python3 -m venv .venv-convert && .venv-convert/bin/pip install tf2onnx==1.17.0 tensorflow-cpu onnx
    .venv-convert/bin/python scripts/convert_blazeface.py models/face_detection_short_range.onnx

The app itself runs the .onnx through ONNX Runtime and never imports TensorFlow.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "mediapipe==0.10.21"
MEMBER = "mediapipe/modules/face_detection/face_detection_short_range.tflite"
LICENCE = "mediapipe-0.10.21.dist-info/LICENSE"
OPSET = 13


def free_input_size(path: Path) -> None:
    """Marks the input's height and width (and the outputs' anchor count) as symbolic; checks the model."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_param, dims[2].dim_param = "height", "width"
    for output in graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del graph.value_info[:]  # shapes inferred for 128×128; ONNX Runtime infers them per input
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def main(target: str, wheel_dir: str | None = None) -> int:
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if wheel_dir is None:
            # the wheel for this platform; the .tflite inside is the same in every platform's wheel
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "-d", tmp, PACKAGE], check=True)
            wheel_dir = tmp
        wheel = next(Path(wheel_dir).glob("mediapipe-0.10.21-*.whl"))
        tflite = Path(tmp) / "face_detection_short_range.tflite"
        with zipfile.ZipFile(wheel) as zf:
            tflite.write_bytes(zf.read(MEMBER))
            licence = zf.read(LICENCE).decode()
        digest = hashlib.sha256(tflite.read_bytes()).hexdigest()
        partial = out.with_suffix(".part.onnx")
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tflite), "--output", str(partial),
                        "--opset", str(OPSET)], check=True)
        free_input_size(partial)
        partial.replace(out)  # atomic: an interrupted conversion never leaves a broken model behind
    out.with_suffix(".LICENSE").write_text(
        f"{out.name}: BlazeFace short-range face detector by Google (MediaPipe), converted to ONNX with tf2onnx\n"
        f"(opset {OPSET}; input height and width made free) from {MEMBER} in the PyPI wheel {PACKAGE} "
        f"(sha256 of the .tflite: {digest}).\n"
        f"Model card: https://storage.googleapis.com/mediapipe-assets/MediaPipe%20BlazeFace%20Model%20Card%20"
        f"(Short%20Range).pdf\nLicensed under the Apache License 2.0, reproduced below from the wheel.\n\n" + licence)
    print(f"face detector ready: {out} ({out.stat().st_size / 1e3:.0f} KB), licence in {out.with_suffix('.LICENSE')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "models/face_detection_short_range.onnx",
                  sys.argv[2] if len(sys.argv) > 2 else None))

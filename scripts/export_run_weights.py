"""A training run's weight file as a model the app's classifier reads: RUN_DIR/<name>.keras and its ONNX export
(checked against Keras on PublicTest faces), for a teacher (`scripts/teacher_soft_targets.py --teacher`) or a
candidate to score. The run's own state.json says which architecture and input size the weights are for.

Run: `PYTHONPATH=$PWD python scripts/export_run_weights.py models/teacher2-cycle2 --weights ema`
(writes models/teacher2-cycle2/ema.keras and ema.onnx; both are ignored by git, rebuilt from the weights).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def export(run_dir: Path, weights: str) -> Path:
    """Writes run_dir/<weights>.keras and .onnx from run_dir/<weights>.weights.npz; returns the .onnx path."""
    from benchmarks.detection_set import fer_dir
    from emotune.training.config import TrainConfig
    from emotune.training.data import load_fer
    from emotune.training.export import export_onnx
    from emotune.training.models import build_model
    from emotune.training.trainer import _start_from, read_state

    state = read_state(run_dir)
    if state is None:
        raise SystemExit(f"{run_dir} has no state.json: not a training run")
    cfg = TrainConfig.from_dict(state["config"])
    model = build_model(cfg.arch, cfg.input_size, cfg.dropout)
    _start_from(model, str(run_dir / f"{weights}.weights.npz"))
    out = run_dir / f"{weights}.keras"
    model.save(out)
    faces = load_fer(fer_dir(), cfg.input_size, ROOT / "runs" / "cache").val.x[:300]
    check = export_onnx(out, faces)
    print(f"{out.with_suffix('.onnx')}: {check['bytes'] / 1e6:.1f} MB, largest gap to Keras "
          f"{check['max_abs_prob_diff_vs_keras']:.2g} on {check['faces_checked']} PublicTest faces")
    return out.with_suffix(".onnx")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--weights", default="ema", choices=("ema", "last", "best"))
    args = p.parse_args(argv)
    export(args.run_dir, args.weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())

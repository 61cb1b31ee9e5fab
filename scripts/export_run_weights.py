"""A training run's weight file as a model the app's classifier reads: RUN_DIR/<name>.keras and its ONNX export
(checked against Keras on PublicTest faces), for a teacher (`scripts/teacher_soft_targets.py --teacher`) or a
candidate to score. The run's own state.json says which architecture and input size the weights are for.

Run: `PYTHONPATH=$PWD python scripts/export_run_weights.py models/teacher2-cycle2 --weights ema`
(writes models/teacher2-cycle2/ema.keras and ema.onnx; both are ignored by git, rebuilt from the weights).

The bytes of the export depend on the machine's CPU (the same weights gave other bytes on an Intel Xeon than on an
AMD EPYC), so a run taught live by the file refuses it after a re-export elsewhere. `--for-run STUDENT_RUN` records
the new file in that run's state.json as the same teacher re-exported; do it before resuming the run, not while it
trains (the running trainer rewrites its state at every epoch).
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


def record_for_run(student_run: Path, onnx_path: Path, weights_path: Path) -> None:
    """Lets `student_run`, taught live by the file at `onnx_path`, go on with this re-export of it."""
    from emotune.inference.onnx_classifier import file_sha256
    from emotune.training.live_teacher import TeacherError, reexport_entry
    from emotune.training.trainer import _write_state, read_state

    state = read_state(student_run)
    if state is None:
        raise SystemExit(f"{student_run} has no state.json: not a training run")
    path = next((key for key in state.get("teacher_sha256") or {} if Path(key).resolve() == onnx_path.resolve()),
                str(onnx_path))
    try:
        entry = reexport_entry(state, path, file_sha256(onnx_path), file_sha256(weights_path))
    except TeacherError as exc:
        raise SystemExit(str(exc)) from None
    if entry is None:
        print(f"{student_run} already accepts this {path}")
        return
    state.setdefault("teacher_reexports", []).append(entry)
    _write_state(student_run, state)
    print(f"{student_run} goes on with {path} re-exported (sha256 {entry['sha256'][:8]}…) from epoch "
          f"{entry['from_epoch']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--weights", default="ema", choices=("ema", "last", "best"))
    p.add_argument("--for-run", type=Path, metavar="STUDENT_RUN",
                   help="a run taught live by this export: record the re-exported file as its same teacher")
    args = p.parse_args(argv)
    onnx_path = export(args.run_dir, args.weights)
    if args.for_run:
        record_for_run(args.for_run, onnx_path, args.run_dir / f"{args.weights}.weights.npz")
    return 0


if __name__ == "__main__":
    sys.exit(main())

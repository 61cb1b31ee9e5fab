"""An A/B run of issue 22's distillation recipe: the `distill` preset with fields overridden, trained into
runs/distill-NAME (resumable: run it again). `plain_augment=true` swaps the domain augmentation for the
campaign's webcam jitter alone; any other KEY=VALUE is a TrainConfig field (VALUE in JSON).

Run from the repository root: `PYTHONPATH=$PWD python scripts/distill_ab.py B learning_rate=0.003`, then
`scripts/distill_report.py --run-dir runs/distill-B` on its weights.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    from emotune.training.augment import AugmentConfig
    from emotune.training.config import preset
    from emotune.training.data import load_fer
    from emotune.training.trainer import read_state, train

    name, overrides = argv[0], dict(pair.split("=", 1) for pair in argv[1:])
    values = {key: json.loads(value) for key, value in overrides.items()}
    if values.pop("plain_augment", False):
        values["augment"] = AugmentConfig()
    cfg = preset("distill").with_overrides(**values)
    run_dir = ROOT / "runs" / f"distill-{name}"
    data = load_fer(ROOT.parent / "shared" / "datasets" / "fer2013", cfg.input_size, ROOT / "runs" / "cache")
    train(data, cfg, run_dir, resume=read_state(run_dir) is not None, verbose=2,
          on_epoch=lambda row: print(f"epoch {row['epoch']}: PublicTest {row['val_accuracy']:.2%} "
                                     f"({row['seconds']:.0f}s)", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Which GGUF model to use, in the documented order: the file chosen in settings, then any other
`*.gguf` in the model folders (the user's data folder, then the bundled models/), then the default
SmolLM2-135M-Instruct. Every candidate is checked (exists, is GGUF, is complete) before it is chosen, and
each one passed over leaves a sentence saying why, for the status bar and the log."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from emotune.appdirs import AppDirs
from emotune.llm.model_files.gguf import GGUFError, GGUFInfo, read_gguf_info
from emotune.resources import models_dir

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MIN_MODEL_BYTES = 1_000_000
FIX_DEFAULT = "run `make install` (or `python scripts/fetch_default_gguf.py`) to put the default model back"


class ModelFileError(Exception):
    """A model file that cannot be used; the message is written for the user and says how to fix it."""


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    origin: str                 # "settings", "models folder" or "default"
    info: GGUFInfo
    skipped: tuple[str, ...] = ()   # why earlier candidates were passed over

    @property
    def name(self) -> str:
        return self.path.name


def check_model_file(path: Path) -> GGUFInfo:
    """The file's GGUF facts, or ModelFileError saying what is wrong: missing, a folder, empty, not GGUF,
    truncated or unreadable."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a GGUF model file")
    try:
        size = path.stat().st_size
        if size < MIN_MODEL_BYTES:
            with open(path, "rb") as fh:
                head = fh.read(4)
            kind = "truncated GGUF" if head == b"GGUF" else "not a GGUF model"
            raise ModelFileError(f"{path.name} is only {size} bytes: {kind}; choose a complete .gguf file")
        return read_gguf_info(path)
    except GGUFError as exc:
        raise ModelFileError(str(exc)) from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def default_model_dirs(appdirs: AppDirs | None = None) -> tuple[Path, ...]:
    """The user's own models folder (writable, for models they add), then the bundled read-only one."""
    appdirs = appdirs or AppDirs.default()
    return appdirs.data / "models", models_dir()


def candidates(settings_path: Path | str | None, model_dirs: Sequence[Path]) -> list[tuple[Path, str]]:
    """Candidate files in discovery order, without duplicates; the default comes last."""
    out: list[tuple[Path, str]] = []
    if settings_path:
        out.append((Path(settings_path).expanduser(), "settings"))
    for folder in model_dirs:
        if folder.is_dir():
            out += [(p, "models folder") for p in sorted(folder.glob("*.gguf")) if p.name != DEFAULT_MODEL_NAME]
    out += [(Path(folder) / DEFAULT_MODEL_NAME, "default") for folder in model_dirs]
    seen: set[Path] = set()
    unique = []
    for path, origin in out:
        key = path.resolve() if path.exists() else path
        if key not in seen:
            seen.add(key)
            unique.append((path, origin))
    return unique


def locate_model(settings_path: Path | str | None = None, model_dirs: Sequence[Path] | None = None) -> ModelChoice:
    """The first usable model in discovery order; ModelFileError listing every reason when none is."""
    dirs = tuple(model_dirs) if model_dirs is not None else default_model_dirs()
    skipped: list[str] = []
    for path, origin in candidates(settings_path, dirs):
        if origin == "default" and not path.exists():
            continue
        try:
            info = check_model_file(path)
        except ModelFileError as exc:
            reason = f"{'chosen model' if origin == 'settings' else 'skipped'}: {exc}"
            log.warning("%s", reason)
            skipped.append(reason)
            continue
        return ModelChoice(path, origin, info, tuple(skipped))
    where = ", ".join(str(d) for d in dirs)
    problems = "; ".join(skipped) + "; " if skipped else ""
    raise ModelFileError(f"{problems}no usable GGUF model in {where}: {FIX_DEFAULT}, or choose a .gguf file "
                         f"in Settings")

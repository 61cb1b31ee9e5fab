"""The LLM's files, without running a model: the GGUF reader that tells complete, truncated and foreign files
apart, the reasons and fixes a bad model file gets, the order in which a model is found, and the names and
pruning of saved prompt states."""
from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from emotune.llm.model_files import model_locator
from emotune.llm.model_files.gguf import GGUFError, read_gguf_info
from emotune.llm.model_files.model_locator import DEFAULT_MODEL_NAME, ModelFileError, check_model_file, locate_model
from fuzz_inputs import seed_gguf


def test_gguf_reader_tells_complete_truncated_and_foreign_files_apart(tmp_path):
    (tmp_path / "ok.gguf").write_bytes(seed_gguf(1024))
    info = read_gguf_info(tmp_path / "ok.gguf")
    assert (info.architecture, info.tensor_count, info.expected_size) == ("llama", 1, info.file_size)
    (tmp_path / "cut.gguf").write_bytes(seed_gguf(1024, stored=250))
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf_info(tmp_path / "cut.gguf")
    (tmp_path / "zip.gguf").write_bytes(b"PK\3\4" + b"\0" * 64)
    with pytest.raises(GGUFError, match="not a GGUF model file"):
        read_gguf_info(tmp_path / "zip.gguf")
    (tmp_path / "huge.gguf").write_bytes(b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1 << 60))
    with pytest.raises(GGUFError, match="truncated or damaged"):
        read_gguf_info(tmp_path / "huge.gguf")


def test_check_model_file_gives_a_reason_and_a_fix(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        check_model_file(tmp_path / "none.gguf")
    with pytest.raises(ModelFileError, match="folder"):
        check_model_file(tmp_path)
    (tmp_path / "small.gguf").write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(ModelFileError, match="truncated GGUF; choose a complete .gguf"):
        check_model_file(tmp_path / "small.gguf")


def test_discovery_order_settings_then_models_folders_then_default(tmp_path, monkeypatch):
    monkeypatch.setattr(model_locator, "MIN_MODEL_BYTES", 0)
    user, bundled = tmp_path / "user", tmp_path / "bundled"
    user.mkdir(), bundled.mkdir()
    (bundled / DEFAULT_MODEL_NAME).write_bytes(seed_gguf(16))
    assert locate_model(None, [user, bundled]).origin == "default"
    (user / "Mistral-7B.gguf").write_bytes(seed_gguf(16))
    (user / "Broken.gguf").write_bytes(b"nope")
    choice = locate_model(None, [user, bundled])
    assert (choice.name, choice.origin) == ("Mistral-7B.gguf", "models folder")
    assert any("Broken.gguf" in note and "not a GGUF" in note for note in choice.skipped)
    (tmp_path / "chosen.gguf").write_bytes(seed_gguf(16))
    assert locate_model(tmp_path / "chosen.gguf", [user, bundled]).origin == "settings"
    missing = locate_model(tmp_path / "gone.gguf", [user, bundled])
    assert missing.origin == "models folder" and "chosen model: model file not found" in missing.skipped[0]
    with pytest.raises(ModelFileError, match="make install"):
        locate_model(None, [tmp_path / "empty"])


def test_prompt_state_file_name_follows_the_model_file_and_context(tmp_path):
    """A saved prompt state is reused only by the same model file (path, size, time) and context size."""
    from emotune.llm.runtime.prompt_cache import SUFFIX, cache_file

    model = tmp_path / "tiny-model.gguf"
    model.write_bytes(b"GGUF")
    name = cache_file(tmp_path / "cache", model, 2048)
    assert name == cache_file(tmp_path / "cache", model, 2048) and name.parent == tmp_path / "cache"
    assert name.name.startswith("tiny-model-") and name.name.endswith(SUFFIX)
    assert cache_file(tmp_path / "cache", model, 4096) != name
    os.utime(model, ns=(1, 1))
    assert cache_file(tmp_path / "cache", model, 2048) != name


def test_saved_prompt_states_are_pruned_to_the_most_recently_used(tmp_path):
    """One state per model file, and at most KEEP in all: a 7B model's state is ~130 MB."""
    from emotune.llm.runtime.prompt_cache import KEEP, SUFFIX, _prune

    def state(name: str, digest: str, age_s: int) -> Path:
        path = tmp_path / f"{name}-{digest * 16}{SUFFIX}"
        path.write_bytes(b"state")
        os.utime(path, (1e9 - age_s, 1e9 - age_s))
        return path

    stale = state("model-a", "1", 50)                        # model-a before its file changed
    others = [state(f"model-{c}", "2", age) for c, age in zip("bcde", (40, 10, 30, 20))]
    keep_other = state("model-a-b", "3", 5)                 # a name that starts like model-a's
    kept = state("model-a", "4", 0)
    _prune(kept)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert kept.name in left and keep_other.name in left and stale.name not in left
    assert len(left) == KEEP and others[1].name in left     # model-c: the most recent of the rest

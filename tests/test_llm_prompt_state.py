"""The evaluated prompt kept on disk (llm/runtime/prompt_cache.py, prompt_state_file.py) with the real SmolLM2
GGUF, without generating: a saved state comes back exactly (the next token's scores are the same as when it
was evaluated), and every kind of bad file is refused before llama.cpp reads it, logged as one line, and
replaced by the next save. The file check itself is fuzzed in test_fuzz_readers.py (fuzz_targets.py)."""
from __future__ import annotations

import logging
import os
import struct
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from emotune.llm.runtime import prompt_cache
from emotune.llm.runtime.engine import LlamaEngine
from emotune.llm.runtime.prompt_state_file import (LLAMA_CPP_MAGIC, MAGIC, PromptState, PromptStateError, decode,
                                                   encode)
from fuzz_inputs import PROMPT_STATE_IDENTITY, seed_prompt_state

TEXT = b"You read moods from faces and suggest music. Keep it short and kind."


@pytest.fixture
def saved(gguf, tmp_path) -> tuple[Path, tuple[int, ...], np.ndarray]:
    """A state saved after evaluating TEXT, the tokens, and the scores after one more token."""
    engine = LlamaEngine(gguf, n_threads=1)
    engine.load()
    llama = engine._llama
    tokens = llama.tokenize(TEXT)
    llama.eval(tokens)
    path = prompt_cache.cache_file(tmp_path, gguf, engine.n_ctx)
    assert engine.save_prompt(path)
    llama.eval([tokens[-1]])
    scores = np.array(llama.scores[len(tokens)])
    engine.close()
    return path, tuple(tokens), scores


def test_a_saved_prompt_state_comes_back_exactly(gguf, saved):
    path, tokens, scores = saved
    engine = LlamaEngine(gguf, n_threads=1)
    try:
        assert engine.restore_prompt(path) == len(tokens)
        assert engine.evaluated_tokens() == tokens
        engine._llama.eval([tokens[-1]])            # the next token, on the restored state alone
        assert np.array_equal(np.array(engine._llama.scores[len(tokens)]), scores)
    finally:
        engine.close()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x40]) + data[at + 1:]


DAMAGE = {
    "cut short": (lambda d: d[: len(d) // 3], "is cut short"),
    "zeroed": (lambda d: d[:200] + bytes(4096) + d[4296:], "is damaged (its checksum does not match)"),
    "one byte of the state flipped": (lambda d: _flip(d, len(d) - 100), "is damaged (its checksum does not match)"),
    "empty": (lambda d: b"", "is cut short (0 bytes)"),
    "random bytes": (lambda d: np.random.default_rng(5).bytes(len(d)), "is not an EmoTune prompt state"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_bad_prompt_state_is_logged_as_one_line_evaluated_again_and_replaced(gguf, saved, damage, caplog):
    path, tokens, _ = saved
    change, message = DAMAGE[damage]
    path.write_bytes(change(path.read_bytes()))
    engine = LlamaEngine(gguf, n_threads=1)
    try:
        with caplog.at_level(logging.INFO, logger="emotune.llm.runtime.prompt_cache"):
            assert engine.restore_prompt(path) == 0
        assert engine.evaluated_tokens() == ()
        lines = [r for r in caplog.records if r.name == "emotune.llm.runtime.prompt_cache"]
        assert [r.levelno for r in lines] == [logging.WARNING] and lines[0].exc_info is None
        said = lines[0].getMessage()
        assert said.startswith(f"{path.name} {message}") and said.endswith("; the prompt is evaluated again"), said
        engine._llama.eval(list(tokens))             # what the warm-up does next: evaluate, then save
        assert engine.save_prompt(path)
    finally:
        engine.close()
    again = LlamaEngine(gguf, n_threads=1)
    try:
        assert again.restore_prompt(path) == len(tokens)
    finally:
        again.close()


def test_a_state_of_another_context_size_is_refused_as_routine(gguf, saved, caplog):
    path, _, _ = saved
    engine = LlamaEngine(gguf, n_threads=1, n_ctx=1024)
    try:
        with caplog.at_level(logging.INFO, logger="emotune.llm.runtime.prompt_cache"):
            assert engine.restore_prompt(path) == 0
    finally:
        engine.close()
    assert caplog.messages == [f"{path.name} was written for another model file, context size or llama.cpp build;"
                               " the prompt is evaluated again"]
    assert [r.levelno for r in caplog.records] == [logging.INFO]      # a change of model is not damage


def test_a_state_saved_by_an_earlier_emotune_is_replaced_without_a_warning(gguf, saved, tmp_path, caplog):
    """Before its own format EmoTune kept llama.cpp's state file as it is; after an upgrade that file is
    recognised, evaluated again and replaced, with an info line rather than a warning about damage."""
    path, tokens, _ = saved
    engine = LlamaEngine(gguf, n_threads=1)
    engine.load()
    try:
        engine._llama.eval(list(tokens))
        old = tmp_path / "old.bin"
        assert llama_cpp.llama_state_seq_save_file(engine._llama.ctx, os.fsencode(old), 0,
                                                   (llama_cpp.llama_token * len(tokens))(*tokens), len(tokens))
    finally:
        engine.close()
    path.write_bytes(old.read_bytes())
    assert path.read_bytes()[:4] == LLAMA_CPP_MAGIC
    engine = LlamaEngine(gguf, n_threads=1)
    try:
        with caplog.at_level(logging.INFO, logger="emotune.llm.runtime.prompt_cache"):
            assert engine.restore_prompt(path) == 0
        assert caplog.messages == [f"{path.name} was saved by an earlier version of EmoTune; the prompt is evaluated"
                                   " again"]
        assert [r.levelno for r in caplog.records] == [logging.INFO]
        engine._llama.eval(list(tokens))
        assert engine.save_prompt(path)
    finally:
        engine.close()
    assert path.read_bytes()[:8] == MAGIC


def test_a_prompt_state_file_says_what_is_wrong_with_it():
    seed = seed_prompt_state()

    def refused(data: bytes, capacity: int = 64) -> str:
        with pytest.raises(PromptStateError) as info:
            decode(data, PROMPT_STATE_IDENTITY, capacity=capacity, n_vocab=49152, name="s.prompt-state")
        return str(info.value)

    assert refused(seed[:8] + struct.pack("<I", 2) + seed[12:]) == \
        "s.prompt-state has format 2, which this version of EmoTune does not read"
    assert refused(seed, capacity=39) == "s.prompt-state holds 40 tokens, not 1 to 39 (the context size)"
    assert refused(seed + b"\0") == "s.prompt-state has 1 bytes more than it should"
    too_big = encode(PROMPT_STATE_IDENTITY, PromptState((1, 49152), b"x"))
    assert refused(too_big) == "s.prompt-state holds a token outside the model's vocabulary of 49152"
    assert decode(seed, PROMPT_STATE_IDENTITY, capacity=40, n_vocab=49152).tokens == tuple(range(1, 41))

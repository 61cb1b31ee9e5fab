"""The llama.cpp engine: loads one GGUF model lazily, once, thread-safely, and streams chat completions
constrained by a JSON schema. The model's own chat template formats the messages (so any chat GGUF works),
n_ctx is sized for the analysis prompt (llama-cpp-python's default of 512 is too small for some templates)
and threads follow the core count. Call `load` and `generate` from a worker thread, never the GUI thread."""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from emotune.llm.model_files.gguf import GGUFInfo
from emotune.llm.model_files.model_locator import ModelFileError, check_model_file
from emotune.llm.runtime import prompt_cache
from emotune.llm.runtime.native_logs import ensure_std_fds, route_llama_logs
from emotune.llm.runtime.native_logs import log as native_log
from emotune.llm.runtime.prefix_states import PrefixStates

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]          # (fraction 0..1, message for the user)
ChunkSink = Callable[[str], bool]                  # gets each text chunk; False stops generation

DEFAULT_N_CTX = 2048


class ModelLoadError(RuntimeError):
    """The model could not be loaded; the message is for the user (what is wrong, how to fix it)."""


@dataclass(frozen=True)
class Generation:
    """One streamed completion. finish_reason: "stop" (JSON closed), "length" (ran into max_tokens),
    "stopped" (the sink asked to stop: cancelled or out of time)."""

    text: str
    finish_reason: str
    chunks: int                 # streamed pieces, one per generated token in practice
    first_chunk_s: float        # time to first token, from the call (includes prompt processing)
    elapsed_s: float
    resampled: int = 0          # tokens the grammar rejected, drawn again with it (see sampling.py)

    @property
    def tokens_per_s(self) -> float:
        gen_time = self.elapsed_s - self.first_chunk_s
        return (self.chunks - 1) / gen_time if self.chunks > 1 and gen_time > 0 else 0.0


def default_threads() -> int:
    """Threads for llama.cpp. Its worker threads spin-wait on each other, so when the camera, the emotion
    model and the GUI need a core at the same time, one descheduled llama thread stalls all of them
    (measured on a busy 2-core machine: 1 thread 1.1 s, 2 threads 7-26 s for the same reply). So leave one
    core free on small machines and use the physical half of larger ones."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores - 1 if cores <= 4 else cores // 2)


class LlamaEngine:
    """One model file, loaded on first use. Generations never overlap (llama.cpp contexts are not
    reentrant): `generate` waits for the previous one, which a newer request will have asked to stop."""

    def __init__(self, model_path: Path | str, *, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None,
                 llama_kwargs: dict[str, Any] | None = None) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.llama_kwargs = dict(llama_kwargs or {})
        self.info: GGUFInfo | None = None
        self.load_s = 0.0
        self._llama = None
        self._error: ModelLoadError | None = None
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self.prefixes = PrefixStates()     # evaluated prompt prefixes per worked example (prefix_states.py)

    @property
    def name(self) -> str:
        return self.model_path.name

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    @property
    def error(self) -> str | None:
        return str(self._error) if self._error else None

    def load(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> None:
        """Loads the model once; later calls return at once (or raise the same ModelLoadError)."""
        with self._load_lock:
            if self._llama is not None:
                return
            if self._error is not None:
                raise self._error
            try:
                self._llama = self._load(_guarded(progress), cancel)
            except ModelLoadError as exc:
                if cancel is not None and cancel.is_set():
                    raise   # a cancelled load is not a broken model: the next call tries again
                self._error = exc
                log.warning("LLM not loaded: %s", exc)
                raise

    def _load(self, progress: Progress, cancel: threading.Event | None):
        progress(0.0, f"checking {self.name}")
        try:
            self.info = check_model_file(self.model_path)
        except ModelFileError as exc:
            raise ModelLoadError(str(exc)) from None
        ensure_std_fds()
        try:
            route_llama_logs()
        except (ImportError, OSError) as exc:  # a broken install, not a broken model
            raise ModelLoadError(f"llama-cpp-python is not installed or broken ({exc}); reinstall EmoTune") from exc
        n_ctx = min(self.n_ctx, self.info.context_length) if self.info.context_length else self.n_ctx

        def on_progress(fraction: float, _user_data) -> bool:
            progress(0.05 + 0.9 * float(fraction), f"loading {self.name}")
            return not (cancel is not None and cancel.is_set())

        started = time.perf_counter()
        try:
            params = dict(model_path=str(self.model_path), n_ctx=n_ctx, n_threads=self.n_threads,
                          n_threads_batch=self.n_threads, verbose=False) | self.llama_kwargs
            llama = _new_llama(on_progress, **params)
        except (ValueError, RuntimeError, OSError) as exc:
            if cancel is not None and cancel.is_set():
                raise ModelLoadError(f"loading {self.name} was cancelled") from None
            raise ModelLoadError(f"llama.cpp could not load {self.name} ({exc}); the file may be damaged or "
                                 f"made for a newer llama.cpp: choose another .gguf model") from None
        self.load_s = time.perf_counter() - started
        if not self.info.has_chat_template:
            log.warning("%s has no chat template; llama.cpp falls back to a generic one", self.name)
        log.info("loaded %s in %.2f s (n_ctx %d, %d threads)", self.name, self.load_s, n_ctx, self.n_threads)
        progress(1.0, f"{self.name} ready")
        return llama

    def generate(self, messages: list[dict[str, str]], *, schema: dict, max_tokens: int, sink: ChunkSink,
                 seed: int | None = None, temperature: float = 0.3, wait_s: float | None = None,
                 stop: Callable[[], bool] | None = None, prefix_key: str | None = None) -> Generation:
        """Streams one chat completion whose text must match `schema`; `sink` gets each chunk and may stop
        it. `stop` is asked while llama.cpp computes, so it also ends the prompt's evaluation, which comes
        before any chunk (with a 7B model that can take a minute). `prefix_key` names the prompt's prefix
        (its worked example): its evaluated state is kept and put back when it comes again after another.
        Loads the model first if needed. Waits at most `wait_s` for a running generation to finish
        (TimeoutError otherwise)."""
        self.load()
        if not self._gen_lock.acquire(timeout=-1 if wait_s is None else max(0.0, wait_s)):
            raise TimeoutError("the model is still busy with an earlier request")
        try:
            self.prefixes.before(self._llama, prefix_key)
            try:
                with _abort_when(self._llama, stop) as aborted:
                    gen = self._generate(messages, schema, max_tokens, sink, seed, temperature, aborted)
            except BaseException:
                self.prefixes.held = None        # what the model holds is unknown: restore before the next
                raise
            if gen.finish_reason == "stopped":
                self.prefixes.held = prefix_key   # partly evaluated: kept, but not saved
            else:
                self.prefixes.after(self._llama, prefix_key)
            return gen
        finally:
            self._gen_lock.release()

    def _generate(self, messages, schema, max_tokens, sink, seed, temperature, aborted) -> Generation:
        started = time.perf_counter()
        stream = self._llama.create_chat_completion(
            messages=messages, response_format={"type": "json_object", "schema": schema},
            max_tokens=max_tokens, temperature=temperature, seed=seed, stream=True,
        )
        parts: list[str] = []
        first = 0.0
        finish = "length"
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                piece = choice.get("delta", {}).get("content") or ""
                if piece:
                    if not parts:
                        first = time.perf_counter() - started
                    parts.append(piece)
                    if not sink(piece):
                        finish = "stopped"
                        break
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        except RuntimeError:
            if not aborted.is_set():
                raise
            finish = "stopped"   # llama_decode gave up mid-batch; llama-cpp-python keeps only finished batches
        finally:
            stream.close()  # ends llama.cpp's generation loop at once when we stopped early
        resampled = getattr(getattr(self._llama, "sampler_in_use", None), "resampled", 0)
        return Generation("".join(parts), finish, len(parts), first, time.perf_counter() - started, resampled)

    def evaluated_tokens(self) -> tuple[int, ...]:
        """The tokens the model holds evaluated (the last prompt), which the next generation reuses."""
        with self._gen_lock:
            return tuple(self._llama.input_ids[: self._llama.n_tokens].tolist()) if self._llama else ()

    def save_prompt(self, path: Path) -> bool:
        """Writes the evaluated tokens and their state to `path` (see prompt_cache.py)."""
        with self._gen_lock:
            return self._llama is not None and prompt_cache.save(self._llama, path)

    def restore_prompt(self, path: Path) -> int:
        """Loads the model if needed, then a state written by `save_prompt`; returns the tokens restored (0 when
        the file is missing or unusable, or the model already holds an evaluated prompt)."""
        self.load()
        with self._gen_lock:
            if self._llama.n_tokens:
                return 0
            self.prefixes.forget()
            return prompt_cache.restore(self._llama, path)

    def close(self) -> None:
        """Frees the model's memory (the app calls this on exit, from the thread that used it)."""
        with self._load_lock, self._gen_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None
                self.prefixes.forget()


@contextmanager
def _abort_when(llama, stop: Callable[[], bool] | None) -> Iterator[threading.Event]:
    """Lets `stop` end llama.cpp's computation: llama.cpp asks its abort callback between graph nodes (about
    600 times a token for SmolLM2, no measurable cost). The event is set once it did."""
    aborted = threading.Event()
    if stop is None:
        yield aborted
        return
    import llama_cpp

    def check(_data) -> bool:
        if not aborted.is_set():
            try:
                if stop():
                    aborted.set()
            except Exception:  # noqa: BLE001 - an exception cannot cross into llama.cpp
                log.exception("stop check failed")
        return aborted.is_set()

    callback = llama_cpp.ggml_abort_callback(check)   # referenced here until llama.cpp lets go of it
    llama_cpp.llama_set_abort_callback(llama.ctx, callback, None)
    quiet = _QuietOnceAborted(aborted)
    native_log.addFilter(quiet)
    try:
        yield aborted
    finally:
        llama_cpp.llama_set_abort_callback(llama.ctx, llama_cpp.ggml_abort_callback(), None)
        native_log.removeFilter(quiet)


class _QuietOnceAborted(logging.Filter):
    """llama.cpp reports the decode that our abort callback ended as an error ("failed to decode"): expected
    when the user cancels or closes the window, so it goes to DEBUG instead of a warning in the log."""

    def __init__(self, aborted: threading.Event) -> None:
        super().__init__()
        self.aborted = aborted

    def filter(self, record: logging.LogRecord) -> bool:
        if self.aborted.is_set() and record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= logging.getLogger(record.name).getEffectiveLevel()


def _guarded(progress: Progress | None) -> Progress:
    """`progress` that never raises: an exception inside llama.cpp's load callback would abort the load."""
    def call(fraction: float, message: str) -> None:
        if progress is None:
            return
        try:
            progress(fraction, message)
        except Exception:  # noqa: BLE001 - a broken progress display must not fail the model
            log.exception("load progress callback failed")
    return call


def _llama_class():
    from llama_cpp import Llama, llama_progress_callback

    from emotune.llm.runtime import sampling

    class EmoTuneLlama(Llama):
        """Llama with two changes. llama.cpp's load-progress callback is set: llama-cpp-python builds its
        model parameters inside __init__ and offers no argument for it, so the assignment is intercepted.
        And schema-constrained replies sample grammar-last (see sampling.py): 58 instead of 41 tokens/s."""

        def __init__(self, on_progress, grammar_last: bool = True, **kwargs) -> None:
            self._progress_cb = llama_progress_callback(on_progress)
            self.grammar_last = grammar_last
            self.sampler_in_use = None
            super().__init__(**kwargs)

        @property
        def model_params(self):
            return self.__dict__["_model_params"]

        @model_params.setter
        def model_params(self, params) -> None:
            params.progress_callback = self._progress_cb
            self.__dict__["_model_params"] = params

        def _init_sampler(self, **params):
            init = super()._init_sampler
            self.sampler_in_use = sampling.grammar_last(init, **params) if self.grammar_last else init(**params)
            return self.sampler_in_use

    return EmoTuneLlama


def _new_llama(on_progress, **kwargs):
    return _llama_class()(on_progress, **kwargs)

"""The Analyst: turns an AnalysisRequest into an Analysis with the local model, and always returns one.

Flow: grounded prompt → streamed, schema-constrained reply that goes on from a first sentence our code writes
from the measurement (the summary reaches `on_text` as it is typed) → validate and repair → on an invalid
reply one retry with another seed and the same worked example → else the deterministic fallback. A newer
`analyze` call cancels the running one; a time budget ends a slow generation cleanly, prompt evaluation included.
Qt-free: the GUI calls `load` and `analyze` from a worker thread and passes results on by signals.
"""
from __future__ import annotations

import logging
import random
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from emotune.core.history import MoodSummary
from emotune.llm.catalog_backing import PhraseCheck, backed, checked_phrases, with_named_genres
from emotune.llm.fallback import fallback_analysis, mood_label, summary_text
from emotune.llm.grounding import measured_opening, music_word_problems, restates
from emotune.llm.model_files.model_locator import ModelFileError, locate_model
from emotune.llm.prompt import (
    EXAMPLE_SENTENCES,
    build_messages,
    example_key,
    longest_prompt_chars,
    offered_genres,
    reply_start,
)
from emotune.llm.runtime import prompt_cache
from emotune.llm.runtime.engine import Generation, LlamaEngine, ModelLoadError, Progress
from emotune.llm.schema import MAX_TOKENS, InvalidReply, build_schema, check_reply
from emotune.llm.stream import FieldStreamer
from emotune.llm.targets import music_targets
from emotune.llm.values import Analysis, AnalysisRequest

log = logging.getLogger(__name__)

TextSink = Callable[[str], None]     # the summary so far (whole text, not a delta)
DEFAULT_TIME_BUDGET_S = 30.0         # a 7B model on a laptop CPU needs ~20 s for a reply; SmolLM2 ~2 s
RETRY_HEAT = 0.3                     # the retry's extra temperature: another draw, not the same reply again
_LOOP = re.compile(r"(.{1,8}?)\1{7,}$", re.DOTALL)   # a unit repeated 8+ times at the end: a looping model


def context_size(max_tokens: int = MAX_TOKENS) -> int:
    """n_ctx for the longest possible analysis prompt plus the reply (at most one token per 3 characters,
    plus the chat template's own tokens), rounded up to 256. llama-cpp-python's default of 512 is too small."""
    needed = longest_prompt_chars() // 3 + 128 + max_tokens
    return max(1024, -(-needed // 256) * 256)


@dataclass
class _Ticket:
    """One running request; `superseded` is set when a newer one starts."""

    superseded: threading.Event = field(default_factory=threading.Event)


class Analyst:
    """Mood analysis with an injected engine (None when no model could be found: every result is then the
    fallback, with the reason)."""

    def __init__(self, engine: LlamaEngine | None, *, time_budget_s: float = DEFAULT_TIME_BUDGET_S,
                 max_tokens: int = MAX_TOKENS, temperature: float = 0.3, seed: int | None = None,
                 unavailable_reason: str = "", clock: Callable[[], float] = time.monotonic,
                 prompt_cache_dir: Path | None = None, phrase_check: PhraseCheck | None = None) -> None:
        self.engine = engine
        self.time_budget_s = time_budget_s
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self._unavailable = unavailable_reason or ("" if engine else "no language model configured")
        self._clock = clock
        self._lock = threading.Lock()
        self._current: _Ticket | None = None
        self.notes: tuple[str, ...] = ()   # why discovery passed over earlier candidates (for the status bar)
        self.last_generation: Generation | None = None   # timings of the latest model reply (benchmark, log)
        self.prompt_cache_dir = prompt_cache_dir   # where warm_up keeps the evaluated fixed prompt; None: nowhere
        self.prompt_restored = 0                   # tokens warm_up restored from that cache instead of evaluating
        self.phrase_check = phrase_check           # keeps the search phrases and genres the catalog backs

    @classmethod
    def for_model(cls, model_path: Path | str, **kwargs) -> Analyst:
        """An Analyst for one GGUF file (not loaded yet), with n_ctx sized for the analysis prompt."""
        max_tokens = kwargs.get("max_tokens", MAX_TOKENS)
        return cls(LlamaEngine(model_path, n_ctx=context_size(max_tokens)), **kwargs)

    @classmethod
    def discover(cls, settings_path: Path | str | None = None, model_dirs: Sequence[Path] | None = None,
                 **kwargs) -> Analyst:
        """An Analyst for the first usable model in discovery order (settings, models folders, default)."""
        try:
            choice = locate_model(settings_path, model_dirs)
        except ModelFileError as exc:
            return cls(None, unavailable_reason=str(exc), **kwargs)
        analyst = cls.for_model(choice.path, **kwargs)
        analyst.notes = choice.skipped
        return analyst

    @property
    def model_name(self) -> str:
        return self.engine.name if self.engine else ""

    @property
    def error(self) -> str | None:
        """Why the model cannot be used, or None while it can (or has not been tried yet)."""
        if self.engine is None:
            return self._unavailable
        return self.engine.error

    def load(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> bool:
        """Loads the model (worker thread); True when ready. Failures are reported through `error`."""
        if self.engine is None:
            if progress:
                progress(1.0, self._unavailable)
            return False
        try:
            self.engine.load(progress, cancel)
        except ModelLoadError as exc:
            if progress:
                progress(1.0, str(exc))
            return False
        return True

    def warm_up(self, catalog_genres: Sequence[str] = (), cancel: threading.Event | None = None) -> bool:
        """Evaluates the fixed part of the prompt (instructions, genre list, worked examples; ~1,000 tokens)
        once, right after `load` in the same worker, so the first real analysis evaluates only its own
        ~120 tokens (measured on an idle 2-core machine: 9.9 s for a first analysis without it, 2.4 s after).
        With `prompt_cache_dir` the evaluated prompt is restored from the last run instead, and saved when it
        had to be evaluated (prompt_cache.py). True when done; False without a model or when cancelled."""
        if self.engine is None or not self.load(cancel=cancel):
            return False
        cache = self._prompt_cache_file()
        if cache is not None:
            self.prompt_restored = self.engine.restore_prompt(cache)
        held = self.engine.evaluated_tokens()
        neutral = MoodSummary(shares={"neutral": 1.0}, dominant="neutral", dominant_held_s=0.0, trend="steady",
                              valence=0.0, arousal=0.0, face_count=1, duration_s=0.0, samples=1)
        request = AnalysisRequest(neutral, hour=12, catalog_genres=tuple(catalog_genres))
        try:
            cancelled = (lambda: cancel.is_set()) if cancel is not None else None
            gen = self.engine.generate(build_messages(request), schema=build_schema(offered_genres(request)),
                                       max_tokens=1, sink=lambda piece: True, wait_s=0.0, stop=cancelled,
                                       prefix_key=example_key(request))
        except Exception as exc:  # noqa: BLE001 - busy or failing: the first analysis just takes longer
            log.info("prompt warm-up skipped: %s", exc)
            return False
        if gen.finish_reason == "stopped":
            return False
        if cache is not None and self.engine.evaluated_tokens() != held:
            self.engine.save_prompt(cache)
        return True

    def _prompt_cache_file(self) -> Path | None:
        if self.prompt_cache_dir is None:
            return None
        try:
            return prompt_cache.cache_file(self.prompt_cache_dir, self.engine.model_path, self.engine.n_ctx)
        except OSError as exc:
            log.info("no prompt cache: %s", exc)
            return None

    def cancel_current(self) -> None:
        """Asks the running analysis, if any, to stop (its result comes back marked cancelled)."""
        with self._lock:
            if self._current:
                self._current.superseded.set()

    def analyze(self, request: AnalysisRequest, on_text: TextSink | None = None,
                cancel: threading.Event | None = None) -> Analysis:
        """The analysis of `request` (worker thread). Cancels any analysis still running."""
        ticket = _Ticket()
        with self._lock:
            if self._current:
                self._current.superseded.set()
            self._current = ticket
        started = self._clock()
        try:
            result = self._analyze(request, on_text or (lambda text: None), cancel, ticket)
        finally:
            with self._lock:
                if self._current is ticket:
                    self._current = None
        result = _with_elapsed(result, self._clock() - started)
        log.info("analysis: %s%s in %.2f s", result.source, f" ({result.reason})" if result.reason else "",
                 result.elapsed_s)
        return result

    def _analyze(self, request: AnalysisRequest, on_text: TextSink, cancel: threading.Event | None,
                 ticket: _Ticket) -> Analysis:
        if self.engine is None:
            return self._fallback(request, on_text, f"no language model: {self._unavailable}")
        try:
            self.engine.load()
        except ModelLoadError as exc:
            return self._fallback(request, on_text, f"the language model could not be loaded: {exc}")
        run = _Run(request, cancel, ticket, self._clock, self.time_budget_s)
        base_seed = self.seed if self.seed is not None else random.randrange(1 << 30)
        problems: list[str] = []
        try:
            for attempt in (1, 2):
                run.check()
                if attempt == 1 and run.opening:   # ours is checked by construction: shown at once
                    _safe(on_text, run.opening)
                gen, looping = self._generate(run, base_seed + attempt - 1, attempt)
                try:
                    return self._accepted(run, gen, looping, on_text, problems)
                except InvalidReply as exc:
                    problems.append(str(exc))
                    # DEBUG: the reply describes the user's mood, which an INFO log would keep on disk
                    log.debug("attempt %d invalid: %s; reply: %.300r", attempt, exc, gen.text)
        except _GiveUp as stop:
            return self._fallback(request, on_text, stop.reason, stop.cancelled)
        return self._fallback(request, on_text, "the model's replies were invalid twice: " + " / ".join(problems))

    def _fallback(self, request: AnalysisRequest, on_text: TextSink, reason: str,
                  cancelled: bool = False) -> Analysis:
        """The deterministic analysis, with the reason the model's did not come (shown unless cancelled)."""
        result = fallback_analysis(request, reason, model=self.model_name, cancelled=cancelled)
        if not cancelled and self.phrase_check is not None:   # the fixed rules' phrases the catalog backs
            kept = backed(self.phrase_check, result.search_phrases, result.target_valence)
            result = replace(result, search_phrases=kept or result.search_phrases)
        if not cancelled:
            _safe(on_text, result.summary)
        return result

    def _generate(self, run: _Run, seed: int, attempt: int) -> tuple[Generation, bool]:
        """One reply from the model, and whether it got stuck repeating itself; _GiveUp when it was stopped
        or failed.

        The summary's first sentence is ours, from the measurement (main and second emotion, span, trend: what
        rejected replies most often got wrong); the model writes the second, which starts with the time of
        day. The retry is another draw from the same prompt (another seed, a little more temperature): its
        prompt is already evaluated, so it costs only the reply's ~50 tokens. Until issue 25 the retry went
        without the worked example and wrote our sentence out itself; SmolLM2 then wrote replies that passed
        the checks but said nothing ("This evening, youre sure to see the next song.") and spent ~1 s
        evaluating the prompt without the example."""
        streamer = FieldStreamer("summary")
        looping = False

        def sink(piece: str) -> bool:
            # the model's words reach on_text only once the whole reply has passed the checks (_accepted): a
            # rejected reply used to stream on screen before it was replaced
            nonlocal looping
            streamer.feed(piece)
            looping = bool(_LOOP.search(streamer.text[-96:]))
            return not looping and run.stop_reason() is None

        try:
            gen = self.engine.generate(run.messages, schema=run.schema, max_tokens=self.max_tokens,
                                       sink=sink, seed=seed,
                                       temperature=self.temperature + RETRY_HEAT * (attempt - 1),
                                       wait_s=max(0.0, run.deadline - self._clock()),
                                       stop=lambda: run.stop_reason() is not None,
                                       prefix_key=example_key(run.request))
        except TimeoutError:
            raise _GiveUp(f"the time budget of {self.time_budget_s:g} s ran out while the model was busy") from None
        except Exception as exc:  # noqa: BLE001 - llama.cpp errors (context overflow, decode failure)
            log.exception("generation failed")
            raise _GiveUp(f"the language model failed: {exc}") from exc
        self.last_generation = gen
        if gen.finish_reason == "stopped" and not looping:
            raise _GiveUp(run.stop_reason() or "stopped")
        return gen, looping

    def _accepted(self, run: _Run, gen: Generation, looping: bool, on_text: TextSink,
                  problems: Sequence[str]) -> Analysis:
        """The Analysis of a reply that passes every check (its summary goes to `on_text`); InvalidReply
        otherwise. `problems`: what was wrong with the earlier attempts."""
        request, s = run.request, run.request.summary
        try:
            if looping:
                raise InvalidReply("the reply got stuck repeating itself")
            checked = check_reply(gen.text, run.genres, s, request.time_of_day, request.journal,
                                  liked=request.preferred_genres, examples=EXAMPLE_SENTENCES, opening=run.opening,
                                  then=run.then)
            if restates(checked.summary, run.deterministic):
                raise InvalidReply("the summary only restates the measured facts")
        except InvalidReply as exc:
            cut = " (it ran into the token limit)" if gen.finish_reason == "length" else ""
            raise InvalidReply(f"{exc}{cut}") from exc
        targets = music_targets(s, request.goal)
        picked = backed(self.phrase_check, checked.genres, targets.valence)
        notes: tuple[str, ...] = ()
        if len(picked) < len(checked.genres):
            notes += (f"genres the catalog does not back for this mood dropped: "
                      f"{', '.join(g for g in checked.genres if g not in picked)}",)
        picked = with_named_genres(self.phrase_check, checked.summary, picked, run.genres, targets.valence)
        if stray := music_word_problems(checked.summary, picked, request.preferred_genres, run.genres):
            raise InvalidReply(stray[0])   # the words would not agree with the list shown beside them
        _safe(on_text, checked.summary)
        phrases, more = checked_phrases(self.phrase_check, checked.search_phrases, request, run.label,
                                        targets.valence)
        return Analysis(
            summary=checked.summary, mood=run.label, target_valence=targets.valence, target_energy=targets.energy,
            search_phrases=phrases, genres=picked, source="llm-retry" if problems else "llm",
            reason=f"first reply invalid: {problems[0]}" if problems else "", model=self.model_name,
            notes=checked.notes + notes + more,
        )


class _GiveUp(Exception):
    """Ends an analysis early with the fallback: stopped, cancelled, out of time, or the model failed. A reason
    that starts with "cancelled" (`_Run.stop_reason`) marks the result cancelled: nothing is shown for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason, self.cancelled = reason, reason.startswith("cancelled")


class _Run:
    """One analysis: what its two attempts share (the request's offered genres, mood label, measured
    opening, the reply's start, the prompt and the reply schema) and when it must stop (cancelled, replaced by a
    newer request, out of time)."""

    def __init__(self, request: AnalysisRequest, cancel: threading.Event | None, ticket: _Ticket,
                 clock: Callable[[], float], time_budget_s: float) -> None:
        self.request = request
        self.genres = offered_genres(request)
        s = request.summary
        self.label = mood_label(s.dominant, s.valence, s.arousal)
        self.deterministic = summary_text(request, self.label)
        self.opening = measured_opening(s)
        self.then = reply_start(request)
        self.messages = build_messages(request)
        self.schema = build_schema(self.genres, self.then, model_first=not self.opening)
        self.deadline = clock() + time_budget_s
        self._cancel, self._ticket, self._clock, self._budget = cancel, ticket, clock, time_budget_s

    def stop_reason(self) -> str | None:
        if self._cancel is not None and self._cancel.is_set():
            return "cancelled"
        if self._ticket.superseded.is_set():
            return "cancelled: a newer request replaced it"
        if self._clock() > self.deadline:
            return f"the time budget of {self._budget:g} s ran out"
        return None

    def check(self) -> None:
        """_GiveUp when the analysis must stop now."""
        if reason := self.stop_reason():
            raise _GiveUp(reason)


def _with_elapsed(result: Analysis, elapsed: float) -> Analysis:
    return replace(result, elapsed_s=elapsed)


def _safe(callback: TextSink, text: str) -> None:
    try:
        callback(text)
    except Exception:  # noqa: BLE001 - a broken display callback must not lose the analysis
        log.exception("on_text callback failed")

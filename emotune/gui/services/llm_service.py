"""The local language model behind the window's AnalysisService interface.

Why an adapter: the window speaks `services.AnalysisRequest`/`AnalysisView` and streamed text; emotune.llm
speaks its own request (summary, hour, genres, goal) and `Analysis`. This class translates both ways and
turns "the model could not be loaded" into an exception with a fix hint, which the session answers by
switching to the plain summary. Every method here runs in the LLM pool's one thread, never the GUI thread.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable, Sequence

from emotune.core.errors import UserFacingError
from emotune.gui.services.interfaces import AnalysisRequest, AnalysisView

log = logging.getLogger(__name__)

CHOOSE_HINT = "Choose another .gguf file in Settings → Language model file."


class ModelUnavailable(UserFacingError):
    """The language model cannot be used; the text says why and how to fix it. Expected (a missing or damaged
    GGUF is the user's file, not a bug), so its job logs one line, not a traceback (workers/tasks.py)."""


class LlmAnalyst:
    """Wraps an `emotune.llm.analyst.Analyst`, made by `factory` in the worker on first use (finding the model
    reads files). `genres` lists the catalog's genres, the only ones the model may suggest."""

    def __init__(self, factory: Callable[[], object], genres: Callable[[], Sequence[str]] = tuple) -> None:
        self._factory = factory
        self._genres = genres
        self._lock = threading.Lock()
        self._analyst = None
        self.name = "language model"
        # the journal's recent summary (JournalSummary or None), plugged in by engines.plug_journal; asked only
        # when the user allowed it (Preferences.journal_in_analysis), here in the LLM pool
        self.journal: Callable[[], object] | None = None
        # (phrase, target valence) -> whether the catalog backs it, plugged in by engines.plug_phrases
        self.phrase_check: Callable[[str, float], bool] | None = None

    @property
    def analyst(self):
        with self._lock:
            if self._analyst is None:
                self._analyst = self._factory()
                self.name = self._analyst.model_name or self.name
            return self._analyst

    def load(self, progress: Callable[[str], None], cancel: threading.Event | None = None) -> str:
        """Finds and loads the GGUF (worker thread); returns the model's name or raises ModelUnavailable."""
        def report(fraction: float, message: str) -> None:
            progress(f"Language model: {message} ({fraction:.0%})" if fraction < 1 else f"Language model: {message}")

        analyst = self.analyst
        for note in getattr(analyst, "notes", ()) or ():
            progress(f"Language model {note}")
        if not analyst.load(report, cancel):
            if cancel is not None and cancel.is_set():
                raise ModelUnavailable("loading the language model was cancelled")
            reason = analyst.error or "it could not be loaded"
            raise ModelUnavailable(f"{reason.rstrip('.')}. {CHOOSE_HINT}")
        # the fixed part of the prompt, evaluated once now (or restored from the last run), spares the first
        # analysis ~10-20 s
        progress("Language model: preparing the analysis prompt")
        analyst.warm_up(self._catalog_genres(), cancel)
        return self.name

    def close(self) -> None:
        """Frees the model (LLM pool thread, the one that used it: llama.cpp must not be torn down by the
        interpreter's exit, which crashes on a loaded model)."""
        with self._lock:
            analyst, self._analyst = self._analyst, None
        engine = getattr(analyst, "engine", None)
        if engine is not None:
            engine.close()

    def analyze(self, request: AnalysisRequest, on_text: Callable[[str], None],
                cancel: threading.Event) -> AnalysisView:
        """The model's analysis; `on_text` gets the summary so far as it is written (worker thread)."""
        analyst = self.analyst
        if self.phrase_check is not None and hasattr(analyst, "phrase_check"):
            analyst.phrase_check = self.phrase_check
        result = analyst.analyze(self.llm_request(request), on_text=on_text, cancel=cancel)
        # a cancelled result (newer request, window closing) comes back as the fallback; the task runner and the
        # session drop it, so it is never shown
        source = "llm" if result.source.startswith("llm") else "fallback"
        note = (f"{result.model}, {result.elapsed_s:.1f} s" if source == "llm"
                else fallback_note(result.reason, request.summary is not None and request.summary.manual))
        return AnalysisView(result.summary, source, result.mood, note, raw=result)

    def llm_request(self, request: AnalysisRequest):
        from emotune.llm.values import AnalysisRequest as LlmRequest

        prefs = request.prefs
        return LlmRequest.now(request.summary, preferred_genres=prefs.genres, preferred_languages=prefs.languages,
                              goal=request.mode if request.mode in ("match", "lift") else "match",
                              catalog_genres=self._catalog_genres(), journal=self._journal_days(prefs))

    def _journal_days(self, prefs) -> tuple:
        """Earlier days from the journal when the user allowed it and the journal is open, else ()."""
        source = self.journal
        if not getattr(prefs, "journal_in_analysis", False) or source is None:
            return ()
        try:
            return journal_days(source())
        except Exception as exc:  # noqa: BLE001 - a journal problem must not stop the analysis
            log.warning("analysis without the journal: %s", exc)
            return ()

    def _catalog_genres(self) -> tuple[str, ...]:
        try:
            return tuple(self._genres())
        except Exception as exc:  # noqa: BLE001 - a missing catalog must not stop the analysis
            log.warning("no catalog genres for the analysis: %s", exc)
            return ()


def fallback_note(reason: str, hand_set: bool = False) -> str:
    """What the panel says when the model's words are not shown: plainly, without the checks' own reasons
    (those go to the log), that a short summary stands in. `reason` is the Analyst's."""
    log.info("analysis fallback: %s", reason)
    what = "the mood you set" if hand_set else "the measured mood"
    if "time budget" in reason:
        why = "The language model took too long"
    elif reason.startswith("no language model"):
        why = "No language model is available"
    else:
        why = "The language model's reply did not hold up"
    return f"{why}, so a short summary of {what} is shown instead"


def journal_days(summary, today: dt.date | None = None) -> tuple:
    """The journal summary's earlier days (not today: the live measurements tell it) as llm JournalDays,
    newest first; () for no summary."""
    from emotune.llm.values import JournalDay

    today = today or dt.date.today()
    days = []
    for day in getattr(summary, "per_day", ()) or ():
        ago = (today - dt.date.fromisoformat(day.day)).days
        if ago >= 1 and day.samples:
            days.append(JournalDay(ago, day.dominant, day.share, day.valence))
    return tuple(sorted(days, key=lambda d: d.days_ago))


def make_llm_analyst(model_path: str, genres: Callable[[], Sequence[str]], model_dirs=None,
                     prompt_cache_dir=None, time_budget_s: float | None = None,
                     seed: int | None = None) -> LlmAnalyst:
    """The analyst for the GGUF chosen in settings, else the first usable one in the models folders (see
    emotune.llm.model_files.model_locator); nothing is read until `load` runs in the worker.
    `prompt_cache_dir` keeps the evaluated fixed prompt between runs (emotune.llm.runtime.prompt_cache);
    `time_budget_s` (None: the analyst's default) is how long an analysis may take before the fallback stands
    in; `seed` (None: a new one each analysis) pins the sampling."""
    def factory():
        from emotune.llm.analyst import Analyst

        budget = {} if time_budget_s is None else {"time_budget_s": time_budget_s}
        return Analyst.discover(model_path or None, model_dirs, prompt_cache_dir=prompt_cache_dir, seed=seed,
                                **budget)

    return LlmAnalyst(factory, genres)

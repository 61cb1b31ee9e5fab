"""What the tests of the real language model share: the sampling seed, a time budget that never hands a reply to
the fallback on a busy machine, and the check that an analysis is well formed."""
from __future__ import annotations

from emotune.llm.schema import MAX_GENRES, MAX_PHRASES, SUMMARY_MAX_CHARS
from emotune.llm.targets import music_targets
from emotune.llm.values import MOOD_LABELS, SOURCES

SEED = 1234
# these tests require the model's own reply; the app's 30 s budget would hand it to the fallback on a busy
# machine (the budget itself is tested with a fake clock)
BUDGET_S = 900.0


def assert_valid(result, request, llm: bool = True) -> None:
    """A well-formed analysis; with `llm` (the real model loaded) one the model wrote, never the fallback.
    The music's numbers are the measured ones whoever wrote the words (the model writes none)."""
    assert result.source in (("llm", "llm-retry") if llm else SOURCES), (result.source, result.reason)
    assert result.mood in MOOD_LABELS
    targets = music_targets(request.summary, request.goal)
    assert (result.target_valence, result.target_energy) == (targets.valence, targets.energy)
    assert 0 < len(result.summary) <= SUMMARY_MAX_CHARS
    assert len(result.search_phrases) <= MAX_PHRASES and all(0 < len(p) <= 40 for p in result.search_phrases)
    assert len(result.genres) <= MAX_GENRES and set(result.genres) <= set(request.catalog_genres)

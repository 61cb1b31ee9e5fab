"""Keeps what a reply proposes only where the catalog backs it: genres and search phrases that find tracks on the
mood's side of valence, and phrases a person would really type. Without a catalog check every item is kept."""
from __future__ import annotations

import logging
from typing import Callable, Sequence

from emotune.llm.fallback import search_phrases
from emotune.llm.grounding import genres_named
from emotune.llm.prompt import EXAMPLE_PHRASES
from emotune.llm.schema import MAX_GENRES
from emotune.llm.values import AnalysisRequest

log = logging.getLogger(__name__)

# (search phrase or genre, target valence 0..1) -> whether the catalog finds tracks for it on that side of
# valence (emotune.music.lists.phrase_search.PhraseSearch.suits); None: no catalog to ask, every phrase is kept
PhraseCheck = Callable[[str, float], bool]


def backed(check: PhraseCheck | None, items: Sequence[str], valence: float) -> tuple[str, ...]:
    """The items the catalog finds tracks for on the target's side of valence (all without a check)."""
    if check is None:
        return tuple(items)
    kept = []
    for item in items:
        try:
            if check(item, valence):
                kept.append(item)
        except Exception:  # noqa: BLE001 - a broken catalog check must not cost the analysis
            log.exception("phrase check failed")
            return tuple(items)
    return tuple(kept)


def with_named_genres(check: PhraseCheck | None, summary: str, picked: tuple[str, ...], offered: Sequence[str],
                      valence: float) -> tuple[str, ...]:
    """The result's genres, with the catalog genres the summary names put first when the catalog backs
    them for the mood (the summary and the list then speak of the same music)."""
    by_key = {g.lower(): g for g in offered}
    named = [by_key[g] for g in genres_named(summary, offered) if g in by_key and by_key[g] not in picked]
    return (tuple(backed(check, named, valence)) + picked)[:MAX_GENRES]


def checked_phrases(check: PhraseCheck | None, proposed: Sequence[str], request: AnalysisRequest, label: str,
                    valence: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reply's search phrases that are its own (a small model copies its worked example's) and that
    find catalog tracks on the target's side of valence ("lady in a ball gown" for a happy face finds
    none); when none is left, the fixed rules' phrases for the measured mood."""
    notes: list[str] = []
    own = tuple(p for p in proposed if p.lower() not in EXAMPLE_PHRASES)
    if len(own) < len(proposed):
        notes.append("search phrases copied from the examples dropped")
    searchable = tuple(p for p in own if searchable_phrase(p))
    if len(searchable) < len(own):   # "dark and moderate": the prompt's words for the music, not a search
        notes.append(f"search phrases nobody would type dropped: "
                     f"{', '.join(p for p in own if p not in searchable)}")
    own = searchable
    kept = backed(check, own, valence)
    if len(kept) < len(own):
        notes.append(f"search phrases without catalog tracks for this mood dropped: "
                     f"{', '.join(p for p in own if p not in kept)}")
    if kept:
        return kept, tuple(notes)
    rules = search_phrases(request, label)
    return backed(check, rules, valence) or rules, tuple(notes) + ("search phrases from the fixed rules",)


_VAGUE = frozenset({"dark", "bright", "mellow", "calm", "energetic", "moderate", "light", "and", "music", "songs",
                    "song", "tracks", "mood", "the", "a", "of", "to", "match", "lift", "gently", "chosen"})


def searchable_phrase(phrase: str) -> bool:
    """A phrase a person would type into a music search: at least two words, none twice ("night twilight
    twilight"), and not only the prompt's words for the music's brightness and energy ("dark and moderate")."""
    words = phrase.lower().split()
    return len(words) >= 2 and len(set(words)) == len(words) and any(w not in _VAGUE for w in words)

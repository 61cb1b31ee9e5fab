"""Feedback changes what comes next: likes raise a track and its artist for that mood, skips lower them,
"not for this mood" removes the track for that mood only; checked on FeedbackBoosts and through the real
recommender."""
from __future__ import annotations

import random

import pytest

from emotune.appdirs import AppDirs
from emotune.core.mood import MoodSnapshot
from emotune.journal import JournalStore
from emotune.journal.feedback import FeedbackRow, compute_boosts, normalise_kind

NOW = 1_800_000_000.0
DAY = 86400.0


def rows(*items):
    return [FeedbackRow(NOW - age * DAY, t, a, k) for age, t, a, k in items]


def test_likes_raise_skips_lower_and_not_for_mood_excludes():
    b = compute_boosts("sad", rows((1, "t1", "Adele", "like"), (1, "t2", "Bob", "skip"),
                                   (1, "t3", "Cat", "not_for_mood")), NOW)
    assert b.tracks["t1"] > 0 > b.tracks["t2"]
    assert b.artists["adele"] > 0 > b.artists["bob"]
    assert b.artists["adele"] < b.tracks["t1"]               # the artist gets a share, the track the most
    assert "t3" in b.excluded and "t3" not in b.tracks and "cat" not in b.artists
    assert all(-1 <= v <= 1 for v in [*b.tracks.values(), *b.artists.values()])


def test_repeated_likes_saturate_and_old_feedback_fades_but_counts():
    many = compute_boosts("sad", rows(*[(1, "t", "a", "like")] * 50), NOW)
    one = compute_boosts("sad", rows((1, "t", "a", "like")), NOW)
    old = compute_boosts("sad", rows((365, "t", "a", "like")), NOW)
    assert one.tracks["t"] < many.tracks["t"] <= 1
    assert 0 < old.tracks["t"] < one.tracks["t"]


def test_a_later_like_brings_an_excluded_track_back():
    b = compute_boosts("sad", rows((5, "t", "a", "not_for_mood"), (1, "t", "a", "like")), NOW)
    assert "t" not in b.excluded and b.tracks["t"] > 0


def test_feedback_kinds_have_friendly_aliases():
    assert normalise_kind("Not for this mood") == "not_for_mood" and normalise_kind("LIKE") == "like"
    with pytest.raises(ValueError, match="like, skip, not_for_mood"):
        normalise_kind("love")


def test_store_boosts_are_per_mood(tmp_path):
    with JournalStore.open(AppDirs.under(tmp_path)) as store:
        store.record_feedback("t1", ("Adele", "Feat Guy"), "Sad", "like", title="Hello")
        store.record_feedback("t2", "Bob", "sad", "not for this mood")
        sad, happy = store.boosts_for("sad"), store.boosts_for("HAPPY")
        assert sad.mood == "sad" and sad.tracks["t1"] > 0 and set(sad.artists) == {"adele", "feat guy"}
        assert sad.excluded == {"t2"}
        assert happy.is_empty()
        assert "Hello — Adele, Feat Guy" in store.recent_summary(7).to_text()


# -- through the real recommender ------------------------------------------------------------------------

def _catalog():
    from emotune.music import catalog as music
    from emotune.music.track import Track

    rng = random.Random(7)
    tracks = [Track(id=f"{i:022d}", title=f"Song {i}", artists=(f"Artist {i % 40}",), popularity=50,
                    genres=(f"g{i % 5}",), valence=rng.random(), energy=rng.random(),
                    danceability=rng.random(), acousticness=rng.random(), tempo=100.0)
              for i in range(120)]
    return music.Catalog.from_tracks(tracks)


def _ranked(recommender, boosts, n=20) -> list[str]:
    from emotune.music.lists.values import RecommendationRequest

    result = recommender.recommend(RecommendationRequest(mood=MoodSnapshot.manual_mood("sad"), n=n,
                                                         feedback=boosts))
    return result


def test_feedback_moves_tracks_in_the_real_recommender(tmp_path):
    catalog = _catalog()
    from emotune.music.lists.recommender import Recommender

    rec = Recommender(catalog)
    with JournalStore.open(AppDirs.under(tmp_path)) as store:
        base = [r.track.id for r in _ranked(rec, store.boosts_for("sad")).items]
        liked, skipped, unfit = base[12], base[0], base[1]
        liked_track = catalog.track(int(catalog.index_of([liked])[0]))
        store.record_feedback(liked, liked_track.artists, "sad", "like", title=liked_track.title)
        store.record_feedback(skipped, catalog.track(int(catalog.index_of([skipped])[0])).artists, "sad", "skip")
        store.record_feedback(unfit, "whoever", "sad", "not_for_mood")
        result = _ranked(rec, store.boosts_for("sad"))
        after = [r.track.id for r in result.items]
        assert after.index(liked) < 12                              # liked: ranks higher
        assert skipped not in after[:1]                             # skipped: ranks lower
        assert skipped not in after or after.index(skipped) > 0
        assert unfit not in after                                   # not for this mood: gone
        reason = next(r.reason for r in result.items if r.track.id == liked)
        assert "you liked" in reason
        # feedback for sad leaves other moods alone
        assert store.boosts_for("happy").is_empty()

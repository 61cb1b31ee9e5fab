"""The deterministic analysis: the same numbers the model gets, turned into a result by fixed rules.
The mood label and the music's targets always come from here and targets.py, also when the model wrote the
summary. Used whole when no model is available, its replies are invalid twice, the time budget runs out, or a request is
cancelled, so the app always has a valid result."""
from __future__ import annotations

from emotune.core.window_shape import describe
from emotune.llm.grounding import changed
from emotune.llm.prompt import offered_genres
from emotune.llm.schema import MAX_GENRES, MAX_PHRASES, SUMMARY_MAX_CHARS, truncate_words
from emotune.llm.targets import music_targets
from emotune.llm.values import LOOKED, Analysis, AnalysisRequest, second_emotion

# FER emotion → mood label (happy splits by arousal, neutral by arousal, see mood_label).
_LABELS = {"angry": "angry", "disgust": "tense", "fear": "anxious", "sad": "sad", "surprise": "surprised"}

# Genres that suit a label, matched (case-insensitively, by substring) against the offered list.
_GENRE_HINTS = {
    "happy": ("pop", "dance", "funk", "disco", "happy", "party", "latin", "reggae"),
    "content": ("acoustic", "indie", "folk", "soul", "jazz", "pop"),
    "calm": ("ambient", "chill", "acoustic", "classical", "piano", "jazz", "new-age", "lo-fi"),
    "neutral": ("indie", "pop", "alternative", "jazz", "electronic", "chill"),
    "surprised": ("electronic", "dance", "funk", "pop", "house"),
    "tense": ("ambient", "classical", "chill", "piano", "acoustic"),
    "anxious": ("ambient", "classical", "piano", "chill", "acoustic"),
    "angry": ("rock", "metal", "punk", "hard-rock", "grunge"),
    "sad": ("acoustic", "blues", "singer-songwriter", "sad", "piano", "indie", "soul"),
}
_CALMING = ("ambient", "classical", "piano", "chill", "acoustic")
_UPLIFTING = ("pop", "soul", "funk", "indie", "dance")

_PHRASES = {
    "happy": ("feel good hits", "upbeat sing-along songs", "sunny day playlist"),
    "content": ("easygoing good mood songs", "warm acoustic favourites", "relaxed feel good music"),
    "calm": ("calm focus music", "soft evening songs", "gentle instrumental"),
    "neutral": ("easy listening mix", "mellow background music", "laid-back grooves"),
    "surprised": ("energetic discoveries", "upbeat fresh tracks", "bright electronic beats"),
    "tense": ("calming music to unwind", "slow relaxing songs", "peaceful instrumental"),
    "anxious": ("soothing songs for anxiety", "calm breathing music", "gentle piano"),
    "angry": ("intense rock anthems", "heavy cathartic songs", "powerful drums"),
    "sad": ("songs for a sad day", "melancholic acoustic", "comforting ballads"),
}
_LIFT_PHRASES = {
    "sad": ("hopeful uplifting songs", "gentle feel good music", "warm comforting pop"),
    "angry": ("calming songs to let go", "mellow groove to cool down", "peaceful acoustic"),
    "tense": ("calming songs to unwind", "soothing acoustic", "peaceful instrumental"),
    "anxious": ("reassuring calm songs", "soft uplifting acoustic", "gentle piano"),
    "calm": ("gentle upbeat songs", "warm feel good acoustic", "soft sunny pop"),
    "neutral": ("feel good songs", "upbeat easy listening", "positive vibes playlist"),
}

_ADJECTIVE = {"happy": "upbeat", "content": "easygoing", "calm": "calm", "neutral": "mellow",
              "surprised": "energetic", "tense": "relaxing", "anxious": "soothing", "angry": "intense",
              "sad": "melancholic"}
_LIFT_ADJECTIVE = {"sad": "hopeful", "angry": "mellow", "calm": "gentle upbeat", "neutral": "feel good"}


def mood_label(dominant: str, valence: float, arousal: float) -> str:
    """A label from the fixed set for the measured dominant emotion and valence/arousal."""
    if dominant == "happy":
        return "happy" if arousal >= 0.2 else "content"
    if dominant == "neutral":
        if valence >= 0.25:
            return "content"
        if valence <= -0.25:
            return "sad" if arousal < 0.1 else "tense"
        return "calm" if arousal < -0.05 else "neutral"
    return _LABELS.get(dominant, "neutral")


def pick_genres(request: AnalysisRequest, label: str) -> tuple[str, ...]:
    """Preferred genres first, then genres whose name suits the label, from the offered list only."""
    offered = offered_genres(request)
    preferred = {p.lower() for p in request.preferred_genres}
    hints = _GENRE_HINTS[label]
    if request.goal == "lift" and label in ("sad", "angry", "tense", "anxious"):
        hints = _UPLIFTING if label == "sad" else _CALMING
    chosen = [g for g in offered if g.lower() in preferred]
    for hint in hints:
        chosen += [g for g in offered if hint in g.lower() and g not in chosen]
    return tuple(chosen[:MAX_GENRES])


def summary_text(request: AnalysisRequest, label: str) -> str:
    s = request.summary
    ranked = sorted(s.shares.items(), key=lambda kv: -kv[1])
    top, share = ranked[0]
    trend = ""
    if s.manual:
        opening = f"You set your mood to {s.dominant}."
    elif changed(s):   # told by its phases; the smoother's trend sees only the last seconds
        opening = describe(s.shape)
    else:
        minutes = s.duration_s / 60.0
        span = f"the last {minutes:.0f} min" if minutes >= 1.5 else "the last moments"
        runner_up = second_emotion(s)
        second = f", with some {runner_up[0]} ({runner_up[1] * 100:.0f}%)" if runner_up else ""
        opening = f"Over {span} you looked mostly {LOOKED.get(top, top)} ({share * 100:.0f}%){second}."
    if not changed(s) and not s.manual:   # a mood set by hand has no trend
        trend = {"rising": "Your mood is lifting.", "falling": "Your mood is dipping a little.",
                 "steady": "Your mood has been steady."}.get(s.trend, "")
    plan = ("Here is music that matches it." if request.goal == "match"
            else "Here is music to lift it gently.")
    return truncate_words(" ".join(p for p in (opening, trend, plan) if p), SUMMARY_MAX_CHARS)


def search_phrases(request: AnalysisRequest, label: str) -> tuple[str, ...]:
    lift = request.goal == "lift"
    phrases = list((_LIFT_PHRASES if lift else _PHRASES).get(label, _PHRASES[label]))
    if request.preferred_genres:
        adjective = (_LIFT_ADJECTIVE if lift else {}).get(label, _ADJECTIVE[label])
        phrases[-1] = f"{adjective} {request.preferred_genres[0]}"
    if request.preferred_languages:
        phrases[1] = f"{phrases[1]} in {request.preferred_languages[0]}"
    return tuple(dict.fromkeys(phrases))[:MAX_PHRASES]


def fallback_analysis(request: AnalysisRequest, reason: str, *, model: str = "", elapsed_s: float = 0.0,
                      cancelled: bool = False) -> Analysis:
    """The analysis computed from the measured numbers alone; `reason` says why the model was not used."""
    s = request.summary
    label = mood_label(s.dominant, s.valence, s.arousal)
    targets = music_targets(s, request.goal)
    return Analysis(
        summary=summary_text(request, label), mood=label, target_valence=targets.valence,
        target_energy=targets.energy,
        search_phrases=search_phrases(request, label), genres=pick_genres(request, label), source="fallback",
        reason=reason, model=model, elapsed_s=elapsed_s, cancelled=cancelled,
    )

"""FER+ (github:microsoft/FERPlus, MIT): 10 annotators' votes per FER2013 picture, turned into soft targets
over our 7 emotions for the trainer's `--soft-targets` (scripts/ferplus_soft_targets.py writes the file).

Contempt is dropped and the rest renormalised rather than added to disgust: it is a different expression (a
one-sided lip raise) that FER2013 filed under several labels, so folding it into disgust would teach disgust
from faces that mostly are not. "unknown" and "NF" (not a face) say nothing about the emotion and are dropped.
"""
from __future__ import annotations

import numpy as np

from emotune.core.emotions import EMOTIONS, N_EMOTIONS

FERPLUS_COLUMNS: tuple[str, ...] = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                                    "contempt", "unknown", "NF")
# For each of our EMOTIONS (angry, disgust, fear, happy, sad, surprise, neutral): its FER+ vote column.
TO_OURS: tuple[int, ...] = (4, 5, 6, 1, 3, 2, 0)
CONTEMPT = FERPLUS_COLUMNS.index("contempt")


def vote_shares(votes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 7) shares of each face's votes over our emotions, and whether it had any such vote; a face without
    one (no match, or only contempt / unknown / not-a-face votes) keeps its FER2013 one-hot."""
    ours = np.asarray(votes)[:, TO_OURS].astype(np.float64)
    total = ours.sum(1)
    has_vote = total > 0
    rows = np.eye(N_EMOTIONS)[labels]
    rows[has_vote] = ours[has_vote] / total[has_vote, None]
    return rows, has_vote


def agreement(rows: np.ndarray, has_vote: np.ndarray, labels: np.ndarray) -> dict[str, dict]:
    """Per FER2013 class (and "all"), on faces with votes: how often FER+'s majority is the FER2013 label, and
    how often that label got no FER+ vote at all."""
    major = rows.argmax(1)
    out = {}
    for name, sel in [(n, has_vote & (labels == k)) for k, n in enumerate(EMOTIONS)] + [("all", has_vote)]:
        own = rows[sel, labels[sel]]
        out[name] = {"faces": int(sel.sum()), "majority_agrees": round(float((major[sel] == labels[sel]).mean()), 3),
                     "label_got_no_vote": round(float((own == 0).mean()), 3)}
    return out

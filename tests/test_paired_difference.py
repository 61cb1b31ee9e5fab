"""The paired comparison `scripts/distill_report.py` prints beside each model: whether a lead over the shipped
model on the same faces is more than noise."""
from __future__ import annotations

import numpy as np
import pytest

from emotune.training.evaluation import paired_difference


def test_the_difference_counts_only_the_faces_where_the_two_models_disagree():
    a = np.array([1, 1, 0, 0, 1, 0, 1, 1], bool)
    b = np.array([1, 0, 1, 1, 1, 0, 1, 1], bool)
    d = paired_difference(a, b)
    assert (d.n, d.only_b, d.only_a) == (8, 2, 1)
    assert d.difference == pytest.approx(1 / 8)
    assert d.p_value == pytest.approx(1.0)   # 2 against 1 is no evidence
    assert "+12.50 points" in d.describe() and "right only here 2, only there 1" in d.describe()


def test_a_lopsided_split_is_significant_and_identical_models_differ_by_nothing():
    a = np.zeros(3000, bool)
    b = a.copy()
    b[:30] = True
    d = paired_difference(a, b)
    assert d.p_value == pytest.approx(2 / 2 ** 30)   # every disagreement one way
    assert d.standard_error == pytest.approx(np.sqrt(30 - 30 ** 2 / 3000) / 3000)
    same = paired_difference(b, b)
    assert (same.difference, same.standard_error, same.p_value) == (0.0, 0.0, 1.0)


def test_the_paired_error_is_smaller_than_either_accuracys_own_when_the_models_mostly_agree():
    rng = np.random.default_rng(0)
    a = rng.random(3500) < 0.68
    b = a.copy()
    flip = rng.choice(3500, 300, replace=False)
    b[flip] = ~b[flip]
    d = paired_difference(a, b)
    assert d.standard_error < 0.7 * np.sqrt(0.68 * 0.32 / 3500)

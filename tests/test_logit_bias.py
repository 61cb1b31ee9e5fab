"""The class-prior (logit) bias: the card's bias is applied after the temperature by every classifier, a bad
one is refused with a message that says what is wrong, and the fit recovers a known prior shift."""
from __future__ import annotations

import json

import numpy as np
import pytest

from emotune.core.emotions import EMOTIONS
from emotune.inference.calibrated import calibrate
from emotune.inference.classifier import ModelUnavailable
from emotune.inference.onnx_classifier import OnnxEmotionClassifier
from emotune.inference.preprocessing import prepare_crops
from emotune.resources import model_path
from emotune.training.logit_bias import FitGroup, fit_logit_bias, person_folds
from tests.conftest import fer_test_faces

SAD, HAPPY = EMOTIONS.index("sad"), EMOTIONS.index("happy")


def _card_with(tmp_path, **fields):
    card = json.loads(model_path("emotion_cnn.json").read_text())
    card.update(fields)
    path = tmp_path / f"card{len(list(tmp_path.glob('card*.json')))}.json"
    path.write_text(json.dumps(card))
    return path


def test_the_cards_bias_is_applied_after_the_temperature(tmp_path, fer_dir):
    import cv2

    faces = [cv2.imread(str(p)) for p, label in fer_test_faces(fer_dir, 8) if label == "happy"]
    plain = OnnxEmotionClassifier(model_path("emotion_cnn.onnx"), _card_with(tmp_path, logit_bias=[0.0] * 7))
    bias = [0.0] * 7
    bias[SAD] = 30.0
    toward_sad = OnnxEmotionClassifier(model_path("emotion_cnn.onnx"), _card_with(tmp_path, logit_bias=bias))
    p, q = plain.classify_crops(faces), toward_sad.classify_crops(faces)
    assert (p.argmax(1) == HAPPY).sum() >= 6          # the model alone reads these smiles as happy
    assert (q.argmax(1) == SAD).all()                 # a huge sad bias overrides every one
    raw = plain.predict_prepared(prepare_crops(faces, plain.input_size), calibrated=False)
    np.testing.assert_allclose(q, calibrate(raw, plain.temperature, bias), atol=1e-5)


def test_a_bias_given_to_the_classifier_overrides_the_card(tmp_path):
    clf = OnnxEmotionClassifier(logit_bias=[0.5, 0, 0, 0, 0, 0, -0.5])
    clf.load()
    assert clf.logit_bias.tolist() == [0.5, 0, 0, 0, 0, 0, -0.5]


@pytest.mark.parametrize("bias", [[0.0] * 6, "neutral", [0, 0, 0, 0, 0, 0, "x"], [0, 0, 0, 0, 0, 0, 1e9]])
def test_a_bad_bias_in_the_card_is_refused(tmp_path, bias):
    with pytest.raises(ModelUnavailable, match="logit_bias=.*expected 7 numbers, one a class"):
        OnnxEmotionClassifier(model_path("emotion_cnn.onnx"), _card_with(tmp_path, logit_bias=bias)).load()


def test_fit_recovers_a_known_prior_shift():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1.5, (20000, 7))
    truth = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(7, p=row) for row in truth])
    shift = np.array([-0.6, 0.0, 0.3, 0.0, -0.4, 0.2, 0.9])    # a model that over-calls neutral, under-calls angry
    biased = calibrate(truth, 1.0, shift)
    b = fit_logit_bias([FitGroup(biased, y)], l2=0.0)
    np.testing.assert_allclose(b, -(shift - shift.mean()), atol=0.05)
    assert (calibrate(biased, 1.0, b).argmax(1) == y).mean() > (biased.argmax(1) == y).mean()


def test_balanced_groups_weigh_classes_equally_and_groups_equally():
    g = FitGroup(np.full((4, 7), 1 / 7), np.array([6, 6, 6, 3]), weight=2.0, balanced=True)
    np.testing.assert_allclose(g.sample_weights(), [1 / 3, 1 / 3, 1 / 3, 1.0])
    np.testing.assert_allclose(FitGroup(np.full((4, 7), 1 / 7), np.array([6, 6, 6, 3])).sample_weights(), 0.25)


def test_person_folds_keep_each_person_in_one_fold():
    persons = [f"p{i % 23}" for i in range(200)]
    folds = person_folds(persons, k=5)
    for p in set(persons):
        assert len({f for f, q in zip(folds, persons) if q == p}) == 1
    assert sorted(set(folds.tolist())) == [0, 1, 2, 3, 4]

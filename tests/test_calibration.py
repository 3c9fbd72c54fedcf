"""Temperature scaling: confidence that means what it says, for trained runs and in every Predictor."""

import json

import numpy as np
import pytest
from helpers.models import tiny_digits_model

from core import calibration
from core.labels import DIGITS
from core.learn.fit import save_model
from core.predictor import Predictor


def softmax(logits: np.ndarray) -> np.ndarray:
    scaled = np.exp(logits - logits.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)


def calibrated_sample(n: int = 4000, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels drawn from softmax(logits) itself: probabilities that are calibrated by construction."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.5, (n, classes))
    probabilities = softmax(logits)
    y = np.array([rng.choice(classes, p=row) for row in probabilities])
    return logits, y


def test_temperature_keeps_the_order_of_classes_and_sums_to_one():
    logits, _ = calibrated_sample(50)
    probabilities = softmax(logits).astype(np.float32)
    for temperature in (0.3, 1.0, 4.0):
        scaled = calibration.apply_temperature(probabilities, temperature)
        np.testing.assert_array_equal(scaled.argmax(axis=1), probabilities.argmax(axis=1))
        np.testing.assert_allclose(scaled.sum(axis=1), 1.0, rtol=1e-5)
    sharper = calibration.apply_temperature(probabilities, 0.5).max(axis=1)
    assert np.all(sharper >= probabilities.max(axis=1) - 1e-6)
    np.testing.assert_allclose(calibration.apply_temperature(probabilities, 0.5), softmax(2 * logits), rtol=1e-4)


@pytest.mark.parametrize("distortion", [0.5, 2.0])
def test_the_fitted_temperature_undoes_over_and_under_confidence(distortion):
    logits, y = calibrated_sample()
    distorted = softmax(logits * distortion)  # 2.0: overconfident; 0.5: underconfident, like label smoothing
    temperature = calibration.fit_temperature(distorted, y)
    assert temperature == pytest.approx(distortion, rel=0.1)
    before = calibration.expected_calibration_error(distorted, y)
    after = calibration.expected_calibration_error(calibration.apply_temperature(distorted, temperature), y)
    assert before > 0.05
    assert after < 0.03
    assert calibration.log_loss(calibration.apply_temperature(distorted, temperature), y) < calibration.log_loss(
        distorted, y
    )


def test_calibration_error_is_the_gap_between_confidence_and_accuracy():
    sure_and_right = np.tile([[1.0, 0.0]], (10, 1))
    assert calibration.expected_calibration_error(sure_and_right, np.zeros(10, int)) == pytest.approx(0.0)
    sixty_percent_always_right = np.tile([[0.6, 0.4]], (10, 1))
    assert calibration.expected_calibration_error(sixty_percent_always_right, np.zeros(10, int)) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="at least one labelled sample"):
        calibration.fit_temperature(np.zeros((0, 2)), np.zeros(0, int))


def test_a_predictor_divides_by_its_cards_temperature(tmp_path):
    model = tiny_digits_model()
    plain = Predictor(save_model(model, {"labels": DIGITS}, tmp_path / "plain.keras"))
    hot = Predictor(save_model(model, {"labels": DIGITS, "temperature": 0.5}, tmp_path / "hot.keras"))
    x = np.random.default_rng(3).random((4, 28, 28, 1), dtype=np.float32)
    assert plain.temperature == 1.0
    np.testing.assert_allclose(hot.predict_batch(x), softmax(2 * np.log(plain.predict_batch(x))), rtol=1e-4)


@pytest.mark.parametrize("value", ["hot", -1, 0, True, 1e9, None])
def test_a_card_with_a_bad_temperature_is_refused_by_name(tmp_path, value):
    path = save_model(tiny_digits_model(), {"labels": DIGITS}, tmp_path / "digits.keras")
    path.with_suffix(".json").write_text(json.dumps({"labels": DIGITS, "temperature": value}))
    with pytest.raises(
        ValueError, match=r"digits\.json has a temperature of .*: it must be a number from 0\.01 to 100"
    ):
        Predictor(path)

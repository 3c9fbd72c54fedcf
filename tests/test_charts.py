"""Chart builders: the Altair specs encode the right fields and highlight the model's answer."""

import numpy as np
import pytest

from core.predictor import Prediction
from core.ui import charts

LABELS = tuple("0123456789")


def prediction(top: str, p: float = 0.82) -> Prediction:
    probabilities = np.full(10, (1 - p) / 9, np.float32)
    probabilities[LABELS.index(top)] = p
    return Prediction(LABELS, probabilities)


def test_bars_have_one_row_per_label_in_label_order():
    spec = charts.probability_bars(prediction("7")).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    assert [row["label"] for row in rows] == list(LABELS)
    assert rows[7]["probability"] == pytest.approx(0.82)
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "label"
    assert spec["encoding"]["x"]["sort"] == list(LABELS)
    assert spec["encoding"]["y"]["field"] == "probability"
    assert spec["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_bars_highlight_only_the_top_label():
    spec = charts.probability_bars(prediction("3")).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    assert [row["label"] for row in rows if row["rank"] == "top"] == ["3"]
    color = spec["encoding"]["color"]
    assert color["field"] == "rank"
    assert dict(zip(color["scale"]["domain"], color["scale"]["range"], strict=True)) == {
        "top": charts.TOP_COLOR,
        "other": charts.OTHER_COLOR,
    }


def test_grid_has_a_row_per_digit_in_reading_order_and_a_column_per_label():
    spec = charts.probability_grid([prediction("4"), prediction("2", 0.55)]).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == 20
    assert spec["encoding"]["y"]["sort"] == ["#1 → 4", "#2 → 2"]
    assert spec["encoding"]["x"]["sort"] == list(LABELS)
    assert spec["encoding"]["color"]["field"] == "probability"
    strongest = max(rows, key=lambda row: row["probability"])
    assert (strongest["digit"], strongest["label"]) == ("#1 → 4", "4")

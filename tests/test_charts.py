"""Chart builders: the charts draw the right values on the right axes and highlight the model's answer."""

import tomllib
from pathlib import Path

import numpy as np
import pytest
from helpers.charts import channel, marks

from core.predictor import Prediction
from core.ui import charts

LABELS = tuple("0123456789")


def prediction(top: str, p: float = 0.82) -> Prediction:
    probabilities = np.full(10, (1 - p) / 9, np.float32)
    probabilities[LABELS.index(top)] = p
    return Prediction(LABELS, probabilities)


def test_bars_have_one_row_per_label_in_label_order():
    chart = charts.probability_bars(prediction("7"))
    assert chart.data["label"].tolist() == list(LABELS)
    assert chart.data["probability"][7] == pytest.approx(0.82)
    assert marks(chart) == ["bar"]
    x, y = channel(chart, "x"), channel(chart, "y")
    assert (x.field, x.order) == ("label", list(LABELS))
    assert (y.field, y.title, y.domain) == ("probability", "Probability", [0, 1])


def test_bars_highlight_only_the_top_label():
    chart = charts.probability_bars(prediction("3"))
    colour = channel(chart, "color")
    bar_colours = dict(zip(chart.data["label"], chart.data[colour.field].map(colour.colours), strict=True))
    assert bar_colours == {label: charts.TOP_COLOR if label == "3" else charts.OTHER_COLOR for label in LABELS}


def test_grid_has_a_row_per_digit_in_reading_order_and_a_column_per_label():
    chart = charts.probability_grid([prediction("4"), prediction("2", 0.55)])
    assert len(chart.data) == 20
    x, y, colour = channel(chart, "x"), channel(chart, "y"), channel(chart, "color")
    assert (y.field, y.order) == ("digit", ["#1 → 4", "#2 → 2"])
    assert (x.field, x.order, x.title) == ("label", list(LABELS), "Probability of each label")
    assert (colour.field, colour.domain) == ("probability", [0, 1])
    strongest = chart.data.loc[chart.data["probability"].idxmax()]
    assert (strongest["digit"], strongest["label"]) == ("#1 → 4", "4")


def test_the_models_answer_is_drawn_in_the_themes_colour_not_in_red():
    # Issue #17: the top bar was Streamlit's red, which the theme keeps for errors.
    theme = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())["theme"]
    assert charts.TOP_COLOR.lower() == theme["primaryColor"].lower()
    red, green, blue = (int(charts.TOP_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    assert blue > red

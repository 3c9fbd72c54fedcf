"""Altair chart builders for the pages: plain functions from results to alt.Chart, no Streamlit."""

import altair as alt
import pandas as pd

from core.predictor import Prediction

TOP_COLOR = "#2f6fde"  # The theme's primaryColor (.streamlit/config.toml): the model's answer. Red means an error.
OTHER_COLOR = "#a3aab5"  # A quiet grey for the other labels.
EMPTY_COLOR = "#f0f2f6"  # Streamlit's light grey: probability 0 in a heat map.


def probability_bars(prediction: Prediction, height: int = 220) -> alt.Chart:
    """A bar per label (in label order) of its probability, with the most likely label highlighted."""
    top = prediction.label
    table = pd.DataFrame(
        {
            "label": list(prediction.labels),
            "probability": [float(p) for p in prediction.probabilities],
            "rank": ["top" if label == top else "other" for label in prediction.labels],
        }
    )
    return (
        alt.Chart(table, height=height)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=list(prediction.labels), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), title="Probability", axis=alt.Axis(format="%")),
            color=alt.Color(
                "rank:N", scale=alt.Scale(domain=["top", "other"], range=[TOP_COLOR, OTHER_COLOR]), legend=None
            ),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("probability:Q", format=".1%")],
        )
    )


def probability_grid(predictions: list[Prediction], row_px: int = 30) -> alt.Chart:
    """A heat map of several digits' probabilities: a row per digit (left to right), a column per label."""
    rows = [
        {"digit": f"#{position} → {prediction.label}", "label": label, "probability": float(p)}
        for position, prediction in enumerate(predictions, start=1)
        for label, p in zip(prediction.labels, prediction.probabilities, strict=True)
    ]
    order = [f"#{position} → {p.label}" for position, p in enumerate(predictions, start=1)]
    labels = list(predictions[0].labels) if predictions else []
    return (
        alt.Chart(pd.DataFrame(rows, columns=["digit", "label", "probability"]), height=alt.Step(row_px))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("label:N", sort=labels, title="Probability of each label", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("digit:N", sort=order, title=None, axis=alt.Axis(labelLimit=120)),
            color=alt.Color(
                "probability:Q", scale=alt.Scale(domain=[0, 1], range=[EMPTY_COLOR, TOP_COLOR]), legend=None
            ),
            tooltip=[alt.Tooltip("digit:N"), alt.Tooltip("label:N"), alt.Tooltip("probability:Q", format=".1%")],
        )
    )


def top_bars(prediction: Prediction, k: int = 3, height: int = 140) -> alt.Chart:
    """Horizontal bars of the k most likely labels, best on top (the Sign page's top-3 letters)."""
    top = prediction.top(k)
    table = pd.DataFrame(
        {
            "label": [label for label, _ in top],
            "probability": [p for _, p in top],
            "rank": ["top"] + ["other"] * (len(top) - 1),
        }
    )
    return (
        alt.Chart(table, height=height)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelFontSize=16)),
            x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), title="Probability", axis=alt.Axis(format="%")),
            color=alt.Color(
                "rank:N", scale=alt.Scale(domain=["top", "other"], range=[TOP_COLOR, OTHER_COLOR]), legend=None
            ),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("probability:Q", format=".1%")],
        )
    )

"""What a person sees in an Altair chart, read from its Vega-Lite spec: marks, title, axes, colours, zoom.

Tests assert these few facts, not the spec's layout, so a chart may be rebuilt in another way that looks the same.
"""

from dataclasses import dataclass

import altair as alt


@dataclass(frozen=True)
class Channel:
    """One encoding channel (x, y, color…) as a person reads it."""

    field: str | None  # The data column drawn along it.
    title: str | None  # The axis or legend title shown; None when hidden.
    order: list | None  # The order of its values, when the chart fixes one.
    domain: list | None  # The range of values its scale covers, when fixed.
    colours: dict | None  # Value → colour, when the scale maps values to fixed colours.


def _layers(chart: alt.TopLevelMixin) -> list[dict]:
    spec = chart.to_dict()
    return spec.get("layer", [spec])


def channel(chart: alt.TopLevelMixin, name: str, layer: int = 0) -> Channel:
    """The channel `name` ("x", "y", "color", …) of the chart, or of one layer of a layered chart."""
    encoding = _layers(chart)[layer]["encoding"][name]
    scale = encoding.get("scale", {})
    colours = dict(zip(scale["domain"], scale["range"], strict=True)) if "range" in scale else None
    return Channel(
        field=encoding.get("field"),
        title=encoding.get("title", encoding.get("field")),  # Vega-Lite titles an axis with its field by default.
        order=encoding.get("sort"),
        domain=scale.get("domain"),
        colours=colours,
    )


def marks(chart: alt.TopLevelMixin) -> list[str]:
    """The kind of mark each layer draws ("bar", "line", "rect", "text"…)."""
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in _layers(chart)]


def title(chart: alt.TopLevelMixin) -> str | None:
    """The chart's title."""
    spec = chart.to_dict()
    return spec.get("title", _layers(chart)[0].get("title"))


def zoomable(chart: alt.TopLevelMixin) -> bool:
    """Whether a person can zoom and pan the chart (an interval selection bound to its scales)."""
    spec = chart.to_dict()
    params = spec.get("params", []) + [param for layer in _layers(chart) for param in layer.get("params", [])]
    return any(param.get("bind") == "scales" for param in params)  # a layered chart keeps it at its top

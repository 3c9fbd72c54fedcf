"""Altair charts of training runs: per-batch and per-epoch curves, and confusion matrices (no Streamlit here)."""

import altair as alt
import numpy as np
import pandas as pd

METRIC_TITLES = {"loss": "Loss", "accuracy": "Accuracy"}
SPLIT_COLOURS = {"training": "#4c78a8", "validation": "#f58518"}
CHART_HEIGHT = 280  # px, legend and axes included
EMPTY_HEIGHT = 90  # px, a chart still waiting for data
LEGEND_LINE_PX = 22  # px, one run's line in a legend below a chart
LONE_VALUE_PX = 40  # px, left beside a chart's lines for the value written beside a one-epoch run's dot
# Room above and below the values on a zoomed y axis, as a share of their span (of the value itself for a single one).
ZOOM_PADDING = 0.08


def per_batch_values(rows: list[dict], metric: str) -> np.ndarray:
    """Each batch's own value of `metric`, from Keras' running means that restart every epoch."""
    frame = pd.DataFrame(rows)
    means = frame[metric].astype(float).to_numpy()
    seen = frame["batch"].to_numpy()  # batches before this one in its epoch
    previous = np.where(seen > 0, np.roll(means, 1), 0.0)
    return (seen + 1) * means - seen * previous


def batch_chart(
    rows: list[dict], metric: str, steps_per_epoch: int, max_points: int = 600, full_scale: bool = False
) -> alt.Chart:
    """One metric per batch (faint) with its moving average (bold), against epochs done.

    The y axis zooms to the values; `full_scale` draws accuracy from 0 to 100% instead.
    """
    frame = pd.DataFrame(rows)
    if frame.empty or frame[metric].isna().all():
        return _empty_chart(METRIC_TITLES.get(metric, metric), "Waiting for the first batches…")
    long = _batch_lines(rows, metric, steps_per_epoch, max_points)
    return (
        alt.Chart(long, title=f"{METRIC_TITLES.get(metric, metric)} per batch")
        .mark_line(clip=True)
        .encode(
            x=alt.X("epochs:Q", title="epochs", scale=alt.Scale(domainMin=0)),
            y=_y(metric, long[metric], full_scale),
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=["each batch", "moving average"], range=["#a9c6e3", "#1f4e79"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[alt.Tooltip("epochs:Q", format=".2f"), alt.Tooltip(f"{metric}:Q", format=".4f"), "line:N"],
        )
        .properties(height=CHART_HEIGHT)
    )


def _batch_lines(rows: list[dict], metric: str, steps_per_epoch: int, max_points: int) -> pd.DataFrame:
    """Long table (epochs, line, metric) of each batch's value and its moving average, thinned to `max_points`."""
    frame = pd.DataFrame(rows)
    values = pd.Series(per_batch_values(rows, metric))
    window = max(1, min(len(values) // 10, steps_per_epoch // 4 or 1))
    lines = pd.DataFrame(
        {
            "epochs": (frame["step"] + 1) / steps_per_epoch,
            "each batch": values,
            "moving average": values.rolling(window, min_periods=1).mean(),
        }
    )
    lines = lines.iloc[:: max(1, int(np.ceil(len(lines) / max_points)))]
    return lines.melt(id_vars=["epochs"], var_name="line", value_name=metric)


def epoch_chart(rows: list[dict], metric: str, total_epochs: int | None = None, full_scale: bool = False) -> alt.Chart:
    """One metric per finished epoch, training against validation; the x axis spans `total_epochs` when given.

    The y axis zooms to the values; `full_scale` draws accuracy from 0 to 100% instead.
    """
    frame = pd.DataFrame(rows)
    title = f"{METRIC_TITLES.get(metric, metric)} per epoch"
    if frame.empty:
        return _empty_chart(title, "Appears when the first epoch ends.")
    lines = pd.DataFrame(
        {"epoch": frame["epoch"] + 1, "training": frame[metric], "validation": frame.get(f"val_{metric}")}
    )
    long = lines.melt(id_vars=["epoch"], var_name="data", value_name=metric).dropna()
    return (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "epoch:Q",
                title="epoch",
                axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(domain=[1, max(2, total_epochs or len(frame))]),
            ),
            y=_y(metric, long[metric], full_scale),
            color=_split_colour(set(long["data"])),
            tooltip=["epoch:Q", "data:N", alt.Tooltip(f"{metric}:Q", format=".4f")],
        )
        .properties(height=CHART_HEIGHT)
    )


def comparison_chart(
    curves: dict[str, list[dict]], metric: str, x: str = "epoch", smoothing: float = 0.0, full_scale: bool = False
) -> alt.Chart | alt.LayerChart:
    """Several runs' per-epoch curves overlaid: colour per run, solid validation, dashed training.

    Runs without a value of `metric` are left out (see `runs_without_points`: the page says which).

    Args:
        curves: run label → its epoch rows (as RunStore.epoch_metrics gives them).
        x: "epoch" (1-based) or "time_s" (seconds since the run began training).
        smoothing: 0–1, the weight of an exponential moving average (TensorBoard's slider); 0 draws raw values.
        full_scale: draw accuracy from 0 to 100% instead of zooming to the values.
    """
    frames = [
        line for label, rows in curves.items() for line in _run_lines(label, pd.DataFrame(rows), metric, x, smoothing)
    ]
    name = METRIC_TITLES.get(metric, metric)
    title = f"{name} per epoch" if x == "epoch" else f"{name} per second of training"
    if not frames:
        return _empty_chart(title, "These runs have no finished epochs yet.")
    data = pd.concat(frames, ignore_index=True)
    # A curve of one epoch is one point: a line cannot draw it, so it gets a dot with its value written beside it.
    data["points"] = data.groupby(["run", "data"])["x"].transform("size")
    lone = bool((data["points"] == 1).any())
    base = _comparison_base(data, metric, x, full_scale)
    # Lines without point markers, so the legend draws each split's line style rather than a dot.
    layers = [base.mark_line().encode(strokeDash=_split_dash(set(data["data"])))]
    # A layer whose filter leaves no rows makes Vega warn "Infinite extent" in the browser: add only layers with data.
    if len(frames) <= 8 or lone:
        dotted = base if len(frames) <= 8 else base.transform_filter("datum.points == 1")
        layers.append(dotted.mark_point(filled=True, size=40 if len(frames) <= 8 else 90, opacity=1))
    if lone:
        values = base.transform_filter("datum.points == 1").mark_text(align="left", dx=8, dy=-8)
        layers.append(values.encode(text=alt.Text(f"{metric}:Q", format=_value_format(metric))))
    shown_runs = data["run"].nunique()
    return (
        alt.layer(*layers, data=data, title=title)
        .properties(height=CHART_HEIGHT + 160 + LEGEND_LINE_PX * shown_runs)  # room for the legend's lines
        .interactive()  # drag to pan, scroll to zoom, double-click to reset
    )


def runs_without_points(curves: dict[str, list[dict]], metric: str) -> list[str]:
    """The labels of the runs that have no value of `metric` to draw (no finished epoch): the comparison leaves
    them out."""
    return [label for label, rows in curves.items() if not _run_lines(label, pd.DataFrame(rows), metric, "epoch", 0)]


def _comparison_base(data: pd.DataFrame, metric: str, x: str, full_scale: bool) -> alt.Chart:
    """The axes, run colours and tooltip that the comparison's lines, dots and values share."""
    x_title = "epoch" if x == "epoch" else "seconds of training"
    return alt.Chart().encode(
        x=alt.X(
            "x:Q",
            title=x_title,
            axis=alt.Axis(format="d") if x == "epoch" else alt.Axis(),
            scale=alt.Scale(padding=LONE_VALUE_PX if (data["points"] == 1).any() else 0),  # room for lone values
        ),
        y=_y(metric, data[metric], full_scale),
        color=alt.Color(
            "run:N",
            title="run",
            # One run a line, never cut short: a name can be as long as the rename box allows.
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),
        ),
        tooltip=["run:N", "data:N", alt.Tooltip("x:Q", title=x_title), alt.Tooltip(f"{metric}:Q", format=".4f")],
    )


def _split_dash(splits: set[str]) -> alt.StrokeDash:
    """Dashed training, solid validation; the legend draws the two line styles, and only the splits present."""
    dashes = {"training": [5, 3], "validation": [1, 0]}
    shown = [split for split in dashes if split in splits]
    return alt.StrokeDash(
        "data:N",
        title=None,
        scale=alt.Scale(domain=shown, range=[dashes[split] for split in shown]),
        legend=alt.Legend(orient="top", symbolType="stroke", symbolStrokeColor="#444", symbolSize=400),
    )


def confusion_chart(confusion: list[list[int]], labels: list[str]) -> alt.LayerChart:
    """A heatmap of counts[true][predicted], coloured by the share of each true class, with the counts written in."""
    counts = np.asarray(confusion)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    frame = pd.DataFrame(
        [
            {"true": labels[t], "predicted": labels[p], "count": int(counts[t, p]), "share": float(shares[t, p])}
            for t in range(len(labels))
            for p in range(len(labels))
        ]
    )
    size = min(600, max(300, 36 * len(labels)))
    base = alt.Chart(frame, title="Confusion matrix (rows: true class)").encode(
        x=alt.X("predicted:O", sort=list(labels), title="predicted", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("true:O", sort=list(labels), title="true"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", title="share of row", scale=alt.Scale(scheme="blues", domain=[0, 1])),
        tooltip=["true:N", "predicted:N", "count:Q", alt.Tooltip("share:Q", format=".1%")],
    )
    text = base.mark_text(fontSize=11 if len(labels) <= 12 else 8).encode(
        text=alt.condition("datum.count > 0", "count:Q", alt.value("")),
        color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("#222")),
    )
    return (cells + text).properties(width=size, height=size)


def _run_lines(label: str, frame: pd.DataFrame, metric: str, x: str, smoothing: float) -> list[pd.DataFrame]:
    """One run's training and validation curves (those it has), smoothed, as (x, metric, run, data) tables."""
    if frame.empty:
        return []
    lines = []
    for data, column in (("training", metric), ("validation", f"val_{metric}")):
        if column in frame and frame[column].notna().any():
            values = frame[column].astype(float)
            smoothed = values.ewm(alpha=1 - smoothing, adjust=True).mean() if smoothing else values
            x_values = frame["epoch"] + 1 if x == "epoch" else frame["time_s"]
            lines.append(pd.DataFrame({"x": x_values, metric: smoothed, "run": label, "data": data}))
    return lines


def _split_colour(splits: set[str]) -> alt.Color:
    """Training and validation in their fixed colours, legend on top, naming only the splits present."""
    shown = [split for split in SPLIT_COLOURS if split in splits]
    return alt.Color(
        "data:N",
        title=None,
        scale=alt.Scale(domain=shown, range=[SPLIT_COLOURS[split] for split in shown]),
        legend=alt.Legend(orient="top"),
    )


def _y(metric: str, values: pd.Series, full_scale: bool = False) -> alt.Y:
    """The y axis of a metric: zoomed to its values with a little room, numbers formatted to their span.

    A fixed 0–1 accuracy axis flattened the differences people compare (97% against 99%), and a loss axis of one
    value was labelled "0.263764". `full_scale` gives accuracy its whole 0–100% range back.
    """
    low, high = _domain(metric, values, full_scale)
    axis = alt.Axis(format=_axis_format(metric, high - low), tickCount=6)
    return alt.Y(f"{metric}:Q", title=METRIC_TITLES.get(metric, metric), scale=alt.Scale(domain=[low, high]), axis=axis)


def _domain(metric: str, values: pd.Series, full_scale: bool = False) -> tuple[float, float]:
    """The y range to draw: the values' own with ZOOM_PADDING around them, never below 0 (nor above 1 for
    accuracy); accuracy's whole 0–1 with `full_scale`."""
    values = pd.to_numeric(values, errors="coerce").dropna()
    if (metric == "accuracy" and full_scale) or values.empty:
        return (0.0, 1.0)
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * ZOOM_PADDING or max(abs(high) * ZOOM_PADDING, 0.005)
    low, high = max(0.0, low - pad), high + pad
    if metric == "accuracy":
        high = min(1.0, high)
    return (round(low, 6), round(high, 6))


def _axis_format(metric: str, span: float) -> str:
    """A d3 format for axis numbers: accuracy in percent (with a decimal when the axis spans under 5 points), other
    metrics to three significant digits."""
    if metric == "accuracy":
        return ".0%" if span >= 0.05 else ".1%" if span >= 0.005 else ".2%"
    return ".3~g"


def _value_format(metric: str) -> str:
    """A d3 format for a value written beside a dot: accuracy in percent to a tenth, others to four digits."""
    return ".1%" if metric == "accuracy" else ".4~g"


def _empty_chart(title: str, message: str) -> alt.Chart:
    """A blank frame with a message, so the layout does not jump when data arrives."""
    return (
        alt.Chart(pd.DataFrame({"message": [message]}), title=title)
        .mark_text(color="gray", fontSize=13)
        .encode(text="message:N")
        .properties(height=EMPTY_HEIGHT)
    )

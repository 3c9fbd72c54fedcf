"""Run charts: per-batch values recovered from Keras' running means, curves and the confusion matrix."""

import altair as alt
import numpy as np
import pytest
from helpers.charts import channel, marks, title, zoomable

from core.ui import run_charts


def batch_rows(losses_per_epoch: list[list[float]]) -> list[dict]:
    """Rows as the trainer stores them: Keras' running mean of each epoch's batch losses so far."""
    rows, step = [], 0
    for epoch, losses in enumerate(losses_per_epoch):
        for batch in range(len(losses)):
            mean = float(np.mean(losses[: batch + 1]))
            rows.append({"step": step, "epoch": epoch, "batch": batch, "loss": mean, "accuracy": 0.5, "time_s": step})
            step += 1
    return rows


def test_per_batch_values_undo_the_running_mean_that_restarts_each_epoch():
    losses = [[2.0, 1.0, 3.0], [0.5, 0.7, 0.1]]
    np.testing.assert_allclose(run_charts.per_batch_values(batch_rows(losses), "loss"), sum(losses, []))


def test_batch_chart_draws_each_batch_and_an_average_against_epochs():
    rows = batch_rows([[1.0, 2.0, 3.0, 4.0]] * 3)
    chart = run_charts.batch_chart(rows, "loss", steps_per_epoch=4)
    assert isinstance(chart, alt.Chart)
    lines = chart.data.groupby("line")
    assert set(lines.groups) == {"each batch", "moving average"}
    each = lines.get_group("each batch")
    assert each["epochs"].tolist() == pytest.approx([(s + 1) / 4 for s in range(12)])
    assert each["loss"].tolist() == pytest.approx([1.0, 2.0, 3.0, 4.0] * 3)
    chart.to_dict()  # a valid Vega-Lite spec


def test_batch_chart_thins_long_runs_to_keep_the_page_light():
    rows = batch_rows([[1.0] * 500] * 10)
    chart = run_charts.batch_chart(rows, "loss", steps_per_epoch=500, max_points=400)
    assert len(chart.data) <= 2 * 400
    assert chart.data["epochs"].max() == pytest.approx(10.0, abs=0.05)


def test_epoch_chart_has_training_and_validation_per_epoch_from_one():
    rows = [
        {"epoch": 0, "loss": 1.0, "accuracy": 0.6, "val_loss": 1.2, "val_accuracy": 0.55},
        {"epoch": 1, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.75},
    ]
    chart = run_charts.epoch_chart(rows, "accuracy")
    table = chart.data.pivot(index="epoch", columns="data", values="accuracy")
    assert table.index.tolist() == [1, 2]
    assert table["validation"].tolist() == [0.55, 0.75]
    assert channel(chart, "y").field == "accuracy"


def _y_axis(chart: alt.TopLevelMixin) -> tuple[list[float], str]:
    """The y scale's domain and the axis' number format of a chart (of its first layer)."""
    spec = chart.to_dict()
    y = spec.get("layer", [spec])[0]["encoding"]["y"]
    return y["scale"]["domain"], y["axis"]["format"]


def test_accuracy_axes_zoom_to_the_values_and_a_toggle_gives_back_0_to_100_percent():
    # Issue #32: accuracy always ran 0–1, which flattened the differences between 97% and 99%.
    rows = [{"epoch": e, "accuracy": a, "val_accuracy": a - 0.01, "time_s": e} for e, a in enumerate([0.97, 0.985])]
    for chart in (
        run_charts.epoch_chart(rows, "accuracy"),
        run_charts.comparison_chart({"1: a": rows, "2: b": rows}, "accuracy"),
        run_charts.batch_chart(batch_rows([[0.5] * 4]), "accuracy", 4),
    ):
        (low, high), number_format = _y_axis(chart)
        values = chart.data["accuracy"]
        assert low < values.min()  # every value shows, with a little room
        assert high > values.max()
        assert high - low < 0.1 or chart.data["accuracy"].nunique() == 1
        assert number_format.endswith("%")
    full = run_charts.epoch_chart(rows, "accuracy", full_scale=True)
    assert _y_axis(full) == ([0.0, 1.0], ".0%")
    assert _y_axis(run_charts.comparison_chart({"1: a": rows}, "accuracy", full_scale=True))[0] == [0.0, 1.0]


def test_a_loss_axis_of_one_value_has_room_around_it_and_short_numbers():
    # Issue #32: a one-point loss axis was labelled "0.263764".
    chart = run_charts.epoch_chart([{"epoch": 0, "loss": 0.263764, "val_loss": None}], "loss")
    (low, high), number_format = _y_axis(chart)
    assert low < 0.263764 < high
    assert number_format == ".3~g"  # 0.264, not 0.263764
    assert _y_axis(run_charts.epoch_chart([{"epoch": 0, "loss": 0.01, "val_loss": 0.0}], "loss"))[0][0] == 0.0


@pytest.mark.parametrize("chart", [run_charts.batch_chart([], "loss", 10), run_charts.epoch_chart([], "loss")])
def test_charts_without_data_say_what_they_wait_for(chart):
    assert chart.data["message"][0].endswith(("…", "."))
    chart.to_dict()


def test_confusion_chart_counts_and_row_shares():
    chart = run_charts.confusion_chart([[3, 1], [0, 4]], ["cat", "dog"])
    cells = chart.data.set_index(["true", "predicted"])
    assert cells.loc[("cat", "dog"), "count"] == 1
    assert cells.loc[("cat", "cat"), "share"] == pytest.approx(0.75)
    assert cells.loc[("dog", "dog"), "share"] == pytest.approx(1.0)
    assert marks(chart) == ["rect", "text"]  # a coloured cell with its count written in it
    x, y = channel(chart, "x"), channel(chart, "y")
    assert (x.field, x.title, x.order) == ("predicted", "predicted", ["cat", "dog"])
    assert (y.field, y.title, y.order) == ("true", "true", ["cat", "dog"])
    assert channel(chart, "color").field == "share"


def test_comparison_chart_overlays_runs_with_optional_smoothing():
    rows = [{"epoch": e, "loss": 1.0 / (e + 1), "val_loss": v, "time_s": 10.0 * (e + 1)} for e, v in enumerate([4, 0])]
    curves = {"1: a": rows, "2: b": rows[:1], "3: empty": []}
    chart = run_charts.comparison_chart(curves, "loss", "time_s", 0.5)
    frame = chart.data
    assert set(frame["run"]) == {"1: a", "2: b"}
    assert run_charts.runs_without_points(curves, "loss") == ["3: empty"]
    validation = frame[(frame["run"] == "1: a") & (frame["data"] == "validation")]
    assert validation["x"].tolist() == [10.0, 20.0]
    assert validation["loss"].tolist() == pytest.approx([4.0, 4.0 / 3])  # EMA with weight 0.5, bias-corrected
    raw = run_charts.comparison_chart({"1: a": rows}, "loss").data
    assert raw[raw["data"] == "validation"]["loss"].tolist() == [4, 0]
    assert raw["x"].tolist()[:2] == [1, 2]
    assert zoomable(chart)  # zoom and pan
    assert channel(chart, "x").title == "seconds of training"


def _legend(chart: alt.TopLevelMixin, name: str) -> dict:
    """The legend settings of channel `name` in the chart's first layer."""
    spec = chart.to_dict()
    return spec.get("layer", [spec])[0]["encoding"][name].get("legend", {})


def test_comparison_legend_draws_the_line_styles_and_whole_run_names():
    rows = [{"epoch": e, "loss": 1.0, "val_loss": 1.1, "time_s": e} for e in range(3)]
    long_name = "1: a very long run name that a user typed to tell this run from the others"
    chart = run_charts.comparison_chart({long_name: rows}, "loss")
    dash = channel(chart, "strokeDash")
    assert dash.domain == ["training", "validation"]
    assert _legend(chart, "strokeDash")["symbolType"] == "stroke"  # a dashed and a solid line, not two dots
    assert _legend(chart, "color")["labelLimit"] == 0  # no limit: names are not cut off
    assert _legend(chart, "color")["direction"] == "vertical"  # one run a line


def test_comparison_of_runs_without_validation_names_no_validation():
    rows = [{"epoch": e, "loss": 1.0, "val_loss": None, "time_s": e} for e in range(3)]
    chart = run_charts.comparison_chart({"1: a": rows, "2: b": rows}, "loss")
    assert channel(chart, "strokeDash").domain == ["training"]
    assert set(chart.data["data"]) == {"training"}
    single = run_charts.epoch_chart([{"epoch": 0, "loss": 1.0, "accuracy": 0.5, "val_loss": None}], "loss")
    assert channel(single, "color").domain == ["training"]


def test_a_one_epoch_run_is_a_dot_with_its_value_among_many_runs():
    long_run = [{"epoch": e, "accuracy": 0.5 + e / 100, "val_accuracy": 0.5, "time_s": e} for e in range(5)]
    short_run = [{"epoch": 0, "accuracy": 0.625, "time_s": 2}]
    curves = {f"{i}: long": long_run for i in range(1, 6)} | {"6: short": short_run}
    chart = run_charts.comparison_chart(curves, "accuracy")  # 11 curves: too many for a dot on every epoch
    assert marks(chart) == ["line", "point", "text"]
    spec = chart.to_dict()
    lone = spec["layer"][1]["transform"][0]["filter"]
    assert lone == spec["layer"][2]["transform"][0]["filter"] == "datum.points == 1"  # only lone points when many
    dots = chart.data[chart.data["points"] == 1]
    assert dots[["run", "accuracy"]].values.tolist() == [["6: short", 0.625]]
    assert spec["layer"][2]["encoding"]["text"]["field"] == "accuracy"


def test_comparison_draws_no_layer_that_would_be_empty():
    # Issue #32: a layer whose filter left no rows (no one-epoch run to write a value beside) made Vega log
    # "Infinite extent" warnings in the browser.
    rows = [{"epoch": e, "loss": 1.0 / (e + 1), "val_loss": None, "time_s": e} for e in range(3)]
    assert marks(run_charts.comparison_chart({"1: a": rows, "2: empty": []}, "loss")) == ["line", "point"]
    many = {f"{i}: run": rows for i in range(9)}
    assert marks(run_charts.comparison_chart(many, "loss")) == ["line"]  # no lone points to mark among many


@pytest.mark.parametrize(
    ("metric", "x", "expected"),
    [("accuracy", "time_s", "Accuracy per second of training"), ("loss", "epoch", "Loss per epoch")],
)
def test_comparison_title_follows_the_metric_and_the_x_axis(metric, x, expected):
    rows = [{"epoch": 0, "loss": 1.0, "accuracy": 0.5, "time_s": 4.0}]
    assert title(run_charts.comparison_chart({"1: a": rows}, metric, x)) == expected
    assert title(run_charts.comparison_chart({"1: a": []}, metric, x)) == expected

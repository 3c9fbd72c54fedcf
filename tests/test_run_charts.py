"""Run charts: per-batch values recovered from Keras' running means, curves and the confusion matrix."""

import altair as alt
import numpy as np
import pytest
from helpers.charts import channel, marks, zoomable

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
    y = channel(chart, "y")
    assert (y.field, y.domain) == ("accuracy", [0, 1])


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
    chart = run_charts.comparison_chart({"1: a": rows, "2: b": rows[:1], "3: empty": []}, "loss", "time_s", 0.5)
    frame = chart.data
    assert set(frame["run"]) == {"1: a", "2: b"}
    validation = frame[(frame["run"] == "1: a") & (frame["data"] == "validation")]
    assert validation["x"].tolist() == [10.0, 20.0]
    assert validation["loss"].tolist() == pytest.approx([4.0, 4.0 / 3])  # EMA with weight 0.5, bias-corrected
    raw = run_charts.comparison_chart({"1: a": rows}, "loss").data
    assert raw[raw["data"] == "validation"]["loss"].tolist() == [4, 0]
    assert raw["x"].tolist()[:2] == [1, 2]
    assert zoomable(chart)  # zoom and pan
    assert channel(chart, "x").title == "seconds of training"

"""The History page with AppTest: the table, comparing runs, one run in detail, downloads and delete."""

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from helpers.hands import hand_landmarks_px
from helpers.runs import DIGITS, finished_run
from streamlit.testing.v1 import AppTest

from core import paths
from core.data import datasets
from core.data.loaders import Dataset
from core.learn.runs import RunStore
from core.paths import run_dir
from core.vision.landmarks import normalize_landmarks


@pytest.fixture
def filled(tiny_mnist_dir) -> list[int]:
    store = RunStore()
    return [finished_run(store, paths.home_dir(), f"run {i}", rate) for i, rate in enumerate([0.001, 0.01, 0.001])]


def history(app_test: Callable[[], AppTest]) -> AppTest:
    return app_test().run().switch_page("pages/history.py").run()


def test_empty_store_points_to_train(app_test):
    app = history(app_test)
    assert not app.exception
    assert "No runs yet" in app.info[0].value


def test_table_lists_every_run(filled, app_test):
    app = history(app_test)
    assert not app.exception
    table = app.dataframe[0].value
    assert sorted(table["run"]) == sorted(filled)
    assert set(table["name"]) == {"run 0", "run 1", "run 2"}


def test_picking_two_runs_compares_them_and_shows_what_differs(filled, app_test):
    app = history(app_test)
    app.multiselect(key="history_open").set_value(filled[:2]).run()
    assert not app.exception
    assert app.header[0].value == "Compare"
    differing = next(frame.value for frame in app.dataframe if "learning_rate" in frame.value.index)
    assert differing.loc["learning_rate"].tolist() == ["0.001", "0.01"]
    assert len(app.get("vega_lite_chart")) >= 4  # comparison, loss, accuracy, confusion


def test_one_run_shows_detail_mistakes_and_downloads(filled, app_test):
    app = history(app_test)
    app.multiselect(key="history_open").set_value([filled[0]]).run()
    assert not app.exception
    assert app.subheader[0].value == f"Run {filled[0]}: run 0"
    assert any("Mistakes" in md.value for md in app.markdown)
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert captions == ["0 → 1 (80%)", "1 → 2 (80%)", "2 → 3 (80%)", "3 → 4 (80%)"]  # the mistakes gallery
    labels = {button.proto.label for button in app.get("download_button")}
    assert labels == {"Download model (.keras)", "Download metrics (.csv)"}


def test_delete_removes_the_run_and_its_files(filled, app_test):
    app = history(app_test)
    app.multiselect(key="history_open").set_value([filled[1]]).run()
    app.button(key=f"history_actions_{filled[1]}_delete").click().run()
    assert not app.exception
    assert [run.id for run in RunStore().list_runs()] == [filled[2], filled[0]]
    assert not run_dir(filled[1]).exists()
    assert run_dir(filled[0]).exists()


def test_a_landmarks_runs_mistakes_are_drawn_as_hands(tiny_mnist_dir, app_test, monkeypatch):
    store = RunStore()
    run_id = finished_run(store, paths.home_dir(), "hands", 0.001)
    store.update_run(run_id, spec={"recipe": "letters-landmarks", "dataset": "asl_landmarks", "epochs": 2})
    features = np.tile(normalize_landmarks(hand_landmarks_px(), "right"), (32, 1))
    landmarks = Dataset("asl_landmarks", features, np.zeros(32, np.int64), features, np.zeros(32, np.int64), DIGITS)
    info = dataclasses.replace(datasets.DATASETS["asl_landmarks"], load=lambda size: landmarks)
    monkeypatch.setitem(datasets.DATASETS, "asl_landmarks", info)
    app = history(app_test)
    app.multiselect(key="history_open").set_value([run_id]).run()
    assert not app.exception
    assert any("21 landmarks" in caption.value for caption in app.caption)
    assert len(app.get("image")) == 4  # one drawn hand per mistake

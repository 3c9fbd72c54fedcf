"""Bad input from classrooms: odd uploads, broken CSVs and models, out-of-range settings, markup in names.

One parametrised test per family. Each asserts the exact message the user sees and that nothing was written
to HANDLAB_HOME (no sample, run or model file appears).
"""

import io
import json
import re
import struct
import tomllib
import zlib
from dataclasses import replace
from pathlib import Path
from unittest import mock

import cv2
import keras
import numpy as np
import pytest
from helpers.drawings import pen_canvas
from helpers.runs import finished_run
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.data import datasets, pima_csv
from core.learn import catalog, jobs, trainer
from core.learn.fit import save_model
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec
from core.ui.history import TABLE_KEY
from core.ui.markup import plain

PROJECT_DIR = Path(__file__).resolve().parent.parent
UPLOAD = "📷 Upload a photo"
STORE_FILES = {"runs.db", "runs.db-wal", "runs.db-shm"}  # Opening the store is not writing user data.


def written(home: Path) -> set[str]:
    """Every file under HANDLAB_HOME but the run store's, as paths relative to it."""
    if not home.exists():
        return set()
    return {p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file() and p.name not in STORE_FILES}


def messages(app: AppTest) -> list[str]:
    """Every error, warning and info text on the page, in order."""
    return [element.value for kind in ("error", "warning", "info") for element in getattr(app, kind)]


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def prediction(app: AppTest) -> str:
    (metric,) = [m for m in app.metric if m.label == "Prediction"]
    return metric.value


# Uploads: the Draw page's photo upload.


def photo_of_seven() -> np.ndarray:
    """A greyscale photo of a handwritten 7: dark ink on light paper, 480×480."""
    ink = pen_canvas("7")[:, :, 0]
    return cv2.resize(235 - (ink * 0.7).astype(np.uint8), None, fx=1.5, fy=1.5)


def encoded(image: np.ndarray, ext: str) -> bytes:
    return cv2.imencode(ext, image)[1].tobytes()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims another size: only a header check can refuse it cheaply."""
    data = bytearray(encoded(np.zeros((4, 4), np.uint8), ".png"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def cmyk_jpeg(grey: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(grey).convert("CMYK").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def upload_cases() -> list:
    grey = photo_of_seven()
    rgba = np.dstack([np.zeros_like(grey)] * 3 + [255 - grey])  # black ink on a transparent sheet
    jpeg = encoded(cv2.GaussianBlur(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), (3, 3), 0), ".jpg")
    not_image = "notes.png: This file is not an image Handlab can read (PNG, JPEG, BMP, WebP)."
    no_ink = "No handwriting found in this photo. Try one with darker ink or more contrast."
    return [
        pytest.param("notes.png", b"these are not pixels", not_image, None, id="not-an-image"),
        pytest.param(
            "cut.jpg",
            jpeg[: len(jpeg) * 2 // 3],
            "cut.jpg: The image file is incomplete (truncated): save or export it again.",
            None,
            id="truncated-jpeg",
        ),
        pytest.param("empty.png", b"", "empty.png: The file is empty.", None, id="empty-file"),
        pytest.param("dot.png", encoded(np.full((1, 1), 30, np.uint8), ".png"), no_ink, None, id="1x1"),
        pytest.param(
            "bomb.png",
            png_claiming(20_000, 20_000),
            "bomb.png: The image is 400 megapixels; the largest Handlab reads is 40 megapixels.",
            None,
            id="20000x20000",
        ),
        pytest.param("deep.png", encoded(grey.astype(np.uint16) * 257, ".png"), None, "7", id="16-bit"),
        pytest.param("grey.png", encoded(grey, ".png"), None, "7", id="greyscale"),
        pytest.param("clear.png", encoded(rgba, ".png"), None, "7", id="rgba"),
        pytest.param("print.jpg", cmyk_jpeg(grey), None, "7", id="cmyk"),
    ]


@pytest.mark.parametrize(("name", "data", "message", "reads"), upload_cases())
def test_bad_or_odd_upload_gets_a_message_or_a_reading_and_writes_nothing(
    models_dir, app_test, handlab_home, name, data, message, reads
):
    app = app_test().run()
    app.segmented_control(key="draw_source").set_value(UPLOAD).run()
    app.file_uploader(key="draw_upload").set_value((name, data, "image/png")).run()
    assert_no_exception(app)
    if message is not None:
        assert message in messages(app)
        assert not app.metric
    else:
        assert not app.error
        assert prediction(app) == reads
    assert written(handlab_home) == set()


def test_upload_limit_is_set_and_the_uploader_uses_it(models_dir, app_test):
    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    app = app_test().run()
    app.segmented_control(key="draw_source").set_value(UPLOAD).run()
    # Streamlit refuses larger files itself, in the browser ("File must be 20.0MB or smaller.") and the server.
    assert app.file_uploader(key="draw_upload").proto.max_upload_size_mb == config["server"]["maxUploadSize"] == 20


# Datasets: the Kaggle Sign MNIST CSVs and Pima's diabetes.csv.

SIGN_HEADER = "label," + ",".join(f"pixel{i}" for i in range(1, 785))


def sign_line(label: object = 3, pixels: list | None = None) -> str:
    return ",".join(str(v) for v in [label, *(pixels if pixels is not None else [128] * 784)])


PIMA_GOOD = "6,148,72,35,0,33.6,0.627,50,1"


@pytest.mark.parametrize(
    ("file_name", "text", "message"),
    [
        (
            "sign_mnist_train.csv",
            f"{SIGN_HEADER}\n{sign_line()}\n{sign_line(pixels=[0] * 783)}\n",
            "sign_mnist_train.csv line 3: expected 785 values, found 784",
        ),
        (
            "sign_mnist_train.csv",
            f"{SIGN_HEADER}\n{sign_line()}\n{sign_line()}\n{sign_line(pixels=[0] * 785)}\n",
            "sign_mnist_train.csv line 4: expected 785 values, found 786",
        ),
        (
            "sign_mnist_train.csv",
            f"{SIGN_HEADER}\n{sign_line(pixels=[0] * 4 + ['dark'] + [0] * 779)}\n",
            "sign_mnist_train.csv line 2: pixel5 is 'dark', not a whole number",
        ),
        (
            "sign_mnist_train.csv",
            f"{SIGN_HEADER}\n{sign_line()}\n{sign_line(label=30)}\n",
            "sign_mnist_train.csv line 3: label 30 is not a Sign Language MNIST label (0..24, no 9 = J)",
        ),
        (
            "sign_mnist_train.csv",
            "",
            "sign_mnist_train.csv is empty: expected label,pixel1,…,pixel784 and one line per image",
        ),
        (
            "sign_mnist_train.csv",
            f"{SIGN_HEADER}\n{sign_line()}\n".encode() + b"\x89PNG\r\n\x1a\n\xff\xfe\x00",
            "sign_mnist_train.csv line 3: not text; expected the Kaggle CSV (label,pixel1,…,pixel784)",
        ),
        (
            "diabetes.csv",
            f"{pima_csv.PIMA_HEADER}\n{PIMA_GOOD}\n1,85,66,29,0,26.6,0.351,31\n",
            "diabetes.csv line 3: expected 9 values, found 8",
        ),
        (
            "diabetes.csv",
            f"{pima_csv.PIMA_HEADER}\n{PIMA_GOOD},7\n",
            "diabetes.csv line 2: expected 9 values, found 10",
        ),
        (
            "diabetes.csv",
            f"{pima_csv.PIMA_HEADER}\n{PIMA_GOOD}\n1,high,66,29,0,26.6,0.351,31,0\n",
            "diabetes.csv line 3: Glucose is 'high', not a number",
        ),
        (
            "diabetes.csv",
            f"{pima_csv.PIMA_HEADER}\n{PIMA_GOOD}\n1,85,66,29,0,26.6,0.351,31,2\n",
            "diabetes.csv line 3: Outcome is 2, expected 0 or 1",
        ),
        (
            "diabetes.csv",
            "",
            f"diabetes.csv is empty: expected the header {pima_csv.PIMA_HEADER} and 768 rows",
        ),
    ],
    ids=[
        "sign-missing-column",
        "sign-extra-column",
        "sign-text-in-pixel",
        "sign-label-outside-classes",
        "sign-empty-file",
        "sign-not-text",
        "pima-missing-column",
        "pima-extra-column",
        "pima-text-in-value",
        "pima-label-outside-classes",
        "pima-empty-file",
    ],
)
def test_bad_dataset_csv_names_file_and_line_and_the_run_fails_with_it(
    tmp_path, monkeypatch, handlab_home, file_name, text, message
):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(data))
    path = data / file_name
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")
    if file_name.startswith("sign"):
        (data / "sign_mnist_test.csv").write_text(f"{SIGN_HEADER}\n{sign_line()}\n", encoding="utf-8")
    dataset = "sign_mnist" if file_name.startswith("sign") else "pima"
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        datasets.load_dataset(dataset)
    assert str(raised.value) == message
    # A run started on that data fails with the same message instead of a traceback, and saves no model.
    store = RunStore()
    recipe = "asl-dense-512" if dataset == "sign_mnist" else "pima-dense"
    run_id = store.create_run(TrainSpec(recipe, dataset).resolved().to_dict(), "bad data")
    assert trainer.execute_run(store, run_id) != 0
    run = store.get_run(run_id)
    assert (run.status, run.error, run.model_path) == ("failed", message, None)
    assert {p.name for p in data.iterdir()} <= {file_name, "sign_mnist_test.csv"}
    assert not any(name.endswith((".keras", ".json", ".npz")) for name in written(handlab_home))


# Models: a damaged file, the wrong shape for the Draw page, or code that safe loading refuses.


def dense_model(input_shape=(28, 28, 1), classes: int = 10, lambda_layer: bool = False) -> keras.Model:
    keras.utils.set_random_seed(0)
    code = [keras.layers.Lambda(lambda x: x * 2)] if lambda_layer else []
    return keras.Sequential(
        [keras.Input(shape=input_shape), *code, keras.layers.Flatten(), keras.layers.Dense(classes, "softmax")]
    )


DIGITS = list("0123456789")
LETTERS = list("ABCDEFGHIKLMNOPQRSTUVWXY")
USING_SHIPPED = " Using the shipped model instead."


def make_corrupt(folder: Path) -> Path:
    path = folder / "corrupt.keras"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    path.with_suffix(".json").write_text(json.dumps({"labels": DIGITS}))
    return path


def make_truncated(folder: Path) -> Path:
    whole = save_model(dense_model(), {"labels": DIGITS}, folder / "whole.keras")
    path = folder / "half.keras"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # a copy cut short by a crash
    path.with_suffix(".json").write_text(whole.with_suffix(".json").read_text())
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(
            make_corrupt,
            "The model corrupt.keras cannot be loaded safely: it is not a .keras file, or it is damaged. "
            "Save or download it again.",
            id="corrupt",
        ),
        pytest.param(
            make_truncated,
            "The model half.keras cannot be loaded safely: it is not a .keras file, or it is damaged. "
            "Save or download it again.",
            id="truncated",
        ),
        pytest.param(
            lambda folder: save_model(dense_model((32, 32, 3)), {"labels": DIGITS}, folder / "colour.keras"),
            "The model colour.keras reads inputs of shape (32, 32, 3), but digits are 28×28 greyscale images.",
            id="wrong-input-shape",
        ),
        pytest.param(
            lambda folder: save_model(dense_model(classes=24), {"labels": LETTERS}, folder / "letters.keras"),
            "The model letters.keras names 24 classes (A, B, C, D, E, …), not the digits 0–9.",
            id="wrong-output-shape",
        ),
        pytest.param(
            lambda folder: save_model(dense_model(lambda_layer=True), {"labels": DIGITS}, folder / "code.keras"),
            "The model code.keras cannot be loaded safely: it contains Python code (a Lambda layer), which "
            "Handlab never runs. Train it without one.",
            id="lambda-layer",
        ),
    ],
)
def test_bad_active_model_is_refused_and_the_draw_page_falls_back_to_the_shipped_one(
    models_dir, app_test, tmp_path, handlab_home, make, message
):
    folder = tmp_path / "bad-model"
    folder.mkdir()
    model_path = make(folder)
    store = RunStore()
    run_id = store.create_run({"dataset": "mnist", "recipe": "digits-cnn"}, "bad model", status="completed")
    store.update_run(run_id, model_path=str(model_path))
    catalog.set_active_model("digits", model_path)  # e.g. activated on the History page before it broke
    before = written(handlab_home)
    app = app_test().run()  # the first run imports core.ui inside Streamlit, so it can be patched
    with mock.patch("core.ui.draw.digit_canvas", return_value=pen_canvas("7")):
        app.run()
    assert_no_exception(app)
    assert app.sidebar.selectbox(key="draw_model").value == f"Run {run_id}: bad model"
    assert [error.value for error in app.error] == [message + USING_SHIPPED]
    assert prediction(app) == "7"  # read by the shipped model
    assert written(handlab_home) == before
    assert catalog.active_model("digits") == model_path.resolve()  # the user's choice is not silently dropped


# Training form: settings out of range are refused before any run is recorded or started.


TINY = TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=1, batch_size=8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 0}, "The epochs must be between 1 and 1000, not 0."),
        ({"epochs": 5000}, "The epochs must be between 1 and 1000, not 5000."),
        ({"batch_size": 0}, "The batch size must be between 1 and 4096, not 0."),
        ({"batch_size": 10_000}, "The batch size must be between 1 and 4096, not 10000."),
        ({"learning_rate": 0.0}, "Learning rate must be above 0 and at most 1, not 0.0."),
        ({"learning_rate": 3.0}, "Learning rate must be above 0 and at most 1, not 3.0."),
        ({"validation_split": 0.9}, "The validation split must be between 0.0 and 0.5, not 0.9."),
        ({"patience": -1}, "The early-stopping patience must be between 0 and 1000, not -1."),
        ({"limit": 5}, "The sample limit must be between 10 and 10000000, not 5."),
        ({"optimizer": "magic"}, "Unknown optimizer 'magic'. Choose one of: adam, adamw, rmsprop, sgd."),
    ],
)
def test_out_of_range_setting_is_refused_before_the_run_starts(monkeypatch, handlab_home, change, message):
    monkeypatch.setattr(jobs, "_spawn", lambda run_id: pytest.fail("a trainer was started"))
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        jobs.start_run(replace(TINY, **change))
    assert str(raised.value) == message
    assert RunStore().list_runs() == []
    assert written(handlab_home) == set()


def test_out_of_range_setting_on_the_train_page_disables_start(app_test, monkeypatch, tiny_mnist_dir, handlab_home):
    monkeypatch.setattr(jobs, "_spawn", lambda run_id: pytest.fail("a trainer was started"))
    app = app_test().run().switch_page("pages/train.py").run()
    app.number_input(key="train_mnist-dense-512_limit").set_value(5).run()
    assert_no_exception(app)
    assert [error.value for error in app.error] == ["The sample limit must be between 10 and 10000000, not 5."]
    assert next(button for button in app.button if button.key == "train_start").disabled
    assert RunStore().list_runs() == []


# Names typed by users are text: no HTML, no Markdown links or images that would fetch another site.

NASTY = "<img src=x onerror=alert(1)> **bold** [link](http://x.example) ![i](http://x.example/t.png) :red[red] $x$"
ESCAPED = (
    r"\<img src=x onerror=alert(1)\> \*\*bold\*\* \[link\](http\://x.example) \!\[i\](http\://x.example/t.png) "
    r"\:red\[red\] \$x\$"
)


def test_plain_escapes_markup_and_undoing_the_escapes_gives_the_name_back():
    assert plain(NASTY) == ESCAPED
    assert plain("a\nb  c") == "a b c"  # no line breaks: nothing can start a heading or a list
    unescaped = ESCAPED.replace("\\", "")
    assert unescaped == NASTY


def test_run_name_is_shown_as_text_on_history_and_train(app_test, tiny_mnist_dir, monkeypatch, handlab_home):
    store = RunStore()
    done = finished_run(store, handlab_home, NASTY, 0.001)
    history = app_test().run().switch_page("pages/history.py").run()
    history.session_state[TABLE_KEY] = {"selection": {"rows": [0]}}  # a click on the run's row
    history.run()
    assert_no_exception(history)
    assert history.subheader[0].value == f"Run {done}: {ESCAPED}"
    assert history.dataframe[0].value["name"].tolist() == [NASTY]  # table cells are text already

    monkeypatch.setattr(jobs, "trainer_alive", lambda run_id: True)
    running = store.create_run({"recipe": "mnist-dense-512", "dataset": "mnist", "epochs": 3}, NASTY)
    store.claim_run(running, 4242)
    store.mark_started(running, 4242, total_epochs=3, steps_per_epoch=10)
    waiting = store.create_run({"recipe": "mnist-dense-512", "dataset": "mnist", "epochs": 2}, NASTY)
    page = app_test().run().switch_page("pages/train.py").run()
    assert_no_exception(page)
    shown = [md.value for md in page.markdown]
    assert f"**Run {running}: {ESCAPED}** · starting" in shown
    assert f"1. Run {waiting}: {ESCAPED}, 2 epochs" in shown
    assert not any(NASTY in text for text in shown)

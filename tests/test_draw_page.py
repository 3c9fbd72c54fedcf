"""The Draw page under AppTest: the canvas is patched (AppTest cannot drive custom components), the rest is real."""

import io
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import cv2
import numpy as np
import pytest
from helpers.drawings import pen_canvas
from streamlit.testing.v1 import AppTest

from core.data import non_digits, samples
from core.data.canvas_digits import as_canvas_rgba
from core.learn.runs import RunStore

UPLOAD = "📷 Upload a photo"


@pytest.fixture
def app(models_dir: Path, app_test: Callable[[], AppTest]) -> AppTest:
    """The app on its default page, Draw, after the first run with an untouched canvas."""
    return app_test().run()


def run_with_canvas(app: AppTest, image_rgba: np.ndarray | None) -> AppTest:
    """Rerun the page as if the canvas held this drawing."""
    with mock.patch("core.ui.draw.digit_canvas", return_value=image_rgba):
        return app.run()


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    """Switch to the upload input and upload a file."""
    app.segmented_control(key="draw_source").set_value(UPLOAD).run()
    app.file_uploader(key="draw_upload").set_value((name, data, "image/png")).run()
    return app


def prediction(app: AppTest) -> str:
    """The value of the "Prediction" metric."""
    (metric,) = [m for m in app.metric if m.label == "Prediction"]
    return metric.value


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def test_untouched_canvas_shows_a_hint_and_no_prediction(app):
    assert_no_exception(app)
    assert app.title[0].value == "Draw a digit"
    assert any("Draw a digit in the black square" in info.value for info in app.info)
    assert not app.metric
    assert not app.error


def test_cleared_canvas_shows_the_hint_again(app):
    run_with_canvas(app, pen_canvas("7"))
    run_with_canvas(app, as_canvas_rgba(np.zeros((320, 320), np.float32)))
    assert_no_exception(app)
    assert any("Draw a digit in the black square" in info.value for info in app.info)
    assert not app.metric


@pytest.mark.parametrize("digit", ["1", "7", "0", "4"])
def test_drawn_digit_is_predicted(app, digit):
    run_with_canvas(app, pen_canvas(digit))
    assert_no_exception(app)
    assert prediction(app) == digit
    assert len(app.get("vega_lite_chart")) == 1  # the probability bars
    assert [image.captions for image in app.get("image")] == [["What the model sees"]]


def test_drawn_number_is_read_digit_by_digit(app):
    run_with_canvas(app, pen_canvas("42"))
    assert_no_exception(app)
    assert prediction(app) == "42"


def test_blob_is_not_sure(app):
    blob = np.zeros((320, 320), np.float32)
    blob[80:240, 90:230] = 1.0
    run_with_canvas(app, as_canvas_rgba(blob))
    assert_no_exception(app)
    assert any("blob" in warning.value for warning in app.warning)
    assert prediction(app).endswith("?")


def test_a_drawn_letter_says_it_does_not_look_like_a_digit_with_the_closest_digit_said_quietly(app):
    letter_a = non_digits.draw_on_canvas(non_digits.glyph_path("A", cv2.FONT_HERSHEY_SIMPLEX), np.random.default_rng(0))
    run_with_canvas(app, letter_a)
    assert_no_exception(app)
    assert prediction(app) == "Not a digit"
    assert [warning.value for warning in app.warning] == ["That doesn't look like a digit."]
    assert any(caption.value.startswith("Closest digit: ") for caption in app.caption)


def test_uploaded_photo_of_a_number_is_read(app):
    ink = pen_canvas("70")[:, :, 0]
    photo = cv2.cvtColor(235 - (ink * 0.7).astype(np.uint8), cv2.COLOR_GRAY2BGR)  # dark ink on light paper
    upload(app, "seventy.png", png(cv2.resize(photo, None, fx=3, fy=3)))
    assert_no_exception(app)
    assert not app.error
    assert prediction(app) == "70"


def test_a_photo_of_five_digits_says_the_last_is_evened_too_not_the_other_1_digits(app):
    ink = pen_canvas("70124")[:, :, 0]
    photo = cv2.cvtColor(235 - (ink * 0.7).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    upload(app, "number.png", png(cv2.resize(photo, None, fx=3, fy=3)))
    assert_no_exception(app)
    captions = [caption.value for caption in app.caption]
    assert "The last digit is evened the same way." in captions
    assert not [caption for caption in captions if "other 1 digits" in caption]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.png", b"these are not pixels", "not an image"),
        ("cut.png", png(pen_canvas("7"))[:400], "incomplete"),
    ],
)
def test_bad_upload_shows_an_error_instead_of_crashing(app, name, data, message):
    upload(app, name, data)
    assert_no_exception(app)
    assert any(message in error.value and name in error.value for error in app.error)
    assert not app.metric


def test_too_large_image_is_refused_with_its_size(app):
    buffer = io.BytesIO()
    from PIL import Image

    Image.new("L", (8000, 6000)).save(buffer, format="PNG")
    upload(app, "huge.png", buffer.getvalue())
    assert_no_exception(app)
    assert any("megapixels" in error.value for error in app.error)


def test_correction_saves_the_drawing_to_my_digits(app, handlab_home):
    drawing = pen_canvas("7")
    run_with_canvas(app, drawing)
    app.text_input(key="draw_fix_answer").input("1")
    with mock.patch("core.ui.draw.digit_canvas", return_value=drawing):
        app.button(key="draw_fix_save").click().run()  # a form's submit button
    assert_no_exception(app)
    assert any("My digits now has 1" in success.value for success in app.success)
    (sample,) = samples.list_samples()
    assert sample.label == "1"
    assert sample.path.is_relative_to(handlab_home)
    assert sample.original_path.is_file()


def test_a_drawing_read_as_a_digit_can_be_saved_as_not_a_digit_to_train_on(app):
    # A plus reads as a sure 4 (docs/digits.md): the user tells the app it is no digit, for mnist_other to learn.
    plus = np.zeros((320, 320), np.uint8)
    cv2.line(plus, (160, 70), (160, 250), 255, 18, cv2.LINE_AA)
    cv2.line(plus, (70, 160), (250, 160), 255, 18, cv2.LINE_AA)
    drawing = as_canvas_rgba(plus / 255)
    run_with_canvas(app, drawing)
    with mock.patch("core.ui.draw.digit_canvas", return_value=drawing):
        app.button(key="draw_fix_not_a_digit").click().run()
    assert_no_exception(app)
    assert any("Saved 1 piece as not a digit (1 so far)" in success.value for success in app.success)
    (sample,) = samples.list_samples()
    assert sample.label == samples.NOT_A_DIGIT
    assert sample.original_path.is_file()
    assert samples.load_all(samples.MY_DIGITS, (samples.NOT_A_DIGIT,))[0].shape == (1, 28, 28)
    assert samples.count_labelled(samples.MY_DIGITS, ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")) == 0


def test_broken_run_model_shows_an_error_and_falls_back_to_the_shipped_model(app, tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a model")
    store = RunStore()
    run_id = store.create_run({"dataset": "mnist", "recipe": "digits-cnn"}, "broken run", status="completed")
    store.update_run(run_id, model_path=str(broken))
    app.run()
    app.sidebar.selectbox(key="draw_model").select(f"Run {run_id}: broken run")
    run_with_canvas(app, pen_canvas("7"))
    assert_no_exception(app)
    assert any("cannot be loaded" in error.value and "shipped model instead" in error.value for error in app.error)
    assert prediction(app) == "7"


def test_without_any_digits_model_the_page_says_how_to_get_one(app, models_dir):
    for path in models_dir.iterdir():
        path.unlink()
    app.run()
    assert_no_exception(app)
    assert any("no digits model yet" in warning.value for warning in app.warning)


def canvas_value(strokes: int, image_rgba: np.ndarray | None) -> SimpleNamespace:
    """What the canvas sends: Fabric.js objects (one per stroke) and its pixels."""
    objects = [{"type": "path", "stroke": i} for i in range(strokes)]
    return SimpleNamespace(json_data={"objects": objects}, image_data=image_rgba)


def run_with_canvas_value(app: AppTest, value: SimpleNamespace, click: str | None = None) -> mock.MagicMock:
    """Rerun the page (after clicking a button, if given) with the canvas component holding this value."""
    with mock.patch("core.ui.draw.pen_canvas", return_value=(value, 18)) as canvas:
        (app.button(key=click).click() if click else app).run()
    assert_no_exception(app)
    return canvas


def buttons_enabled(app: AppTest) -> dict[str, bool]:
    return {name: not app.button(key=f"draw_canvas_{name}").disabled for name in ("undo", "redo", "clear")}


def test_untouched_canvas_has_undo_redo_and_clear_buttons_all_disabled(app):
    assert [button.label for button in app.button][:3] == ["Undo", "Redo", "Clear"]
    assert buttons_enabled(app) == {"undo": False, "redo": False, "clear": False}


def test_undo_redo_and_clear_buttons_change_the_reading_at_once(app):
    one, seventeen = canvas_value(1, pen_canvas("1")), canvas_value(2, pen_canvas("17"))
    run_with_canvas_value(app, one)
    assert prediction(app) == "1"
    assert buttons_enabled(app) == {"undo": True, "redo": False, "clear": True}
    run_with_canvas_value(app, seventeen)
    assert prediction(app) == "17"

    # The canvas still holds both strokes when Undo reruns the page (it reloads a moment later): the reading
    # follows the button, and the canvas is told to show the first stroke alone.
    canvas = run_with_canvas_value(app, seventeen, click="draw_canvas_undo")
    assert prediction(app) == "1"
    assert canvas.call_args.args[1]["objects"] == one.json_data["objects"]
    assert buttons_enabled(app) == {"undo": True, "redo": True, "clear": True}

    run_with_canvas_value(app, seventeen, click="draw_canvas_redo")
    assert prediction(app) == "17"
    assert buttons_enabled(app) == {"undo": True, "redo": False, "clear": True}

    canvas = run_with_canvas_value(app, seventeen, click="draw_canvas_clear")
    assert any("Draw a digit in the black square" in info.value for info in app.info)
    assert not app.metric
    assert canvas.call_args.args[1]["objects"] == []
    assert buttons_enabled(app) == {"undo": True, "redo": False, "clear": False}

    run_with_canvas_value(app, seventeen, click="draw_canvas_undo")  # Clear can be undone
    assert prediction(app) == "17"


def test_canvas_sending_back_an_undone_drawing_is_no_new_stroke(app):
    run_with_canvas_value(app, canvas_value(1, pen_canvas("1")))
    run_with_canvas_value(app, canvas_value(2, pen_canvas("17")))
    run_with_canvas_value(app, canvas_value(2, pen_canvas("17")), click="draw_canvas_undo")
    run_with_canvas_value(app, canvas_value(1, pen_canvas("1")))  # the canvas reloaded the first stroke
    assert prediction(app) == "1"
    assert buttons_enabled(app) == {"undo": True, "redo": True, "clear": True}  # Redo still brings back the 7
    run_with_canvas_value(app, canvas_value(2, pen_canvas("14")))  # a new stroke instead
    assert prediction(app) == "14"
    assert buttons_enabled(app) == {"undo": True, "redo": False, "clear": True}


def test_the_chosen_pen_stays_chosen_after_visiting_another_page(app):
    assert run_with_canvas_value(app, canvas_value(0, None)).call_args.args[2] == 18  # the default pen
    with mock.patch("core.ui.draw.pen_canvas", return_value=(canvas_value(0, None), 6)):
        app.run()  # the user clicked the 6 px pen under the canvas
    app.switch_page("pages/history.py").run()
    app.switch_page("pages/draw.py")
    assert run_with_canvas_value(app, canvas_value(0, None)).call_args.args[2] == 6


def test_canvas_is_drawn_before_the_model_has_loaded(models_dir, app_test, monkeypatch, tmp_path):
    # Issue: on a fresh server the canvas came 15.6 s after the start, as TensorFlow and the model loaded first.
    from core import paths
    from core.predictor import Predictor

    # A first run without any model imports the page's modules (the canvas cannot be imported outside an app),
    # and loads no model.
    monkeypatch.setattr(paths, "MODELS_DIR", tmp_path / "no-models")
    app = app_test().run()
    monkeypatch.setattr(paths, "MODELS_DIR", models_dir)

    canvas_drawn = threading.Event()

    def slow_predictor(model_path: Path) -> Predictor:
        """A model that finishes loading only once the page has drawn its canvas (or gives up after 20 s)."""
        if not canvas_drawn.wait(timeout=20):
            raise RuntimeError("the page waited for the model before it drew the canvas")
        return Predictor(model_path)

    def canvas(key: str) -> np.ndarray:
        canvas_drawn.set()
        return pen_canvas("7")

    with (
        mock.patch("core.ui.common.Predictor", side_effect=slow_predictor),
        mock.patch("core.ui.draw.digit_canvas", side_effect=canvas),
    ):
        app.run()
    assert_no_exception(app)
    assert canvas_drawn.is_set()
    assert prediction(app) == "7"  # then the results column waited for the model and read the drawing

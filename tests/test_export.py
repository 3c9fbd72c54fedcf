"""Taking a model away: LiteRT and ONNX exports that run in their runtimes and agree with Keras, bundles that hold
what their cards promise, and clear refusals for models that cannot be exported and for bad input."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers.models import tiny_digits_model
from helpers.runs import DIGITS, finished_run

from core import export, paths
from core.learn import export_card, export_check
from core.learn.export_check import ExportError, Runtime, check_inputs, compare, open_runtime
from core.learn.fit import save_model
from core.learn.runs import RunStore
from core.predictor import load_card, load_model
from core.ui.history import TABLE_KEY
from core.vision import hand_model_files
from core.vision.reading import SURE_FROM
from core.vision.signs import PHOTO_THRESHOLD

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHIPPED = ("digits", "fashion", "letters")
FORMATS = ("litert", "onnx")
CASES = [(task, fmt) for task in SHIPPED for fmt in FORMATS]
SAMPLE = 16  # inputs each test runs through both models itself


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], export.Bundle]:
    """Every shipped model exported to both formats, once for this module, with a HANDLAB_HOME of its own."""
    root = tmp_path_factory.mktemp("bundles")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDLAB_HOME", str(root / "home"))
        return {
            (task, fmt): export.export_bundle(paths.MODELS_DIR / f"{task}.keras", fmt, root / f"{task}-{fmt}", task)
            for task, fmt in CASES
        }


@pytest.fixture(scope="module")
def keras_models() -> dict[str, keras.Model]:
    return {task: load_model(paths.MODELS_DIR / f"{task}.keras") for task in SHIPPED}


def keras_outputs(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model(x, training=False))


@pytest.mark.parametrize(("task", "fmt"), CASES)
def test_a_shipped_models_export_loads_in_its_runtime_and_gives_what_keras_gives(task, fmt, bundles, keras_models):
    bundle = bundles[task, fmt]
    model = keras_models[task]
    x = check_inputs(None, tuple(model.input_shape[1:]), count=SAMPLE).x  # made here, not the check's own inputs
    exported = open_runtime(fmt, bundle.model_file).run(x)
    expected = keras_outputs(model, x)
    assert exported.shape == expected.shape
    np.testing.assert_allclose(exported, expected, atol=1e-4)
    assert (exported.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert bundle.figures.passed
    assert bundle.figures.inputs == export_check.CHECK_INPUTS


@pytest.mark.parametrize(("task", "fmt"), CASES)
def test_the_bundle_holds_what_its_card_promises(task, fmt, bundles, keras_models):
    bundle = bundles[task, fmt]
    card = json.loads((bundle.folder / export_card.CARD_NAME).read_text(encoding="utf-8"))
    keras_card = load_card(paths.MODELS_DIR / f"{task}.keras")
    names = {path.name for path in bundle.folder.iterdir()}
    assert names == {card["file"], export_card.CARD_NAME, export_card.README_NAME, card["input"]["example"]}
    assert card["file"] == f"model{export_check.FORMATS[fmt].suffix}"
    assert card["labels"] == keras_card["labels"]
    example = np.load(bundle.folder / card["input"]["example"])
    assert list(example.shape[1:]) == card["input"]["shape"][1:] == list(keras_models[task].input_shape[1:])
    assert card["confidence"]["temperature"] == keras_card["temperature"]
    assert card["check"]["argmax_agreement"] >= 0.995
    assert card["check"]["max_probability_difference"] <= 1e-3
    assert card["training"] == keras_card
    runtime = open_runtime(fmt, bundle.model_file)
    assert (card["input"]["name"], card["output"]["name"]) == (runtime.input_name, runtime.output_name)
    readme = (bundle.folder / export_card.README_NAME).read_text(encoding="utf-8")
    assert card["runtime"]["package"] in readme
    assert card["input"]["contract"] in readme


def test_the_cards_say_the_input_contract_and_when_the_app_is_not_sure(bundles):
    cards = {task: json.loads((bundles[task, "onnx"].folder / "model_card.json").read_text()) for task in SHIPPED}
    assert cards["digits"]["input"]["contract"].startswith("28×28 grey in [0, 1]")
    assert cards["fashion"]["input"]["contract"].startswith("28×28 grey in [0, 1]")
    assert cards["letters"]["input"]["contract"].startswith("63 float32 numbers")
    assert cards["digits"]["confidence"]["not_sure_below"] == SURE_FROM
    shipped_digits = load_card(paths.MODELS_DIR / "digits.keras")  # the app's "not a digit" travels too
    assert cards["digits"]["confidence"]["not_a_digit_below"] == shipped_digits["not_a_digit_below"]
    assert cards["letters"]["confidence"]["not_sure_below"] == PHOTO_THRESHOLD
    assert cards["fashion"]["confidence"]["not_sure_below"] is None
    hands = cards["letters"]["hand_models"]
    assert hands["names"] == ["palm_detection_full.tflite", "hand_landmark_full.tflite"]
    assert hands["licence"] == "Apache-2.0"
    assert hand_model_files.WHEEL_REQUIREMENT in hands["where"]
    assert "hand_models" not in cards["digits"]
    assert "Getting the landmarks" in (bundles["letters", "onnx"].folder / "README.md").read_text()


@pytest.mark.parametrize(("task", "fmt"), CASES)
def test_the_readme_example_reads_the_example_input_as_the_app_does(task, fmt, bundles, keras_models):
    bundle = bundles[task, fmt]
    readme = (bundle.folder / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.splitlines()) <= 15
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=bundle.folder, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    card = json.loads((bundle.folder / "model_card.json").read_text())
    outputs = keras_outputs(keras_models[task], np.load(bundle.folder / "example_input.npy"))
    p = export_check.app_probabilities(outputs, card["confidence"]["temperature"])[0]
    sure = p.max() >= (card["confidence"]["not_sure_below"] or 0)
    said = card["labels"][int(p.argmax())] if sure else "not sure"
    assert result.stdout.strip().splitlines()[-1] == f"{said} {p.max():.1%}"


def hashing_model(path: Path) -> Path:
    """A model whose Hashing layer (Keras' own, safe to load) needs TensorFlow's string ops at run time."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    hashed = keras.ops.cast(keras.layers.Hashing(num_bins=4)(inputs), "float32")
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hashed))
    return save_model(model, {"labels": ["no", "yes"], "dataset": "pima"}, path)


@pytest.mark.parametrize(("fmt", "lacking"), [("litert", "AsString"), ("onnx", "StringToHashBucketFast")])
def test_a_model_its_runtime_cannot_run_is_refused_with_the_operation_it_lacks(fmt, lacking, tmp_path):
    out = tmp_path / "bundle"
    with pytest.raises(ExportError, match=f"cannot run it: it lacks the {lacking} operation") as refused:
        export.export_bundle(hashing_model(tmp_path / "hashing.keras"), fmt, out, "hashing")
    assert "Hashing" in str(refused.value)  # names the kind of layer to train without
    assert not out.exists()


def test_an_export_that_disagrees_with_keras_is_refused_and_not_written(tmp_path, monkeypatch):
    model_path = save_model(tiny_digits_model(), {"labels": DIGITS, "dataset": "mnist"}, tmp_path / "tiny.keras")

    def shifted(fmt: str, model_file: Path) -> Runtime:  # a runtime that reads every input as the next class
        runtime = open_runtime(fmt, model_file)
        return Runtime(runtime.input_name, runtime.output_name, lambda x: np.roll(runtime.run(x), 1, axis=1))

    monkeypatch.setattr(export, "open_runtime", shifted)
    out = tmp_path / "bundle"
    with pytest.raises(export.ExportRefused, match="disagrees with the Keras model") as refused:
        export.export_bundle(model_path, "onnx", out, "tiny")
    assert refused.value.figures.agreement < 0.995
    assert not refused.value.figures.passed
    assert not out.exists()


def test_agreement_of_199_in_200_passes_and_198_does_not():
    keras_probabilities = np.tile(np.array([[0.9, 0.1]], np.float32), (200, 1))
    one_off, two_off = keras_probabilities.copy(), keras_probabilities.copy()
    one_off[:1] = two_off[:2] = [0.1, 0.9]
    assert compare(keras_probabilities, keras_probabilities, 1.0, "same").max_difference == 0
    assert compare(keras_probabilities, one_off, 1.0, "one off").agreement == 0.995
    assert compare(keras_probabilities, one_off, 1.0, "one off").problems().startswith("probabilities up to 8.0e-01")
    assert not compare(keras_probabilities, two_off, 1.0, "two off").passed
    nudged = keras_probabilities + np.float32(2e-3) * np.array([[-1, 1]], np.float32)
    assert not compare(keras_probabilities, nudged, 1.0, "nudged").passed
    assert compare(keras_probabilities, keras_probabilities + 1e-4 * np.array([[-1, 1]]), 1.0, "close").passed


def test_without_a_test_set_the_check_makes_its_inputs_the_same_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path))
    images = check_inputs("mnist", (28, 28, 1))
    assert images.x.shape == (200, 28, 28, 1)
    assert images.x.dtype == np.float32
    assert images.x.min() >= 0
    assert images.x.max() <= 1
    assert images.x.max() > 0.5
    assert "made-up images" in images.source
    np.testing.assert_array_equal(images.x, check_inputs("mnist", (28, 28, 1)).x)
    assert check_inputs("asl_landmarks", (63,)).x.shape == (200, 63)


def test_with_a_test_set_the_check_reads_it(tiny_mnist_dir):
    inputs = check_inputs("mnist_pen", (28, 28, 1))  # the shipped digits model's dataset: MNIST's test digits
    expected = np.load(tiny_mnist_dir / "mnist.npz")["x_test"]
    assert inputs.source == "32 MNIST test inputs"
    np.testing.assert_allclose(inputs.x[..., 0], expected / 255.0, atol=1e-6)


def test_the_zip_holds_the_bundle_in_one_folder(tmp_path):
    model_path = save_model(tiny_digits_model(), {"labels": DIGITS, "dataset": "mnist"}, tmp_path / "tiny.keras")
    zipped = export.zipped_bundle(model_path, "litert", "handlab-run-3")
    assert zipped.file_name == "handlab-run-3-litert.zip"
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        names = set(archive.namelist())
        card = json.loads(archive.read("handlab-run-3-litert/model_card.json"))
    assert names == {
        f"handlab-run-3-litert/{name}" for name in ("model.tflite", "model_card.json", "README.md", "example_input.npy")
    }
    assert card["name"] == "handlab-run-3"
    assert zipped.figures.passed


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.export", *args],
        cwd=PROJECT_DIR,
        env={**os.environ, "HANDLAB_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_cli_writes_a_checked_bundle_of_a_finished_run(handlab_home, tmp_path):
    run_id = finished_run(RunStore(), paths.home_dir(), "tiny", 0.001)
    result = run_cli(str(run_id), "--format", "onnx", "--out", str(tmp_path / "out"), home=handlab_home)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Exported handlab-run-{run_id} to ONNX" in result.stdout
    assert "the same most likely class for 100.0%" in result.stdout
    assert {path.name for path in (tmp_path / "out").iterdir()} == {
        "model.onnx",
        "model_card.json",
        "README.md",
        "example_input.npy",
    }


def test_the_cli_says_a_missing_file_is_missing_with_exit_code_2(handlab_home, tmp_path):
    result = run_cli(str(tmp_path / "nowhere.keras"), "--format", "litert", home=handlab_home)
    assert result.returncode == 2
    missing = tmp_path / "nowhere.keras"
    assert result.stderr.strip() == f"error: There is no model file at {missing}, and '{missing}' is not a run id."


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp: "41", "There is no run 41 in"),
        (lambda tmp: str(tmp), "is a folder: give a .keras model file"),
        (lambda tmp: str(_damaged(tmp)), "cannot be loaded safely: it is not a .keras file, or it is damaged"),
        (lambda tmp: str(_queued_run()), "has no model to export: it is queued"),
    ],
    ids=["unknown run", "folder", "damaged file", "unfinished run"],
)
def test_bad_input_gets_one_clear_line_and_exit_code_2(make, says, tmp_path, capsys):
    assert export.main([make(tmp_path), "--format", "onnx", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _damaged(folder: Path) -> Path:
    path = folder / "damaged.keras"
    path.write_bytes(b"not a zip at all")
    return path


def _queued_run() -> int:
    return RunStore().create_run({"recipe": "mnist-dense-512", "dataset": "mnist"}, "waiting")


def test_history_exports_a_runs_model_and_offers_the_zip(tiny_mnist_dir, app_test):
    run_id = finished_run(RunStore(), paths.home_dir(), "tiny", 0.001)
    app = app_test().run().switch_page("pages/history.py").run()
    app.session_state[TABLE_KEY] = {"selection": {"rows": [0]}}
    app.run()
    key = f"history_actions_{run_id}_export"
    assert not [b for b in app.get("download_button") if "bundle" in b.proto.label]  # nothing before the click
    app.radio(key=f"{key}_format").set_value("onnx").run()
    app.button(key=f"{key}_go_onnx").click().run()
    assert not app.exception
    assert not app.error
    labels = [button.proto.label for button in app.get("download_button")]
    assert "Download the ONNX bundle (.zip)" in labels
    assert app.metric[0].label == "Same class as Keras"
    assert app.metric[0].value == "100.0%"
    app.run()  # a rerun shows the same bundle, from the cache, without a second click
    assert "Download the ONNX bundle (.zip)" in [button.proto.label for button in app.get("download_button")]


def test_history_says_why_a_runs_model_cannot_be_exported(tiny_mnist_dir, app_test):
    run_id = finished_run(RunStore(), paths.home_dir(), "hashing", 0.001)
    hashing_model(paths.run_dir(run_id) / "model.keras")  # the run's model, now with a Hashing layer
    app = app_test().run().switch_page("pages/history.py").run()
    app.session_state[TABLE_KEY] = {"selection": {"rows": [0]}}
    app.run()
    app.button(key=f"history_actions_{run_id}_export_go_litert").click().run()
    assert not app.exception
    assert "lacks the AsString operation" in app.error[0].value
    assert not [button for button in app.get("download_button") if "bundle" in button.proto.label]

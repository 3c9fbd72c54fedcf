"""`python -m core.export MODEL_FILE_OR_RUN_ID --format litert|onnx --out DIR`: a model to take away, checked first.

Keras 3 exports the model (`model.export(format="litert")` or `"onnx"`); the exported file then runs in its own
runtime (LiteRT or ONNX Runtime) beside the Keras model on 200 test inputs, and only a file that agrees with it
becomes a bundle: the model file, its card (model_card.json: labels, the input, the temperature and the "not sure"
threshold, the check's figures), one example input and a README with a short example. The History page offers the
same bundle as a zip.
"""

import argparse
import contextlib
import io
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.learn import export_card, run_files
from core.learn.export_check import (
    FORMATS,
    CheckFigures,
    CheckInputs,
    ExportError,
    Format,
    check_inputs,
    compare,
    get_format,
    open_runtime,
)
from core.learn.runs import RunStore
from core.predictor import load_card, load_model

# tf2onnx patches itself (Keras does it for NumPy 2) and keeps module state while converting; one at a time.
_CONVERT_LOCK = threading.Lock()


class ExportRefused(ExportError):
    """The exported file does not give what the Keras model gives; the figures say how far apart they are."""

    def __init__(self, fmt: Format, figures: CheckFigures):
        super().__init__(
            f"The {fmt.title} export disagrees with the Keras model, so it is not offered: {figures.problems()} "
            f"on {figures.source}."
        )
        self.figures = figures


@dataclass(frozen=True)
class Bundle:
    """An exported, checked model in its folder, with its card, README and example input."""

    folder: Path
    fmt: Format
    figures: CheckFigures
    inputs: CheckInputs  # what it was checked on
    export_s: float  # Keras' export of the model file alone
    model_bytes: int

    @property
    def model_file(self) -> Path:
        """The exported model file (model.tflite or model.onnx)."""
        return self.folder / (export_card.MODEL_STEM + self.fmt.suffix)


def find_model(model_or_run: str, store: RunStore | None = None) -> tuple[Path, str]:
    """The .keras file and a bundle name for a model file's path or a run's id; ExportError when there is none."""
    path = Path(model_or_run)
    if path.is_file():
        return path, path.stem
    if path.exists():
        raise ExportError(f"{path} is a folder: give a .keras model file, or the id of a run in History.")
    if not model_or_run.isdigit():
        raise ExportError(f"There is no model file at {path}, and {model_or_run!r} is not a run id.")
    store = store or RunStore()
    try:
        run = store.get_run(int(model_or_run))
    except KeyError:
        raise ExportError(f"There is no run {model_or_run} in {store.location}: History lists the runs.") from None
    model = run_files.model_file(store, run)
    if model is None:
        raise ExportError(f"Run {run.id} has no model to export: it is {run.status}. Export a finished run.")
    return model, f"handlab-run-{run.id}"


def export_bundle(
    model_path: Path, format_name: str, out_dir: Path, name: str, progress: Callable[[str], None] | None = None
) -> Bundle:
    """Export a .keras model, check the file against it, and write the bundle into `out_dir`.

    ValueError (ExportError among them) for a model that cannot be loaded or exported; ExportRefused when the
    exported file disagrees with Keras, and then `out_dir` is left as it was. `progress` hears each step.
    """
    say = progress or (lambda step: None)
    fmt = get_format(format_name)
    say("Loading the model")
    model, keras_card = load_model(model_path), load_card(model_path)
    if isinstance(model.input_shape, list) or len(model.outputs) != 1:
        raise ExportError(f"The model {Path(model_path).name} has several inputs or outputs: Handlab exports one each.")
    input_shape = tuple(model.input_shape[1:])
    inputs = check_inputs(keras_card.get("dataset"), input_shape)
    # Called before the export, too: Keras' ONNX export refuses a loaded model that was never called.
    keras_outputs = np.asarray(model(inputs.x, training=False))
    with tempfile.TemporaryDirectory(prefix="handlab-export-") as scratch:
        folder = Path(scratch)
        model_file = folder / (export_card.MODEL_STEM + fmt.suffix)
        say(f"Exporting to {fmt.title}")
        export_s = _convert(model, fmt, model_file)
        say(f"Checking it on {len(inputs.x)} inputs beside Keras")
        runtime = open_runtime(fmt.name, model_file)
        temperature = float(keras_card.get("temperature", 1.0))
        figures = compare(keras_outputs, runtime.run(inputs.x), temperature, inputs.source)
        if not figures.passed:
            raise ExportRefused(fmt, figures)
        card = export_card.bundle_card(name, fmt, runtime, keras_card, temperature, input_shape, figures)
        (folder / export_card.CARD_NAME).write_text(export_card.card_json(card), encoding="utf-8")
        model_bytes = model_file.stat().st_size
        (folder / export_card.README_NAME).write_text(export_card.readme_text(card, model_bytes), encoding="utf-8")
        np.save(folder / export_card.EXAMPLE_NAME, inputs.x[:1])
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for file in sorted(folder.iterdir()):
            shutil.move(file, out_dir / file.name)
    return Bundle(out_dir, fmt, figures, inputs, export_s, model_bytes)


def _convert(model, fmt: Format, model_file: Path) -> float:
    """Keras' own export of the model into `model_file`; the seconds it took. ExportError says why it failed."""
    with _CONVERT_LOCK, warnings.catch_warnings(), _quiet_logger("tf2onnx"):
        warnings.simplefilter("ignore")  # Keras' NumPy 2 patch of tf2onnx, and TensorFlow's deprecations
        start = time.perf_counter()
        try:
            model.export(str(model_file), format=fmt.name, verbose=False)
        except ImportError as error:
            raise ExportError(f"{fmt.title} export needs a package that is not installed: {error}") from None
        except Exception as error:  # The converters raise many types; all mean "this model does not convert".
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ExportError(f"Keras cannot export this model to {fmt.title}: {reason}") from None
        return time.perf_counter() - start


@contextlib.contextmanager
def _quiet_logger(name: str):
    """Silence a chatty library's logger while the block runs (its errors reach the user as an ExportError)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def zip_bundle(bundle: Bundle, folder_name: str) -> bytes:
    """The bundle's files as a zip, inside one folder named `folder_name`."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(bundle.folder.iterdir()):
            archive.write(file, f"{folder_name}/{file.name}")
    return data.getvalue()


@dataclass(frozen=True)
class ZippedBundle:
    """A checked bundle as the History page offers it: a zip to download, and its figures."""

    file_name: str  # handlab-run-7-litert.zip
    data: bytes
    figures: CheckFigures
    export_s: float
    model_bytes: int


def zipped_bundle(
    model_path: Path, format_name: str, name: str, progress: Callable[[str], None] | None = None
) -> ZippedBundle:
    """export_bundle into a scratch folder, as a zip; the same errors."""
    folder_name = f"{name}-{format_name}"
    with tempfile.TemporaryDirectory(prefix="handlab-bundle-") as scratch:
        bundle = export_bundle(model_path, format_name, Path(scratch), name, progress)
        data = zip_bundle(bundle, folder_name)
    return ZippedBundle(f"{folder_name}.zip", data, bundle.figures, bundle.export_s, bundle.model_bytes)


def main(argv: list[str] | None = None) -> int:
    """Export and check one model; print the figures and the bundle's files. Exit 2 for bad input, 1 if refused."""
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads with the model: no C++ chatter
    try:
        model_path, name = find_model(args.model)
        out_dir = args.out or Path(f"{name}-{args.format}")
        bundle = export_bundle(model_path, args.format, out_dir, name, progress=_say if args.verbose else None)
    except ExportRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    except ValueError as error:  # ExportError, and load_model's and load_card's refusals
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"Exported {name} to {bundle.fmt.title} in {bundle.export_s:.1f} s: {bundle.model_file} "
        f"({bundle.model_bytes / 1e6:.2f} MB)"
    )
    print(f"Checked on {bundle.figures.summary()}")
    print(f"Bundle: {bundle.folder}/ ({', '.join(sorted(file.name for file in bundle.folder.iterdir()))})")
    return 0


def _say(step: str) -> None:
    print(f"{step}…", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", metavar="MODEL_FILE_OR_RUN_ID", help="a .keras model file, or the id of a run")
    parser.add_argument("--format", required=True, choices=list(FORMATS), help="LiteRT (.tflite) or ONNX (.onnx)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where the bundle goes (default: NAME-FORMAT/)")
    parser.add_argument("--verbose", action="store_true", help="say each step on stderr")
    return parser


if __name__ == "__main__":
    sys.exit(main())

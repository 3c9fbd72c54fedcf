"""Sign Language MNIST in the Kaggle CSV format: read, validate, and map labels to letters.

A file is `label,pixel1,…,pixel784` (the header is optional) with one 28×28 image per line. Labels are the
original values 0..24, where 9 (J) never occurs because J and Z need motion. Some copies on the web renumber
the labels to 0..23 (original 10..24 lowered by one); see `detect_numbering` for how those are recognised.
"""

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from core.labels import SIGN_LABELS

Numbering = Literal["auto", "original", "renumbered"]

# Original Sign Language MNIST labels: A=0 … I=8, K=10 … Y=24 (no J = 9, no Z = 25).
NUM_VALUES = 1 + 28 * 28
_BAD_LABEL = "not a Sign Language MNIST label (0..24, no 9 = J)"
_INTEGER = re.compile(r"\s*-?\d+\s*")
# A label 0..24 and 784 pixels 0..255, written plainly. Lines with spaces or leading zeros miss this fast
# check and are then checked field by field, which accepts them.
_GOOD_LINE = re.compile(r"(?:2[0-4]|1?\d)(?:,(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){784}")


def read_sign_mnist_csv(path: Path, *, numbering: Numbering = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Read a Sign MNIST CSV and return (x uint8 (N, 28, 28), original labels int64 (N,)).

    `numbering="auto"` accepts files renumbered to 0..23 when that is unambiguous (see `detect_numbering`).
    Raises ValueError naming the file and the 1-based line of the first problem.
    """
    x, raw_labels = parse_sign_mnist_csv(path)
    if numbering == "auto":
        numbering = detect_numbering(raw_labels)
    return x, original_sign_labels(path, raw_labels, numbering)


def read_sign_mnist_pair(train_path: Path, test_path: Path) -> tuple[np.ndarray, ...]:
    """Read a train and a test CSV: x_train, original labels, x_test, original labels.

    The numbering is decided from both files together, so a small test file follows its training file.
    """
    x_train, raw_train = parse_sign_mnist_csv(train_path)
    x_test, raw_test = parse_sign_mnist_csv(test_path)
    numbering = detect_numbering(np.concatenate([raw_train, raw_test]))
    labels_train = original_sign_labels(train_path, raw_train, numbering)
    labels_test = original_sign_labels(test_path, raw_test, numbering)
    return x_train, labels_train, x_test, labels_test


def detect_numbering(raw_labels: np.ndarray) -> Literal["original", "renumbered"]:
    """Say whether labels look renumbered to 0..23: label 9 occurs and label 24 never does.

    Original files never contain 9 (J), and renumbered ones never contain 24. A file with neither (no K or
    no Y rows, only possible in partial files) is ambiguous and read as original, the Kaggle format.
    """
    labels = set(np.unique(raw_labels).tolist())
    return "renumbered" if 9 in labels and 24 not in labels else "original"


def original_sign_labels(path: Path, raw_labels: np.ndarray, numbering: Numbering) -> np.ndarray:
    """Check labels against `numbering` and return them as original labels 0..24 without 9."""
    path = Path(path)
    if numbering == "renumbered":
        bad = raw_labels > 23
        reason = "outside 0..23 (this file's labels are renumbered to 0..23)"
    else:
        bad = ~np.isin(raw_labels, SIGN_LABELS)
        reason = _BAD_LABEL
    if bad.any():
        row = int(np.argmax(bad))
        line = _line_of_row(path, row)
        raise ValueError(f"{path.name} line {line}: label {raw_labels[row]} is {reason}")
    labels = raw_labels.astype(np.int64)
    return labels + (labels >= 9) if numbering == "renumbered" else labels


def sign_class_indices(original_labels: np.ndarray) -> np.ndarray:
    """Map original labels 0..24 (no 9) to class indices 0..23 into `SIGN_LETTERS`."""
    labels = np.asarray(original_labels, dtype=np.int64)
    return labels - (labels > 9)


def parse_sign_mnist_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a Sign MNIST CSV with labels 0..24 as written: (x uint8 (N, 28, 28), raw labels int64 (N,))."""
    path = Path(path)
    try:
        return _parse_text_csv(path)
    except UnicodeDecodeError:
        # A photo or spreadsheet renamed to .csv: say where the text stops, not which codec failed.
        raise ValueError(
            f"{path.name} line {_first_binary_line(path)}: not text; expected the Kaggle CSV (label,pixel1,…,pixel784)"
        ) from None


def _first_binary_line(path: Path) -> int:
    """The 1-based number of the first line that is not UTF-8 text."""
    with path.open("rb") as file:
        for line_number, line in enumerate(file, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return line_number
    return 1


def _parse_text_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """parse_sign_mnist_csv for a file that may raise UnicodeDecodeError."""
    header_line = _find_header(path)
    try:
        # pandas' C parser reads the 83 MB training file in about a second; np.loadtxt takes far longer.
        with warnings.catch_warnings():
            # Mixed-type columns only occur in bad files, which the line-by-line scan below reports.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(path, header=None, skiprows=header_line, encoding="utf-8-sig", engine="c")
        values = _checked_values(frame)
    except (ValueError, pd.errors.ParserError) as error:
        # Something is off: scan line by line to report the first bad line (slow, only on bad files).
        _raise_first_problem(path, header_line)
        raise ValueError(f"{path.name}: cannot be read as Sign Language MNIST CSV ({error})") from error
    x = values[:, 1:].astype(np.uint8).reshape(-1, 28, 28)
    return x, values[:, 0].copy()


def _find_header(path: Path) -> int:
    """Return how many lines precede the data: 1 if the first line is a header (no field is a number)."""
    with path.open(encoding="utf-8-sig", newline=None) as file:
        for index, line in enumerate(file):
            if line.strip():
                fields = line.strip().split(",")
                return index + (not any(_is_number(field) for field in fields))
    raise ValueError(f"{path.name} is empty: expected label,pixel1,…,pixel784 and one line per image")


def _checked_values(frame: pd.DataFrame) -> np.ndarray:
    """Return the frame as int64 values, or raise ValueError if any shape, type or range check fails."""
    if frame.empty or frame.shape[1] != NUM_VALUES:
        raise ValueError(f"{frame.shape[1]} columns")
    if not all(pd.api.types.is_integer_dtype(dtype) for dtype in frame.dtypes):
        raise ValueError("a value is not a whole number")
    values = frame.to_numpy(dtype=np.int64)
    labels, pixels = values[:, 0], values[:, 1:]
    if labels.min() < 0 or labels.max() > 24 or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("a value is out of range")
    return values


def _raise_first_problem(path: Path, header_line: int) -> None:
    """Raise ValueError for the first bad line of a Sign MNIST CSV; return if none is found."""
    rows = 0
    for line_number, text in _data_lines(path, header_line):
        rows += 1
        # One C-level regex match clears a good line; only a bad line is examined field by field.
        if not _GOOD_LINE.fullmatch(text):
            _check_fields(f"{path.name} line {line_number}", text.split(","))
    if rows == 0:
        raise ValueError(f"{path.name} has a header but no data lines")


def _check_fields(where: str, fields: list[str]) -> None:
    """Raise ValueError naming the first bad field of one data line."""
    if len(fields) != NUM_VALUES:
        raise ValueError(f"{where}: expected {NUM_VALUES} values, found {len(fields)}")
    if not _INTEGER.fullmatch(fields[0]):
        raise ValueError(f"{where}: label {fields[0].strip()!r} is not a whole number")
    if not 0 <= int(fields[0]) <= 24:
        raise ValueError(f"{where}: label {int(fields[0])} is {_BAD_LABEL}")
    for column, field in enumerate(fields[1:], start=1):
        if not _INTEGER.fullmatch(field):
            raise ValueError(f"{where}: pixel{column} is {field.strip()!r}, not a whole number")
        if not 0 <= int(field) <= 255:
            raise ValueError(f"{where}: pixel{column} is {int(field)}, outside 0..255")


def _data_lines(path: Path, header_line: int) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, text without the line break) for each non-blank data line."""
    with path.open(encoding="utf-8-sig", newline=None) as file:
        for line_number, line in enumerate(file, start=1):
            if line_number > header_line and line.strip():
                yield line_number, line.rstrip("\r\n")


def _line_of_row(path: Path, row: int) -> int:
    """Return the 1-based file line of data row `row` (blank lines are skipped, as pandas does)."""
    for index, (line_number, _) in enumerate(_data_lines(path, _find_header(path))):
        if index == row:
            return line_number
    raise IndexError(f"{path.name} has no data row {row}")


def _is_number(text: str) -> bool:
    """Say whether `text` parses as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True

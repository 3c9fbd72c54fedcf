"""Sign Language MNIST in the Kaggle CSV format: read, validate, and map labels to letters.

A file is `label,pixel1,…,pixel784` (the header is optional) with one 28×28 image per line. Labels are the
original values 0..24, where 9 (J) never occurs because J and Z need motion. Some copies on the web renumber
the labels to 0..23 (original 10..24 lowered by one); see `detect_numbering` for how those are recognised.
"""

import csv
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, NoReturn

import numpy as np
import pandas as pd

from core.labels import SIGN_LABELS

Numbering = Literal["original", "renumbered"]

# Original Sign Language MNIST labels: A=0 … I=8, K=10 … Y=24 (no J = 9, no Z = 25).
NUM_VALUES = 1 + 28 * 28
_BAD_LABEL = "not a Sign Language MNIST label (0..24, no 9 = J)"
_INTEGER = re.compile(r"\s*-?\d+\s*")
# One table of numbers; a header line is skipped, not read as column names.
_CSV_OPTIONS = {"header": None, "encoding": "utf-8-sig", "engine": "c"}
_SLOW_OPTIONS = {"quoting": csv.QUOTE_NONE, "on_bad_lines": "skip"}


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


def detect_numbering(raw_labels: np.ndarray) -> Numbering:
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
    header_lines = _find_header(path)
    try:
        values = _checked_values(_read_table(path, header_lines))
    except pd.errors.ParserError:  # A line with too many values, or a quote left open.
        values = None
    if values is None:
        # pandas says something is off but not on which line: find and explain it (only bad files pay this).
        _raise_first_problem(path, header_lines, _bad_rows(path, header_lines))
    x = values[:, 1:].astype(np.uint8).reshape(-1, 28, 28)
    return x, values[:, 0].copy()


def _read_table(path: Path, header_lines: int, **options) -> pd.DataFrame:
    """Read the data lines with pandas' C parser, one row per non-blank line."""
    # The C parser reads the 83 MB training file in a few seconds; np.loadtxt takes far longer, and explicit
    # dtypes measured about twice as slow as letting pandas infer int64.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # Mixed types only occur in bad files.
            return pd.read_csv(path, skiprows=header_lines, **_CSV_OPTIONS, **options)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name} has a header but no data lines") from None


def _find_header(path: Path) -> int:
    """Return how many lines precede the data: 1 if the first line is a header (no field is a number)."""
    with path.open(encoding="utf-8-sig", newline=None) as file:
        for index, line in enumerate(file):
            if line.strip():
                fields = line.strip().split(",")
                return index + (not any(_is_number(field) for field in fields))
    raise ValueError(f"{path.name} is empty: expected label,pixel1,…,pixel784 and one line per image")


def _checked_values(frame: pd.DataFrame) -> np.ndarray | None:
    """Return the frame as int64 values if every row is a label 0..24 and 784 pixels 0..255, else None."""
    if frame.shape[1] != NUM_VALUES or not all(pd.api.types.is_integer_dtype(dtype) for dtype in frame.dtypes):
        return None
    values = frame.to_numpy(dtype=np.int64)
    labels, pixels = values[:, 0], values[:, 1:]
    if labels.min() < 0 or labels.max() > 24 or pixels.min() < 0 or pixels.max() > 255:
        return None
    return values


def _bad_rows(path: Path, header_lines: int) -> np.ndarray:
    """Flag each data row holding a value that is not a whole number in range, as `_check_fields` would."""
    # Read again taking quotes as plain text, as `_check_fields` does, so that rows follow lines, and leaving
    # out lines with too many values, which `_raise_first_problem` finds by counting.
    frame = _read_table(path, header_lines, **_SLOW_OPTIONS)
    if frame.shape[1] != NUM_VALUES:
        return np.ones(len(frame), dtype=bool)  # Then the first data line has the wrong number of values.
    text_columns = [column for column, dtype in frame.dtypes.items() if not pd.api.types.is_integer_dtype(dtype)]
    if text_columns:
        # pandas keeps no text for what it read as floats ("1.5", "" or "1e3"): read those columns as text.
        as_text = dict.fromkeys(text_columns, str)
        frame = _read_table(path, header_lines, **_SLOW_OPTIONS, dtype=as_text, keep_default_na=False)
    bad = np.zeros(len(frame), dtype=bool)
    for column in text_columns:
        whole = frame[column].str.fullmatch(_INTEGER.pattern).fillna(False).astype(bool)
        bad |= ~whole.to_numpy()
        frame[column] = pd.to_numeric(frame[column].where(whole, "0").str.strip())
    values = frame.to_numpy(dtype=np.float64)  # Floats, so that an absurdly long number stays out of range.
    labels, pixels = values[:, 0], values[:, 1:]
    return bad | (labels < 0) | (labels > 24) | (pixels < 0).any(axis=1) | (pixels > 255).any(axis=1)


def _raise_first_problem(path: Path, header_lines: int, bad_rows: np.ndarray) -> NoReturn:
    """Raise ValueError for the first line with the wrong number of values or in `bad_rows`."""
    # pandas left out lines with too many values, so its rows match the data lines only up to the first line
    # whose value count is wrong, which is where the search stops anyway.
    for row, (line_number, text) in enumerate(_data_lines(path, header_lines)):
        if text.count(",") != NUM_VALUES - 1 or row >= len(bad_rows) or bad_rows[row]:
            _check_fields(f"{path.name} line {line_number}", text.split(","))
    raise ValueError(f"{path.name}: cannot be read as Sign Language MNIST CSV (label,pixel1,…,pixel784)")


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

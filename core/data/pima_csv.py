"""Pima Indians Diabetes (`diabetes.csv`, the Kaggle/UCI file): read it with pandas and name any bad line."""

import csv
import math
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

PIMA_HEADER = "Pregnancies,Glucose,BloodPressure,SkinThickness,Insulin,BMI,DiabetesPedigreeFunction,Age,Outcome"
PIMA_COLUMNS = tuple(PIMA_HEADER.split(","))
# The header (checked apart) is skipped so that pandas counts values without a header: with one, a line
# with one value too many would silently lend its first value to an index. Quotes are not syntax here (a
# quoted value is refused as text), and pandas' default float parser matched float() on 300,000 decimals.
_CSV_OPTIONS = {"header": None, "skiprows": 1, "encoding": "utf-8-sig", "engine": "c", "quoting": csv.QUOTE_NONE}


def read_pima_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read diabetes.csv: x float32 (N, 8) and Outcome int64 (N,); ValueError names the bad line."""
    path = Path(path)
    lines = _text_lines(path)
    if [name.strip() for name in lines[0].split(",")] != list(PIMA_COLUMNS):
        raise ValueError(f"{path.name} line 1: expected the header {PIMA_HEADER}")
    if not any(line.strip() for line in lines[1:]):
        raise ValueError(f"{path.name} has a header but no data lines")
    try:
        values = _checked_values(pd.read_csv(path, **_CSV_OPTIONS))
    except pd.errors.ParserError:  # A line with too many values.
        values = None
    if values is None:
        # pandas says something is off but not where: explain the first bad line (the file is 768 lines).
        _raise_first_problem(path.name, lines)
    return values[:, :-1].astype(np.float32), values[:, -1].astype(np.int64)


def _text_lines(path: Path) -> list[str]:
    """The lines of the file, or ValueError if it is not text or holds nothing but blank lines."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not text: expected a CSV with the header {PIMA_HEADER}") from None
    if not any(line.strip() for line in lines):
        raise ValueError(f"{path.name} is empty: expected the header {PIMA_HEADER} and 768 rows")
    return lines


def _checked_values(frame: pd.DataFrame) -> np.ndarray | None:
    """The frame as float64 values if every value is a number ≥ 0 and every Outcome 0 or 1, else None."""
    if frame.shape[1] != len(PIMA_COLUMNS) or any(dtype.kind not in "iuf" for dtype in frame.dtypes):
        return None  # Text (or True/False) somewhere, or a line with too few values.
    values = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any() or not np.isin(values[:, -1], (0, 1)).all():
        return None
    return values


def _raise_first_problem(file_name: str, lines: list[str]) -> NoReturn:
    """Raise ValueError naming the first bad data line."""
    for line_number, line in enumerate(lines[1:], start=2):
        if line.strip():
            _check_line(f"{file_name} line {line_number}", line)
    raise ValueError(f"{file_name}: cannot be read as a CSV with the header {PIMA_HEADER}")


def _check_line(where: str, line: str) -> None:
    """Raise ValueError naming the first bad value of one data line of diabetes.csv."""
    fields = line.split(",")
    if len(fields) != len(PIMA_COLUMNS):
        raise ValueError(f"{where}: expected {len(PIMA_COLUMNS)} values, found {len(fields)}")
    for column, text in zip(PIMA_COLUMNS, fields, strict=True):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{where}: {column} is {text.strip()!r}, not a number") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{where}: {column} is {text.strip()}, expected a number ≥ 0")
    if float(fields[-1]) not in (0.0, 1.0):
        raise ValueError(f"{where}: Outcome is {fields[-1].strip()}, expected 0 or 1")

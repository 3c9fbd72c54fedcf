"""Pima Indians Diabetes (`diabetes.csv`, the Kaggle/UCI file): read and validate it line by line."""

import math
from pathlib import Path

import numpy as np

PIMA_HEADER = "Pregnancies,Glucose,BloodPressure,SkinThickness,Insulin,BMI,DiabetesPedigreeFunction,Age,Outcome"
PIMA_COLUMNS = tuple(PIMA_HEADER.split(","))


def read_pima_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read diabetes.csv: x float32 (N, 8) and Outcome int64 (N,); ValueError names the bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not text: expected a CSV with the header {PIMA_HEADER}") from None
    if not any(line.strip() for line in lines):
        raise ValueError(f"{path.name} is empty: expected the header {PIMA_HEADER} and 768 rows")
    if [name.strip() for name in lines[0].split(",")] != list(PIMA_COLUMNS):
        raise ValueError(f"{path.name} line 1: expected the header {PIMA_HEADER}")
    rows = [_pima_row(path.name, n, line) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    if not rows:
        raise ValueError(f"{path.name} has a header but no data lines")
    table = np.array(rows)
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


def _pima_row(file_name: str, line_number: int, line: str) -> list[float]:
    """Parse and check one data line of diabetes.csv."""
    where = f"{file_name} line {line_number}"
    fields = line.split(",")
    if len(fields) != len(PIMA_COLUMNS):
        raise ValueError(f"{where}: expected {len(PIMA_COLUMNS)} values, found {len(fields)}")
    values = []
    for column, text in zip(PIMA_COLUMNS, fields, strict=True):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{where}: {column} is {text.strip()!r}, not a number") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{where}: {column} is {text.strip()}, expected a number ≥ 0")
        values.append(value)
    if values[-1] not in (0.0, 1.0):
        raise ValueError(f"{where}: Outcome is {fields[-1].strip()}, expected 0 or 1")
    return values

"""Exporting the shipped models: export time, file size, latency per input (Keras vs LiteRT vs ONNX Runtime), agreement.

    .venv/bin/python -m benchmarks.export_models [--models digits fashion letters] [--formats litert onnx]

Each model is exported and checked as History and `python -m core.export` do it (core.export.export_bundle: Keras'
own export, then the file beside Keras on 200 test inputs). Latency is one input at a time, the median over the
check's inputs after 20 warm-up calls: Keras through the app's Predictor (a compiled call), the exported file in
its runtime, both with 2 threads. Prints a Markdown table; the check's inputs are the real test sets when
HANDLAB_DATA_DIR has them (the last column says).
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.timing import timings_ms
from core import export, paths
from core.learn.export_check import FORMATS, open_runtime
from core.predictor import Predictor

MODELS = ("digits", "fashion", "letters")


def measure(task: str, format_name: str, scratch: Path) -> dict:
    """Export one shipped model in one format and time it beside Keras."""
    model_path = paths.MODELS_DIR / f"{task}.keras"
    bundle = export.export_bundle(model_path, format_name, scratch / f"{task}-{format_name}", task)
    predictor = Predictor(model_path)
    runtime = open_runtime(format_name, bundle.model_file)
    singles = [x[None] for x in bundle.inputs.x]  # the check's inputs
    return {
        "model": task,
        "format": FORMATS[format_name].title,
        "export s": f"{bundle.export_s:.2f}",
        "file MB": f"{bundle.model_bytes / 1e6:.2f}",
        "Keras ms": f"{np.median(timings_ms(predictor.predict_batch, singles)):.2f}",
        "runtime ms": f"{np.median(timings_ms(runtime.run, singles)):.2f}",
        "max prob diff": f"{bundle.figures.max_difference:.1e}",
        "same class": f"{bundle.figures.agreement:.1%}",
        "checked on": bundle.figures.source,
    }


def markdown_table(rows: list[dict]) -> str:
    """Rows of equal keys as a Markdown table."""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[column] for column in header) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--formats", nargs="+", choices=list(FORMATS), default=list(FORMATS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handlab-export-bench-") as scratch:
        rows = [measure(task, name, Path(scratch)) for task in args.models for name in args.formats]
    print(markdown_table(rows))


if __name__ == "__main__":
    main()

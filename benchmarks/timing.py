"""Timing helpers shared by the benchmarks."""

import time

import numpy as np


def timings_ms(function, inputs: list, warmup: int = 20) -> np.ndarray:
    """Wall-clock milliseconds of function(x) for each input, after a few warm-up calls."""
    for x in inputs[:warmup]:
        function(x)
    out = []
    for x in inputs:
        start = time.perf_counter()
        function(x)
        out.append((time.perf_counter() - start) * 1000)
    return np.array(out)

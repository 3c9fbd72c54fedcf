"""Load on the Draw page's prediction path: N sessions reading drawings at once through one shared Predictor.

    .venv/bin/python -m benchmarks.load_predict [--sessions 1 10 50] [--seconds 3] [--think-ms 100]

Each session is a thread that does what a Draw page session does after every stroke: the real canvas
pipeline (`reading.read_canvas`: `preprocess.digits_from_canvas`, then one batch through the Predictor), on
320×320 RGBA pen drawings of one to four digits, with a pause (`--think-ms`, far quicker than anyone draws)
between drawings. All sessions share one Predictor, as `st.cache_resource` shares it between browser tabs.
Everything runs in this process: no network. Prints p50/p99 latency per drawing, throughput, errors (an
exception) and wrong readings (an answer that differs from the single-session answer for that drawing).
"""

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

from core.learn import catalog
from core.predictor import Predictor
from core.vision import reading
from tests.helpers.drawings import pen_canvas

NUMBERS = ["7", "1", "0", "4", "2", "5", "42", "70", "2025", "147"]


def session(predictor: Predictor, canvases: list, expected: list[str], stop_at: float, think_s: float, out: dict):
    """One browser session: read drawings until `stop_at`, recording latency, errors and wrong answers."""
    rng = np.random.default_rng(threading.get_ident() % 2**32)
    while time.perf_counter() < stop_at:
        i = int(rng.integers(len(canvases)))
        start = time.perf_counter()
        try:
            result = reading.read_canvas(predictor, canvases[i])
        except Exception as error:  # noqa: BLE001 - every failure counts as an error in the table
            out["errors"].append(repr(error))
        else:
            out["latency_ms"].append((time.perf_counter() - start) * 1000)
            if result is None or result.text != expected[i]:
                out["wrong"] += 1
        time.sleep(think_s)


def load(predictor: Predictor, canvases: list, expected: list[str], sessions: int, seconds: float, think_s: float):
    """Run `sessions` threads for `seconds`; latencies (ms), error messages and wrong-answer count of them all."""
    outs = [{"latency_ms": [], "errors": [], "wrong": 0} for _ in range(sessions)]
    stop_at = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=session, args=(predictor, canvases, expected, stop_at, think_s, out)) for out in outs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    latency = np.array([ms for out in outs for ms in out["latency_ms"]])
    errors = [error for out in outs for error in out["errors"]]
    hung = sum(thread.is_alive() for thread in threads)
    return latency, errors + ["a session did not finish"] * hung, sum(out["wrong"] for out in outs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=catalog.shipped_model("digits"))
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each load level runs")
    parser.add_argument("--think-ms", type=float, default=100.0, help="pause between one session's drawings")
    args = parser.parse_args()
    if not args.model.is_file():
        print(f"skipped: no model at {args.model}; pass --model or train one with python -m core.train.")
        return 0
    predictor = Predictor(args.model)  # loaded once, shared by every session
    canvases = [pen_canvas(number) for number in NUMBERS]
    expected = [reading.read_canvas(predictor, canvas).text for canvas in canvases]  # one session's answers
    print(f"{args.model.name}, {args.seconds:g} s per level, {args.think_ms:g} ms between a session's drawings\n")
    print(f"{'sessions':>8} {'drawings':>9} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'wrong':>6}")
    failed = False
    for sessions in args.sessions:
        latency, errors, wrong = load(predictor, canvases, expected, sessions, args.seconds, args.think_ms / 1000)
        p50, p99 = np.percentile(latency, [50, 99]) if len(latency) else (float("nan"),) * 2
        rate = len(latency) / args.seconds
        print(f"{sessions:>8} {len(latency):>9} {rate:>7.0f} {p50:>8.1f} {p99:>8.1f} {len(errors):>7} {wrong:>6}")
        for error in sorted(set(errors))[:3]:
            print(f"         error: {error}")
        failed |= bool(errors or wrong)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

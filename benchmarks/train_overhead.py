"""What live reporting costs: training throughput through the Train page's path against a plain model.fit script.

The page's path is jobs.start_run → a child `python -m core.train --run ID` → Keras with the reporting callback
writing batch rows to SQLite every 0.5 s and reading the stop flag after every batch. The plain path is this
file run as a child with --plain: the same recipe, data, input pipeline (`training.batches`), augmentation,
optimizer and loss in model.fit with no callbacks. Both run one after the other, alternating, and are timed
per epoch from inside the trainer (epoch 1, which includes tracing, is left out). On a shared machine that
end-to-end figure moves with the neighbours' load, so the same comparison is also made in one process,
alternating 1-epoch fits with and without the page's callbacks on one compiled model (each fit also pays the
callbacks' once-per-run start), and the reporter's own work per batch is timed. Then a run is stopped
mid-epoch to see how fast Stop takes effect.

    HANDLAB_DATA_DIR=/path/with/mnist.npz python benchmarks/train_overhead.py [--limit 6000 --epochs 5 --rounds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _build(recipe_name: str, limit: int, epochs: int):
    """A plain Keras setup of the recipe: the compiled trainer and model.fit's data arguments."""
    import keras
    import numpy as np

    from core.data import datasets
    from core.learn import recipes
    from core.learn.inputs import batches

    recipe = recipes.get_recipe(recipe_name)
    keras.utils.set_random_seed(0)
    data = datasets.load_dataset(recipe.datasets[0])
    order = np.random.default_rng(0).permutation(len(data.x_train))[:limit]
    x = (data.x_train[order].astype("float32") / 255.0)[..., None]
    y = keras.utils.to_categorical(data.y_train[order], data.num_classes)
    n_val = round(len(x) * recipe.validation_split)
    model = recipe.build(x.shape[1:], data.num_classes)
    trainer = keras.Sequential([keras.Input(x.shape[1:]), *recipe.augmentation.build_layers(0), model])
    steps_per_epoch = -(-(len(x) - n_val) // recipe.batch_size)
    steps = steps_per_epoch * epochs
    rate = keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate / 10, steps - steps // 20, warmup_target=recipe.learning_rate, warmup_steps=steps // 20
    )
    trainer.compile(
        optimizer=keras.optimizers.AdamW(rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
    )
    # The page's input pipeline (see core.learn.inputs.batches), so that the two paths differ only by the reporting.
    fit = {
        "x": batches(x[n_val:], y[n_val:], recipe.batch_size, shuffle_seed=0),
        "validation_data": batches(x[:n_val], y[:n_val], recipe.batch_size),
        "shuffle": False,
    }
    return trainer, fit, steps_per_epoch


def plain_fit(recipe_name: str, limit: int, epochs: int) -> list[float]:
    """Train like a plain Keras script; returns seconds per epoch, measured at epoch ends."""
    import keras

    trainer, fit, _ = _build(recipe_name, limit, epochs)
    ends = []
    # An epoch-level hook only: Keras' per-batch path stays exactly as in a callback-free fit.
    timer = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(time.monotonic()))
    started = time.monotonic()
    trainer.fit(**fit, epochs=epochs, callbacks=[timer], verbose=0)
    return [end - start for start, end in zip([started, *ends], ends, strict=False)]


def paired_overhead(recipe_name: str, limit: int, pairs: int) -> list[float]:
    """In one process, alternate 1-epoch fits with and without the page's callbacks; returns with/without ratios."""
    from core.learn.callbacks import BestWeights, ReportingCallback
    from core.learn.runs import RunStore
    from core.learn.trainer import StoreReporter

    trainer, fit, steps = _build(recipe_name, limit, 2 * pairs + 1)
    store = RunStore(Path(tempfile.mkdtemp(prefix="handlab-bench-")) / "runs.db")
    run_id = store.create_run({}, "bench")

    def epoch_s(report: bool) -> float:
        callbacks = [ReportingCallback(StoreReporter(store, run_id), 1, steps), BestWeights()] if report else []
        started = time.monotonic()
        trainer.fit(**fit, epochs=1, callbacks=callbacks, verbose=0)
        return time.monotonic() - started

    epoch_s(False)  # tracing
    ratios = []
    for pair in range(pairs):
        seconds = {report: epoch_s(report) for report in ((False, True) if pair % 2 == 0 else (True, False))}
        ratios.append(seconds[True] / seconds[False])
    return ratios


def page_fit(recipe_name: str, limit: int, epochs: int) -> tuple[list[float], int]:
    """Train through jobs.start_run and the child trainer; returns seconds per epoch and the training samples."""
    from core.learn import jobs
    from core.learn.runs import RunStore
    from core.learn.spec import TrainSpec

    store = RunStore()
    run_id = jobs.start_run(TrainSpec(recipe=recipe_name, epochs=epochs, limit=limit))
    run = _wait_finished(store, run_id)
    if run.status != "completed":
        sys.exit(f"run {run_id} {run.status}: {run.error}\n{jobs.read_log(run_id)}")
    ends = [row["time_s"] for row in store.epoch_metrics(run_id)]
    return [end - start for start, end in zip([0.0, *ends], ends, strict=False)], run.card["train_samples"]


def stop_latency(recipe_name: str, limit: int) -> dict:
    """Stop a page run mid-epoch: seconds until its last batch ends and until it is marked stopped."""
    from core.learn import jobs
    from core.learn.runs import RunStore
    from core.learn.spec import TrainSpec

    store = RunStore()
    run_id = jobs.start_run(TrainSpec(recipe=recipe_name, epochs=50, limit=limit))
    while len(store.batch_metrics(run_id)) < 20:
        time.sleep(0.05)
    requested = time.time()
    jobs.stop_run(run_id, store)
    run = _wait_finished(store, run_id)
    rows = store.batch_metrics(run_id)
    last_batch_end = run.started_at + rows[-1]["time_s"]  # the child's clock starts at mark_started
    batch_s = statistics.median(b["time_s"] - a["time_s"] for a, b in zip(rows, rows[1:], strict=False))
    return {
        "last_batch_after_s": last_batch_end - requested,
        "stopped_after_s": run.ended_at - requested,
        "batch_s": batch_s,
        "status": run.status,
    }


def reporter_cost_s(calls: int = 2000) -> float:
    """Seconds the live reporting adds per batch (a row buffered, flushed every 0.5 s, the stop flag read)."""
    from core.learn.runs import RunStore
    from core.learn.trainer import StoreReporter

    store = RunStore(Path(tempfile.mkdtemp(prefix="handlab-bench-")) / "runs.db")
    reporter = StoreReporter(store, store.create_run({}, "bench"))
    reporter.on_start(1, calls)
    logs = {"loss": 0.5, "accuracy": 0.9}
    started = time.perf_counter()
    for batch in range(calls):
        reporter.on_batch(0, batch, logs)
        reporter.should_stop()
    return (time.perf_counter() - started) / calls


def _wait_finished(store, run_id: int, timeout_s: float = 3600):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = store.get_run(run_id)
        if run.finished:
            return run
        time.sleep(0.2)
    sys.exit(f"run {run_id} did not finish within {timeout_s} s")


def main() -> None:
    """Alternate plain and page runs, then print throughputs, the overhead and the stop latency."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="digits-cnn")
    parser.add_argument("--limit", type=int, default=6000, help="training samples (before the validation split)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="end-to-end runs of each path")
    parser.add_argument("--pairs", type=int, default=6, help="paired in-process epochs")
    parser.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        print(json.dumps(plain_fit(args.recipe, args.limit, args.epochs)))
        return
    os.environ.setdefault("HANDLAB_HOME", tempfile.mkdtemp(prefix="handlab-bench-"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    plain, page = [], []
    command = [sys.executable, __file__, "--plain", *sys.argv[1:]]
    for round_number in range(1, args.rounds + 1):
        # Alternate which path goes first, so a neighbour's load drifting over time favours neither.
        for path in ("plain", "page") if round_number % 2 else ("page", "plain"):
            if path == "plain":
                plain += json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)[1:]
            else:
                epochs, samples = page_fit(args.recipe, args.limit, args.epochs)
                page += epochs[1:]
        print(f"round {round_number}: plain {_rate(plain, samples):,.0f} samples/s, page {_rate(page, samples):,.0f}")
    overhead = _rate(plain, samples) / _rate(page, samples) - 1
    print(f"\n{args.recipe}, {samples} training samples per epoch, epochs 2–{args.epochs} of {args.rounds} runs each")
    print(f"{'path':<34}{'samples/s':>12}{'s/epoch (median)':>20}")
    print(f"{'plain model.fit':<34}{_rate(plain, samples):>12,.0f}{statistics.median(plain):>20.2f}")
    print(f"{'page (child + live reporting)':<34}{_rate(page, samples):>12,.0f}{statistics.median(page):>20.2f}")
    print(f"reporting overhead: {overhead:+.1%}  (budget: under 5%)")
    from core.learn import recipes

    steps = -(-samples // recipes.get_recipe(args.recipe).batch_size)
    cost_s, batch_s = reporter_cost_s(), statistics.median(page) / steps
    print(
        f"reporter work per batch: {cost_s * 1000:.2f} ms = {cost_s / batch_s:.2%} of a {batch_s * 1000:.0f} ms batch"
    )
    ratios = paired_overhead(args.recipe, args.limit, args.pairs)
    print(
        f"paired in one process ({args.pairs} pairs of 1-epoch fits, with/without the page's callbacks): "
        f"median {statistics.median(ratios) - 1:+.1%}, range {min(ratios) - 1:+.1%} to {max(ratios) - 1:+.1%}"
    )
    stop = stop_latency(args.recipe, args.limit)
    print(
        f"stop: last batch ended {stop['last_batch_after_s']:.2f} s after the request (a batch takes "
        f"{stop['batch_s']:.2f} s); run marked {stop['status']} after {stop['stopped_after_s']:.2f} s "
        "(testing and saving included)"
    )


def _rate(epoch_seconds: list[float], samples: int) -> float:
    """Samples per second from the median epoch time (robust to a busy neighbour)."""
    return samples / statistics.median(epoch_seconds)


if __name__ == "__main__":
    main()

"""Faults lose nothing: a killed trainer, a restarted server, busy writers, a crash mid-save, a shared model."""

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.drawings import pen_canvas
from helpers.trainer import SLOW_TRAINER, TIMEOUT_S, wait_for
from streamlit.testing.v1 import AppTest

from core.data import samples
from core.learn import jobs
from core.learn.runs import RunStore
from core.predictor import Predictor
from core.vision import reading

PROJECT_DIR = Path(__file__).resolve().parent.parent

# The "old server": a process that starts a run the way the Train page does, then exits.
START_FROM_A_SERVER = f"""
import sys
from core.learn import jobs
from core.learn.spec import TrainSpec

jobs.TRAINER_ARGS = ("-c", {SLOW_TRAINER!r})
print(jobs.start_run(TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=50, batch_size=8)))
"""


def python(code: str, *args: str) -> subprocess.Popen:
    """Start `python -c code args…` in the project, with this test's HANDLAB_HOME and data."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def train_page(app_test: Callable[[], AppTest]) -> AppTest:
    return app_test().run().switch_page("pages/train.py").run()


@pytest.mark.slow
def test_run_outlives_its_server_a_fresh_page_picks_it_up_and_a_sigkill_keeps_its_metrics(
    tiny_mnist_dir, monkeypatch, app_test
):
    monkeypatch.setenv("TEST_BATCH_DELAY_S", "0.2")
    server = python(START_FROM_A_SERVER)
    out, err = server.communicate(timeout=TIMEOUT_S)
    assert server.returncode == 0, err.decode()
    run_id = int(out.decode().split()[-1])
    store = RunStore()
    # The server that started the run is gone; the trainer, in its own session, trains on.
    wait_for(lambda: len(store.batch_metrics(run_id)) >= 3)
    pid = store.get_run(run_id).pid
    assert jobs.trainer_alive(run_id)

    page = train_page(app_test)  # a new server process would start with a fresh session just like this
    assert not page.exception, [e.value for e in page.exception]
    assert page.subheader[0].value == "Training now"
    (progress,) = page.get("progress")
    assert re.match(r"Epoch \d+/50 · batch \d/8 · ", progress.proto.text)
    assert not page.button(key=f"train_stop_{run_id}").disabled

    seen = len(wait_for(lambda: len(store.batch_metrics(run_id)) >= 6 and store.batch_metrics(run_id)))
    os.kill(pid, signal.SIGKILL)  # killed mid-epoch: 50 epochs of 8 batches take 80 s
    wait_for(lambda: not jobs.trainer_alive(run_id), timeout_s=10)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    run = store.get_run(run_id)
    assert run.status == "interrupted"
    assert run.error == f"Its trainer (process {pid}) ended without finishing it; the metrics so far are kept."
    assert len(store.batch_metrics(run_id)) >= seen  # every batch reported before the kill is kept
    assert page.warning[0].value.startswith(f"Run {run_id} was interrupted after ")
    # Its curves are still drawn: per batch, and per epoch once an epoch ended (the kill may land in the first).
    assert len(page.get("vega_lite_chart")) == (4 if store.epoch_metrics(run_id) else 2)
    assert not page.get("progress")  # nothing shows as training any more


# Many writers (trainers) and readers (pages) on one store at once.

WRITER = """
import sys, time
from core.learn.runs import RunStore

store = RunStore()
run_id = store.create_run({"dataset": "mnist"}, sys.argv[1])
store.mark_started(run_id, pid=0, total_epochs=1000, steps_per_epoch=10)
step, deadline = 0, time.monotonic() + float(sys.argv[2])
MIN_STEPS = 20
while time.monotonic() < deadline or step < MIN_STEPS:  # a loaded machine writes slower, not less
    store.add_batch_metrics(run_id, [{"step": step, "epoch": step // 10, "batch": step % 10, "time_s": step}])
    if step % 10 == 9:
        store.add_epoch_metrics(run_id, {"epoch": step // 10, "loss": 1.0, "time_s": step})
        RunStore().update_run(run_id, name=f"{sys.argv[1]} at {step}")
    step += 1
store.mark_finished(run_id, "completed")
print(run_id, step)
"""


def test_concurrent_writer_processes_and_reading_pages_get_no_errors_and_lose_no_rows(handlab_home):
    RunStore()  # create the store first, as the app does on its first page
    writers = [python(WRITER, f"writer {i}", "3") for i in range(4)]  # ~3 s of writing each
    errors, reads, cancelled = [], [0], []

    def read_like_a_page(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                store = RunStore()  # every page run opens the store anew
                for run in store.list_runs():
                    store.batch_metrics(run.id)
                    store.epoch_metrics(run.id)
                # Pages write too: a user queues a run and cancels it.
                waiting = store.create_run({"dataset": "mnist"}, "queued from a page")
                store.request_stop(waiting)
                cancelled.append(waiting)
                reads[0] += 1
            except Exception as error:  # noqa: BLE001 - any error at all fails the test
                errors.append(repr(error))

    stop = threading.Event()
    readers = [threading.Thread(target=read_like_a_page, args=(stop,)) for _ in range(3)]
    for reader in readers:
        reader.start()
    results = [writer.communicate(timeout=60) for writer in writers]
    stop.set()
    for reader in readers:
        reader.join()
    assert errors == []
    assert [writer.returncode for writer in writers] == [0] * 4, [err.decode() for _, err in results]
    assert reads[0] > 10
    store = RunStore()
    for out, _ in results:
        run_id, steps = map(int, out.decode().split())
        assert steps >= 20
        assert [row["step"] for row in store.batch_metrics(run_id)] == list(range(steps))
        assert len(store.epoch_metrics(run_id)) == steps // 10
        assert store.get_run(run_id).status == "completed"
    assert {store.get_run(run_id).status for run_id in cancelled} == {"stopped"}
    assert len(store.list_runs()) == len(writers) + len(cancelled)


# Saving is atomic: a crash halfway through writing a sample leaves no half-written file that the app reads.

CRASH_MID_SAVE = """
import time
from pathlib import Path

import numpy as np
from core.data import samples

def write_half_then_hang(self, data):
    with open(self, "wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
    print("half written", flush=True)
    time.sleep(60)

Path.write_bytes = write_half_then_hang
samples.save_sample(np.full((28, 28), 0.5, np.float32), "7", original_bgr=np.zeros((40, 40, 3), np.uint8))
"""


def test_sample_save_killed_halfway_leaves_only_complete_samples(handlab_home):
    kept = samples.save_sample(np.eye(28, dtype=np.float32), "7")
    saver = python(CRASH_MID_SAVE)
    assert saver.stdout.readline() == b"half written\n", saver.stderr.read().decode()
    os.kill(saver.pid, signal.SIGKILL)
    saver.wait()
    folder = samples.samples_dir() / "7"
    leftovers = [path for path in folder.iterdir() if path.name.startswith(".")]
    assert len(leftovers) == 1  # the temporary file the crash left behind, beside the samples
    assert leftovers[0].stat().st_size > 0
    assert samples.list_samples() == [kept]
    assert sorted(path.name for path in folder.iterdir() if not path.name.startswith(".")) == [kept.path.name]
    x_train, _, x_test, _ = samples.load_sample_arrays()
    np.testing.assert_array_equal(np.concatenate([x_train, x_test])[0], cv2.imread(str(kept.path), 0))


# Sessions share one cached Predictor: concurrent calls must not interfere.


def test_sessions_sharing_one_predictor_get_the_answers_of_one_session(digits_model):
    predictor = Predictor(digits_model)
    canvases = [pen_canvas(number) for number in ("7", "1", "0", "42", "2025")]
    inputs = np.random.default_rng(0).random((8, 28, 28), dtype=np.float32)
    expected_text = [reading.read_canvas(predictor, canvas).text for canvas in canvases]
    expected_probabilities = [predictor.predict_batch(inputs[: i + 1]) for i in range(len(inputs))]
    barrier, problems = threading.Barrier(16), []

    def session(seed: int) -> None:
        rng = np.random.default_rng(seed)
        barrier.wait()  # all sessions start at once
        try:
            for _ in range(25):
                i = int(rng.integers(len(canvases)))
                if (text := reading.read_canvas(predictor, canvases[i]).text) != expected_text[i]:
                    problems.append(f"drawing {i} read as {text}, not {expected_text[i]}")
                n = int(rng.integers(len(inputs)))
                got = predictor.predict_batch(inputs[: n + 1])
                if not np.allclose(got, expected_probabilities[n], rtol=1e-5, atol=1e-6):
                    problems.append(f"batch of {n + 1} differs")
        except Exception as error:  # noqa: BLE001 - any error fails the test
            problems.append(repr(error))

    threads = [threading.Thread(target=session, args=(seed,)) for seed in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert problems == []

"""An app server of a class on a Ray cluster, as a process a test can kill: what the Train page does, without a page.

    python -m helpers.ray_server start EPOCHS [EPOCHS …]   queue a run for each, then refresh as an open page does
    python -m helpers.ray_server serve                     refresh until no run waits or trains, then fetch every
                                                           run's model as History does; print them as JSON

Both read HANDLAB_STORE, RAY_ADDRESS, HANDLAB_HOME and HANDLAB_DATA_DIR, and train with the tests' slowed-down
trainer (TEST_BATCH_DELAY_S a batch). Run from tests/ (or with it on PYTHONPATH), as the Ray workers import it.
"""

import json
import sys
import time

from core.learn import jobs, ray_runner, run_files
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec
from helpers.trainer import slow_execute_run

REFRESH_S = 0.25  # A Train page refreshes every second; several open tabs, more often.


def start(epochs: list[int]) -> None:
    """Queue one tiny MNIST run per number of epochs, in order, then keep refreshing until killed."""
    store = RunStore()
    for number, count in enumerate(epochs, start=1):
        spec = TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=count, batch_size=8)
        print(jobs.start_run(spec, name=f"student {number}", store=store), flush=True)
    while True:
        jobs.refresh(store)
        time.sleep(REFRESH_S)


def serve(timeout_s: float = 300) -> None:
    """Refresh until every run has finished, then print each run's status and where its model is on this server."""
    store = RunStore()
    deadline = time.monotonic() + timeout_s
    while store.list_runs(["queued", "running"]) and time.monotonic() < deadline:
        jobs.refresh(store)
        time.sleep(REFRESH_S)
    served = {}
    for run in store.list_runs():
        model = run_files.model_file(store, run)
        served[run.id] = {"status": run.status, "error": run.error, "model": str(model) if model else None}
    print(json.dumps(served), flush=True)


if __name__ == "__main__":
    ray_runner.TRAIN_RUN = slow_execute_run
    ray_runner.FORWARDED_ENV = [*ray_runner.FORWARDED_ENV, "TEST_BATCH_DELAY_S"]
    if sys.argv[1] == "start":
        start([int(count) for count in sys.argv[2:]])
    else:
        serve()

"""A slow, breakable trainer for job tests, and polling for what a child process does in its own time."""

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

# A trainer that is `python -m core.train` with two knobs for tests: a pause after each batch (so a test can
# act while it trains) and an exception at a chosen step. Started by jobs, it holds its run's lock like the real one.
SLOW_TRAINER = """
import os, sys, time
import core.train
from core.learn import trainer

report_batch = trainer.StoreReporter.on_batch

def on_batch(self, epoch, batch, logs):
    if epoch * self.steps_per_epoch + batch == int(os.environ.get("TEST_FAIL_AT_STEP", -1)):
        raise RuntimeError("injected failure")
    time.sleep(float(os.environ.get("TEST_BATCH_DELAY_S", 0)))
    report_batch(self, epoch, batch, logs)

trainer.StoreReporter.on_batch = on_batch
sys.exit(core.train.main(sys.argv[1:]))
"""


def slow_execute_run(store, run_id: int, **options) -> int:
    """core.learn.trainer.execute_run with a pause of TEST_BATCH_DELAY_S after each batch and an exception at step
    TEST_FAIL_AT_STEP: the Ray tests' trainer."""
    from core.learn import trainer

    report_batch = trainer.StoreReporter.on_batch

    def on_batch(self, epoch, batch, logs):
        if epoch * self.steps_per_epoch + batch == int(os.environ.get("TEST_FAIL_AT_STEP", -1)):
            raise RuntimeError("injected failure")
        time.sleep(float(os.environ.get("TEST_BATCH_DELAY_S", 0)))
        report_batch(self, epoch, batch, logs)

    trainer.StoreReporter.on_batch = on_batch
    try:
        return trainer.execute_run(store, run_id, **options)
    finally:
        trainer.StoreReporter.on_batch = report_batch


# Starting a trainer imports TensorFlow: seconds on an idle machine, far more on a busy one.
TIMEOUT_S = 180


def wait_for(condition: Callable[[], Any], timeout_s: float = TIMEOUT_S, every_s: float = 0.1) -> Any:
    """Poll `condition()` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every_s)
    pytest.fail(f"timed out after {timeout_s} s waiting for {condition}")

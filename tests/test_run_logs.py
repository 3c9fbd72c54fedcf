"""A run's trainer output captured into the run store: prints, raw file-descriptor writes, child processes."""

import os
import subprocess
import sys

from core.learn import jobs
from core.learn.run_logs import LogCapture
from core.learn.runs import RunStore


def test_what_the_process_and_its_children_write_reaches_the_store_and_still_goes_where_it_went(
    tmp_path, capfd, monkeypatch
):
    # Python's streams on file descriptors 1 and 2, as in a Ray worker (pytest's own write elsewhere).
    for name, fd in (("stdout", 1), ("stderr", 2)):
        monkeypatch.setattr(sys, name, open(fd, "w", buffering=1, closefd=False))  # noqa: SIM115
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run({}, "r")
    with LogCapture(store, run_id) as log:
        print("loading the data")
        print("a warning", file=sys.stderr)
        os.write(2, b"from C code, no newline yet")  # As TensorFlow's C++ logging writes, under Python.
        os.write(2, b"; now it ends\n")
        subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
        log.flush()
        flushed = store.log_tail(run_id)
        print("last words", end="")
    print("after the block")
    expected = ["loading the data", "a warning", "from C code, no newline yet; now it ends", "from a child process"]
    assert flushed == expected
    assert store.log_tail(run_id) == [*expected, "last words"]
    out = capfd.readouterr().out
    assert "from a child process\n" in out  # Ray's worker log has the lines too.
    assert "after the block" not in "\n".join(store.log_tail(run_id))
    assert "handlab-log-flush" not in out


def test_the_train_pages_log_reads_the_store_for_a_run_with_no_log_file(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run({}, "trained on a Ray node")
    store.add_log_lines(run_id, 0, [f"line {number}" for number in range(40)])
    assert jobs.read_log(run_id, lines=3, store=store) == "line 37\nline 38\nline 39"
    jobs.log_path(run_id).parent.mkdir(parents=True)
    jobs.log_path(run_id).write_text("a local trainer's log\n")
    assert jobs.read_log(run_id, store=store) == "a local trainer's log"

"""Training on a real local Ray cluster (a head and a worker node) with the runs in a real PostgreSQL database.

Two runs train at once on the two nodes and report live, Stop ends one within a batch, runs outlive the app
server that started them (killed) and start in queue order, a failed run's traceback reaches the Train page, and
a run whose node dies ends interrupted with its batches kept. One module-scoped cluster for all of them.
"""

import json
import os
import signal
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.scale import INSTALL_SCALE_PACKAGES, free_port, missing
from helpers.trainer import TIMEOUT_S, slow_execute_run, wait_for

from core.learn import jobs, ray_runner, run_files
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec

pytestmark = [pytest.mark.ray, pytest.mark.slow]

TINY = TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=3, batch_size=8)
NODE_ARGS = {"num_cpus": 1, "object_store_memory": 100_000_000}  # Small: two cores and other people's tests.
TESTS_DIR = Path(__file__).parent


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and one worker node, 1 CPU each, on this machine, with this process connected; stopped after."""
    try:
        import ray
        from ray.cluster_utils import Cluster
    except ImportError:
        missing("Ray", INSTALL_SCALE_PACKAGES)
    ports = {"gcs_server_port": free_port(), "dashboard_agent_listen_port": free_port()}
    head_args = NODE_ARGS | ports | {"include_dashboard": False}
    cluster = Cluster(initialize_head=True, head_node_args=head_args)
    with pytest.MonkeyPatch.context() as env:
        # The workers import the slowed-down trainer from tests/helpers, as this process does.
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])))
        env.setenv("RAY_ADDRESS", cluster.address)
        try:
            cluster.add_node(**NODE_ARGS)
            cluster.wait_for_nodes()
            ray_runner.connect()
            yield cluster
        finally:
            ray.shutdown()
            cluster.shutdown()


@pytest.fixture
def on_ray(ray_cluster, postgres_url, tiny_mnist_dir, monkeypatch):
    """HANDLAB_RUNNER=ray with the store in PostgreSQL and a trainer that pauses TEST_BATCH_DELAY_S a batch."""
    monkeypatch.setenv("HANDLAB_RUNNER", "ray")
    monkeypatch.setenv("HANDLAB_STORE", postgres_url)
    monkeypatch.setattr(ray_runner, "TRAIN_RUN", slow_execute_run)
    monkeypatch.setattr(ray_runner, "FORWARDED_ENV", [*ray_runner.FORWARDED_ENV, "TEST_BATCH_DELAY_S"])
    monkeypatch.setenv("TEST_BATCH_DELAY_S", "0.3")
    return ray_cluster


def finished(store: RunStore, run_id: int):
    """Reconcile as a page does, then the run once it has finished, else None (for wait_for)."""
    jobs.refresh(store)
    run = store.get_run(run_id)
    return run if run.finished else None


def test_two_runs_train_at_once_on_two_nodes_report_live_and_stop(on_ray):
    store = RunStore()
    first, second = (jobs.start_run(TINY, name=name) for name in ("first", "second"))

    def both_training():
        jobs.refresh(store)
        runs = [store.get_run(run_id) for run_id in (first, second)]
        live = all(run.status == "running" and store.batch_metrics(run.id) for run in runs)
        return runs if live else None

    runs = wait_for(both_training)  # Both running with batches in PostgreSQL at the same moment.
    nodes = {node.node_id for node in [on_ray.head_node, *on_ray.worker_nodes]}
    assert runs[0].node_id != runs[1].node_id
    assert {run.node_id for run in runs} == nodes
    assert all(run.pid != os.getpid() for run in runs)

    seen = len(store.batch_metrics(first))
    jobs.stop_run(first, store)
    stopped = wait_for(lambda: finished(store, first))
    assert stopped.status == "stopped", stopped.error
    # Batches take ≥ 0.3 s and are written every 0.5 s: at most 2 unwritten, plus the one in progress.
    assert seen <= len(store.batch_metrics(first)) <= seen + 3 < 24

    completed = wait_for(lambda: finished(store, second))
    assert completed.status == "completed", completed.error
    assert len(store.batch_metrics(second)) == 24  # 64 samples / 8 a batch × 3 epochs
    assert [row["epoch"] for row in store.epoch_metrics(second)] == [0, 1, 2]
    # The node's scratch folder is gone: the model reaches this machine through the store.
    assert not Path(completed.model_path).exists()
    assert store.file_names(second) == ["model.json", "model.keras", "test_predictions.npz"]
    model = run_files.model_file(store, completed)
    assert model.is_relative_to(Path(os.environ["HANDLAB_HOME"]))
    assert zipfile.is_zipfile(model)
    assert model.with_name("model.json").is_file()


def app_server(home: Path, *args: str) -> subprocess.Popen:
    """An app server process (tests/helpers/ray_server.py) on this test's cluster and store, with its own home."""
    env = os.environ | {"HANDLAB_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "helpers.ray_server", *args]
    return subprocess.Popen(command, cwd=TESTS_DIR, env=env, stdout=subprocess.PIPE, text=True)


def test_runs_outlive_a_killed_app_server_start_in_queue_order_and_a_new_server_serves_them(on_ray, tmp_path):
    first = app_server(tmp_path / "first", "start", "4", "4", "2")  # 32, 32 and 16 batches
    store = RunStore()

    def two_training_one_waiting():
        status = {run.id: run.status for run in store.list_runs()}
        return status == {1: "running", 2: "running", 3: "queued"} and all(store.batch_metrics(i) for i in (1, 2))

    wait_for(two_training_one_waiting)
    os.kill(first.pid, signal.SIGKILL)  # As a crash or a redeploy ends it: no goodbye to Ray.
    first.wait()
    seen = max(len(store.batch_metrics(run_id)) for run_id in (1, 2))

    second = app_server(tmp_path / "second", "serve")
    served = {int(run_id): run for run_id, run in json.loads(second.communicate(timeout=TIMEOUT_S)[0]).items()}
    assert {run_id: run["status"] for run_id, run in served.items()} == {1: "completed", 2: "completed", 3: "completed"}
    assert [len(store.batch_metrics(run_id)) for run_id in (1, 2, 3)] == [32, 32, 16]
    assert seen < 32  # Killed mid-run.
    first_two, third = [store.get_run(run_id) for run_id in (1, 2)], store.get_run(3)
    # In queue order: the last one queued is the one that waited, until a node freed up.
    assert third.started_at >= min(run.ended_at for run in first_two)
    for run in served.values():  # Every model fetched from the store into the new server's folder.
        assert Path(run["model"]).is_relative_to(tmp_path / "second")
        assert zipfile.is_zipfile(run["model"])


def test_a_run_that_fails_on_a_node_shows_its_traceback_on_the_train_page(on_ray, app_test, monkeypatch):
    monkeypatch.setattr(ray_runner, "FORWARDED_ENV", [*ray_runner.FORWARDED_ENV, "TEST_FAIL_AT_STEP"])
    monkeypatch.setenv("TEST_FAIL_AT_STEP", "3")
    run_id = jobs.start_run(TINY, name="doomed")
    run = wait_for(lambda: finished(RunStore(), run_id))
    assert (run.status, run.error) == ("failed", "RuntimeError: injected failure")

    page = app_test().run().switch_page("pages/train.py").run()
    assert not page.exception
    assert [expander.label for expander in page.expander if expander.label == "The trainer's log"]
    (log,) = [code.value for code in page.code if "Traceback" in code.value]
    assert "in on_batch" in log
    assert log.endswith("RuntimeError: injected failure")


def test_a_run_whose_node_dies_ends_interrupted_with_its_batches_kept(on_ray, monkeypatch):
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = on_ray.add_node(**NODE_ARGS)
    pinned = NodeAffinitySchedulingStrategy(node.node_id, soft=False)
    monkeypatch.setattr(ray_runner, "SLOT_OPTIONS", {"scheduling_strategy": pinned})
    store = RunStore()
    run_id = jobs.start_run(replace(TINY, epochs=20), name="doomed")
    seen = len(wait_for(lambda: len(store.batch_metrics(run_id)) >= 3 and store.batch_metrics(run_id)))
    assert store.get_run(run_id).node_id == node.node_id

    on_ray.remove_node(node, allow_graceful=False)
    run = wait_for(lambda: finished(store, run_id), timeout_s=60)
    assert run.status == "interrupted"
    assert "Ray" in run.error
    assert "metrics so far are kept" in run.error
    assert seen <= len(store.batch_metrics(run_id)) < 160


def test_the_train_page_starts_a_run_on_the_cluster_and_draws_it_live(on_ray, app_test):
    page = app_test().run().switch_page("pages/train.py").run()
    page.number_input(key="train_mnist-dense-512_epochs").set_value(3).run()
    page.number_input(key="train_mnist-dense-512_batch").set_value(8).run()
    start = next(button for button in page.button if button.key == "train_start")
    assert start.label == "Start training"
    start.click().run()
    assert [toast.value for toast in page.toast] == [
        "Run 1 went to the cluster: it starts on the first node with room."
    ]

    def drawn_live():
        page.run()
        progress = page.get("progress")
        return progress and progress[0].proto.text.startswith("Epoch") and len(page.get("vega_lite_chart")) == 4

    wait_for(drawn_live, every_s=0.5)
    assert not page.exception
    run = RunStore().get_run(1)
    assert run.status == "running"
    assert run.node_id in {node.node_id for node in [on_ray.head_node, *on_ray.worker_nodes]}
    assert "Run 1: mnist-dense-512 on mnist" in page.markdown[0].value or any(
        "Run 1: mnist-dense-512 on mnist" in md.value for md in page.markdown
    )
    page.button(key="train_stop_1").click().run()
    assert wait_for(lambda: finished(RunStore(), 1)).status == "stopped"

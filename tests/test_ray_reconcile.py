"""The Ray runner without a cluster: which running runs are lost, and a cluster that is not there."""

import sys
import time

from helpers.scale import free_port

from core.learn import jobs, ray_runner
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec


def running_on(store: RunStore, node_id: str | None, slot: str | None) -> int:
    """A run that a trainer on `node_id` (None: a local trainer) claimed, in the run slot named `slot`."""
    run_id = store.create_run({}, f"on {node_id}")
    store.claim_run(run_id, 4242, node_id)
    store.update_run(run_id, ray_actor=slot)
    return run_id


def test_runs_on_dead_nodes_and_runs_whose_slot_is_gone_are_lost_the_rest_are_not(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    dead = running_on(store, "dead0000node", "slot-1")
    gone = running_on(store, "alive000node", "slot-2")
    before_slots = running_on(store, "alive000node", None)  # Trained by a Ray task of a Handlab before run slots.
    training = running_on(store, "alive000node", "slot-4")
    local = running_on(store, None, None)
    lost = ray_runner.lost_runs(store.list_runs(["running"]), {"alive000node"}, {"slot-1", "slot-4"})
    reasons = {run.id: reason for run, reason in lost}
    assert set(reasons) == {dead, gone, before_slots}
    assert reasons[dead] == "Its Ray node dead0000 left the cluster; the metrics so far are kept."
    assert reasons[gone] == "Its trainer on Ray node alive000 ended without finishing it; the metrics so far are kept."
    assert training not in reasons
    assert local not in reasons  # A local trainer's process is checked by jobs.reconcile.


def test_a_run_started_with_no_cluster_at_ray_address_fails_at_once_saying_what_to_do(monkeypatch):
    monkeypatch.setenv("HANDLAB_RUNNER", "ray")
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{free_port()}")  # Nothing listens there.
    started = time.monotonic()
    run_id = jobs.start_run(TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=1))
    run = RunStore().get_run(run_id)
    assert time.monotonic() - started < 30  # ray.init alone retries for minutes
    assert run.status == "failed"
    assert "no Ray cluster answers at RAY_ADDRESS=127.0.0.1:" in run.error
    assert "ray start --head" in run.error


def test_a_run_asks_ray_for_one_cpu_and_a_gpu_when_its_spec_asks_for_one(monkeypatch):
    assert ray_runner.slot_options({"gpu": True}) == {"num_cpus": 1.0, "num_gpus": 1.0}
    assert ray_runner.slot_options({"gpu": None}) == {"num_cpus": 1.0, "num_gpus": 0.0}
    monkeypatch.setenv("HANDLAB_RAY_GPUS", "0.5")  # A cluster of GPU nodes can give every run a share.
    assert ray_runner.slot_options({}) == {"num_cpus": 1.0, "num_gpus": 0.5}


def test_without_ray_installed_a_run_fails_naming_the_install_command(monkeypatch):
    monkeypatch.setenv("HANDLAB_RUNNER", "ray")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as where it is not installed
    run_id = jobs.start_run(TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=1))
    run = RunStore().get_run(run_id)
    assert run.status == "failed"
    assert "HANDLAB_RUNNER=ray needs Ray: pip install -r requirements-scale.txt" in run.error

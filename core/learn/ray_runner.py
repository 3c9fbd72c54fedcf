"""Training on a Ray cluster (HANDLAB_RUNNER=ray, RAY_ADDRESS): each queued run becomes a Ray task.

Ray does the scheduling: a run is a task asking for CPUs (and GPUs, HANDLAB_RAY_GPUS), and starts on any node
with room; several train at once across nodes, the rest wait in Ray's queue. The task runs the same
`core.learn.trainer.execute_run` as a local trainer, writing its metrics straight to the shared run store
(HANDLAB_STORE, PostgreSQL on a real cluster), and reads its stop flag there after every batch. Its model,
card and test predictions are saved into the store too, so every app server can serve them.

The app server that hands a run to Ray holds its task's result; when the task dies with its worker or its node,
`reconcile` marks the run interrupted, metrics kept. Any app server also marks running runs whose node Ray
reports dead, or whose trainer fell silent while no task of its own trains them (Ray ends a driver's tasks with
it, so a restarted app server's runs end). Ray is imported only here, and only when this runner is chosen.
"""

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from core import paths
from core.learn.runs import Run, RunStore
from core.learn.trainer import execute_run

# Extra options for each run's Ray task (tests pin a run to a node with a scheduling strategy).
TASK_OPTIONS: dict[str, Any] = {}
# What a task calls to train a claimed run; Ray sends it to the worker by reference (its module and name), so it
# must be importable there. Tests swap in a slowed-down trainer.
TRAIN_RUN: Callable[..., int] = execute_run
# A running run that no task of this process trains and whose trainer has not written for this long is lost.
# Trainers write every 0.5 s while they train; loading a big dataset or testing the model can take minutes.
SILENT_AFTER_S = 600.0
# Settings of the app server that its trainers on other nodes need too (where the datasets are).
FORWARDED_ENV = ["HANDLAB_DATA_DIR"]

_submitted: dict[int, Any] = {}  # run id → the ObjectRef of its task, for the runs this process handed to Ray
_lock = threading.Lock()


def enabled() -> bool:
    """Whether runs train on a Ray cluster (HANDLAB_RUNNER=ray) rather than in local child processes."""
    runner = os.environ.get("HANDLAB_RUNNER", "local")
    if runner not in ("local", "ray"):
        raise ValueError(f"HANDLAB_RUNNER is {runner!r}: set it to local (the default) or ray.")
    return runner == "ray"


def connect():
    """The ray module, connected to the cluster at RAY_ADDRESS (once a process)."""
    try:
        import ray
    except ImportError as error:
        raise ImportError(f"HANDLAB_RUNNER=ray needs Ray: pip install -r requirements-scale.txt ({error})") from error

    with _lock:
        if not ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS") or "auto"
            _check_reachable(address)
            # Workers import `core` from the same place as this server: the same image or checkout on every node.
            pythonpath = os.pathsep.join(filter(None, [str(paths.PROJECT_DIR), os.environ.get("PYTHONPATH")]))
            try:
                ray.init(
                    address=address,
                    namespace="handlab",
                    log_to_driver=False,
                    runtime_env={"env_vars": {"PYTHONPATH": pythonpath, "TF_CPP_MIN_LOG_LEVEL": "2"}},
                )
            except (ConnectionError, RuntimeError) as error:
                raise ConnectionError(
                    f"HANDLAB_RUNNER=ray, but no Ray cluster answers at RAY_ADDRESS={address}: start one "
                    f"(`ray start --head`) or set RAY_ADDRESS (docs/scale.md). Ray said: {error}"
                ) from error
    return ray


def _check_reachable(address: str) -> None:
    """Fail at once when nothing listens at a host:port RAY_ADDRESS: ray.init would retry for minutes."""
    if ":" not in address:
        return  # "auto" and "local" are Ray's to find.
    host, port = address.removeprefix("ray://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as error:
        raise ConnectionError(
            f"HANDLAB_RUNNER=ray, but no Ray cluster answers at RAY_ADDRESS={address} ({error}): start one "
            "(`ray start --head`) or set RAY_ADDRESS to where it runs (docs/scale.md)."
        ) from error


def start_next(store: RunStore) -> int | None:
    """Hand every queued run to Ray (it starts each when a node has room); returns the first one's id."""
    reconcile(store)
    run_ids = store.claim_for_submission()
    for run_id in run_ids:
        submit(store, run_id)
    return run_ids[0] if run_ids else None


def submit(store: RunStore, run_id: int) -> None:
    """Start a Ray task that trains this run (it must be claimed for submission)."""
    try:
        ray = connect()
        # No retries: a second attempt would start the run over; a lost run is reported as interrupted instead.
        options = task_options(store.get_run(run_id).spec) | TASK_OPTIONS
        remote = ray.remote(max_retries=0)(train_on_node).options(**options)
        env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
        ref = remote.remote(store.location, run_id, env, TRAIN_RUN)
    except Exception as error:  # noqa: BLE001 - whatever stops the hand-over, the run must not wait forever
        address = os.environ.get("RAY_ADDRESS") or "auto"
        store.mark_finished(run_id, "failed", error=f"The Ray cluster at {address} did not take the run: {error}")
        return
    with _lock:
        _submitted[run_id] = ref


def task_options(spec: dict) -> dict[str, float]:
    """What a run asks Ray for: 1 CPU, and a GPU when its spec asks for one (else HANDLAB_RAY_GPUS, default 0)."""
    gpus = 1.0 if spec.get("gpu") else float(os.environ.get("HANDLAB_RAY_GPUS") or 0)
    # Ray hides the GPUs from a task that asked for none, so a CPU run never takes a GPU another run waits for.
    return {"num_cpus": 1.0, "num_gpus": gpus}


def train_on_node(location: str, run_id: int, env: dict[str, str], train_run: Callable[..., int]) -> int:
    """In a Ray worker: claim the run, train it with `train_run`, keep its files in the store; returns an exit code."""
    import ray

    os.environ.update(env)
    # The run's files go to a scratch folder and from there into the store: this node's disk is not the app's.
    os.environ["HANDLAB_HOME"] = home = tempfile.mkdtemp(prefix=f"handlab-run-{run_id}-")
    try:
        store = RunStore(location)
        if not store.claim_run(run_id, os.getpid(), ray.get_runtime_context().get_node_id()):
            return 2  # Stopped (or deleted) while it waited for a node.
        return train_run(store, run_id, files_to_store=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def stop_run(store: RunStore, run_id: int) -> None:
    """Ask a run to stop after its batch; a run still waiting for a node is cancelled in Ray's queue too."""
    store.request_stop(run_id)
    with _lock:
        ref = _submitted.get(run_id)
    if ref is not None and store.get_run(run_id).status == "stopped":
        connect().cancel(ref)


def reconcile(store: RunStore) -> list[int]:
    """Mark runs whose Ray worker or node died as interrupted (metrics kept); returns their ids."""
    try:
        ray = connect()
    except (ConnectionError, ImportError):
        return []  # Nothing to learn from a cluster out of reach; a run handed to it fails saying why.
    with _lock:
        refs = dict(_submitted)
    lost = []
    if refs:
        done, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=0)
        for run_id, ref in refs.items():
            if ref in done:
                with _lock:
                    _submitted.pop(run_id, None)
                lost += _check_result(ray, store, run_id, ref)
    alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
    with _lock:
        owned = set(_submitted)
    gone = lost_runs(store.list_runs(["running"]), alive, owned, time.time())
    return lost + [run.id for run, reason in gone if store.interrupt_run(run.id, run.pid, reason)]


def lost_runs(running: list[Run], alive_nodes: set[str], owned: set[int], now: float) -> list[tuple[Run, str]]:
    """The running Ray runs that cannot finish, with why: their node left the cluster, or their trainer fell
    silent for SILENT_AFTER_S while no task of this process trains them (its app server restarted: Ray ends
    the tasks of a driver that ends)."""
    lost = []
    for run in running:
        silent_s = now - (run.heartbeat_at or run.started_at or run.created_at)
        if not run.node_id:
            continue  # A local trainer: jobs.reconcile's business.
        if run.node_id not in alive_nodes:
            lost.append((run, f"Its Ray node {run.node_id[:8]} left the cluster; the metrics so far are kept."))
        elif run.id not in owned and silent_s > SILENT_AFTER_S:
            reason = f"No word from its trainer on Ray node {run.node_id[:8]} for {silent_s:.0f} s"
            lost.append((run, reason + "; the metrics so far are kept."))
    return lost


def _check_result(ray, store: RunStore, run_id: int, ref) -> list[int]:
    """Read a finished task's result; a task that died leaves its run interrupted (or failed, if it never began)."""
    try:
        ray.get(ref)
        return []
    except (ray.exceptions.TaskCancelledError, KeyError):
        return []  # Stopped while waiting: the store says so already.
    except ray.exceptions.RayError as error:
        reason = f"Its Ray task ended without finishing it ({type(error).__name__}); the metrics so far are kept."
        try:
            run = store.get_run(run_id)
        except KeyError:
            return []
        if run.status == "running" and store.interrupt_run(run_id, run.pid, reason):
            return [run_id]
        if run.status == "queued":
            store.mark_finished(run_id, "failed", error=reason)
        return []

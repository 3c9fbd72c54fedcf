"""Training on a Ray cluster (HANDLAB_RUNNER=ray, RAY_ADDRESS): waiting runs are trained by run slots on its nodes.

A run slot is a detached Ray actor: it belongs to the cluster, not to the app server that made it, so it lives on
when that server stops (a redeploy, a crash, a restart). It asks Ray for what a run needs (1 CPU, and a GPU when
the run's spec asks for one), so Ray starts it on a node with room. There it claims the oldest waiting run of its
kind from the run store (the store's claim is the only word on who trains what), trains it with the same
`core.learn.trainer.execute_run` as a local trainer, and takes the next waiting run, with TensorFlow already
loaded, until none waits; then it exits and frees its CPU. Its stdout and stderr go into the store too
(core.learn.run_logs), so the Train page shows a failed run's traceback from any server.

Every app server makes sure that each waiting run has a slot coming for it, named after the run and the store,
so that servers never make two for one run. They all read and stop the same runs in the store, and mark a run
interrupted (metrics kept) once the slot that trained it is gone or its node left the cluster. Ray is imported
only here, and only when this runner is chosen.
"""

import functools
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import traceback
from collections.abc import Callable
from typing import Any

from core import paths
from core.learn.run_logs import LogCapture
from core.learn.runs import Run, RunStore

# Extra Ray options for every run slot (tests pin a slot to a node with a scheduling strategy).
SLOT_OPTIONS: dict[str, Any] = {}
# What a slot calls to train a claimed run; Ray sends it to the node by reference (its module and name), so it
# must be importable there. Tests swap in a slowed-down trainer. None: core.learn.trainer.execute_run, imported by
# a slot once it has claimed a run (a slot that finds none waiting ends without loading TensorFlow).
TRAIN_RUN: Callable[..., int] | None = None
# Settings of the app server that its trainers on other nodes need too (where the datasets are).
FORWARDED_ENV = ["HANDLAB_DATA_DIR"]
SLOT_PREFIX = "handlab-slot"

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
    """Make sure every waiting run has a run slot coming for it (lost runs already marked: jobs.start_next reconciles
    first); returns the next run's id."""
    queue = sorted(store.list_runs(["queued"]), key=lambda run: run.id)
    if not queue:
        return None
    try:
        ray = connect()
        slots = live_slots(ray, store)
    except Exception as error:  # noqa: BLE001 - whatever stops the hand-over, the runs must not wait forever
        for run in queue:
            _refused(store, run.id, error)
        return None
    for run in queue:
        if slot_name(store, run.id) not in slots:
            open_slot(ray, store, run)
    return queue[0].id


def open_slot(ray, store: RunStore, run: Run) -> None:
    """Ask Ray for a run slot of this run's kind, named after the run (a second ask for the name gets the same one)."""
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    gpu = bool(run.spec.get("gpu"))
    try:
        options = slot_options(run.spec) | SLOT_OPTIONS
        # Detached: the cluster keeps it when this process ends. No restarts: a second try would start a run over.
        slot = _slot_class().options(
            name=slot_name(store, run.id), get_if_exists=True, lifetime="detached", max_restarts=0, **options
        )
        slot.remote(store.location, gpu, env, TRAIN_RUN)
    except Exception as error:  # noqa: BLE001
        _refused(store, run.id, error)


@functools.cache
def _slot_class():
    """RunSlot as a Ray actor class (made once a process: Ray exports a class to the cluster when first used)."""
    return connect().remote(RunSlot)


def _refused(store: RunStore, run_id: int, error: Exception) -> None:
    address = os.environ.get("RAY_ADDRESS") or "auto"
    store.mark_finished(run_id, "failed", error=f"The Ray cluster at {address} did not take the run: {error}")


def slot_options(spec: dict) -> dict[str, float]:
    """What a run asks Ray for: 1 CPU, and a GPU when its spec asks for one (else HANDLAB_RAY_GPUS, default 0)."""
    gpus = 1.0 if spec.get("gpu") else float(os.environ.get("HANDLAB_RAY_GPUS") or 0)
    # Ray hides the GPUs from an actor that asked for none, so a CPU run never takes a GPU another run waits for.
    return {"num_cpus": 1.0, "num_gpus": gpus}


def slot_name(store: RunStore, run_id: int) -> str:
    """The name of the slot made for a waiting run: unique on a cluster that several stores (or tests) share."""
    return f"{_slot_prefix(store)}{run_id}"


def _slot_prefix(store: RunStore) -> str:
    return f"{SLOT_PREFIX}-{hashlib.sha256(store.location.encode()).hexdigest()[:12]}-"


def live_slots(ray, store: RunStore) -> set[str]:
    """The names of this store's run slots that Ray has now, waiting for a node or training."""
    prefix = _slot_prefix(store)
    return {name for name in ray.util.list_named_actors() if name.startswith(prefix)}


class RunSlot:
    """A Ray actor that trains waiting runs of one kind (GPU or not), oldest first, and exits when none waits."""

    def __init__(self, location: str, gpu: bool, env: dict[str, str], train_run: Callable[..., int] | None):
        import ray

        os.environ.update(env)
        self.location, self.gpu, self.train_run = location, gpu, train_run
        # Its own call: one from the app server that made it would be lost if that server ended first.
        ray.get_runtime_context().current_actor.train_waiting_runs.remote()

    def train_waiting_runs(self) -> None:
        """Claim and train the oldest waiting run of this slot's kind until none waits, then end this actor."""
        import ray

        def of_its_kind(spec: dict) -> bool:
            return bool(spec.get("gpu")) == self.gpu

        context = ray.get_runtime_context()
        name, node = context.get_actor_name(), context.get_node_id()
        try:
            store = RunStore(self.location)
            while (run_id := store.claim_oldest(os.getpid(), node, name, of_its_kind)) is not None:
                train_claimed(self.location, run_id, self.train_run)
        finally:
            ray.actor.exit_actor()  # Frees its CPU and its name, also after an error (Ray's worker log has it).


def train_claimed(location: str, run_id: int, train_run: Callable[..., int] | None = None) -> None:
    """Train a run this process claimed, its output going into the store, its files too (this disk is not the
    app's); a trainer that raises leaves its run failed with the traceback in its log."""
    if train_run is None:
        from core.learn.trainer import execute_run as train_run
    # The run's files go to a scratch folder and from there into the store.
    os.environ["HANDLAB_HOME"] = home = tempfile.mkdtemp(prefix=f"handlab-run-{run_id}-")
    try:
        with LogCapture(RunStore(location), run_id) as log:
            store = LoggedRunStore(location, log)
            try:
                train_run(store, run_id, files_to_store=True)
            except Exception as error:  # noqa: BLE001 - the slot lives on to train the next run
                traceback.print_exc()
                if not store.get_run(run_id).finished:
                    store.mark_finished(run_id, "failed", error=f"{type(error).__name__}: {error}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


class LoggedRunStore(RunStore):
    """The run store as a slot's trainer sees it: a run's log is in the store before the run reads finished."""

    def __init__(self, location: str, log: LogCapture):
        super().__init__(location)
        self.log = log

    def mark_finished(self, run_id: int, status: str, error: str | None = None) -> None:
        self.log.flush()
        super().mark_finished(run_id, status, error)


def reconcile(store: RunStore) -> list[int]:
    """Mark running runs whose run slot is gone or whose node left the cluster as interrupted (metrics kept);
    returns their ids."""
    # The runs first, then Ray: a slot that claims a run after this read cannot be taken for a lost one.
    running = [run for run in store.list_runs(["running"]) if run.node_id]
    if not running:
        return []
    try:
        ray = connect()
        alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
        slots = live_slots(ray, store)
    except (ConnectionError, ImportError):
        return []  # Nothing to learn from a cluster out of reach; a run handed to it fails saying why.
    lost = lost_runs(running, alive, slots)
    return [run.id for run, reason in lost if store.interrupt_run(run.id, run.pid, reason)]


def lost_runs(running: list[Run], alive_nodes: set[str], live_slots: set[str]) -> list[tuple[Run, str]]:
    """The running Ray runs that cannot finish, with why: their node left the cluster, or the run slot that
    trained them is gone (a killed or crashed worker process, or a run of a Handlab before run slots)."""
    lost = []
    for run in running:
        if not run.node_id:
            continue  # A local trainer: jobs.reconcile's business.
        node = run.node_id[:8]
        if run.node_id not in alive_nodes:
            lost.append((run, f"Its Ray node {node} left the cluster; the metrics so far are kept."))
        elif run.ray_actor not in live_slots:
            reason = f"Its trainer on Ray node {node} ended without finishing it; the metrics so far are kept."
            lost.append((run, reason))
    return lost

"""How many runs a class gets through: 8 short runs submitted at once, local runner against a 2-node Ray cluster.

Each runner gets a fresh HANDLAB_HOME and run store (SQLite unless --store names a PostgreSQL URL) and the same
8 runs (digits-fast, 1 epoch, on --limit MNIST samples), queued at the same moment as a class pressing Start.
The local runner trains them one after another in child processes (today's default); the Ray runner hands
them to a local cluster of a head and one worker node (1 CPU each, started here and stopped after; or the
cluster at --address). Printed: runs finished per minute, and for each run the seconds from Start to its first
chart point (its first batch row in the store) and to its end.

    HANDLAB_DATA_DIR=/path/with/mnist.npz python benchmarks/cluster_throughput.py [--runs 8 --limit 6000]
"""

import argparse
import os
import socket
import statistics
import tempfile
import time


def submit_and_watch(runs: int, limit: int, poll_s: float = 0.2) -> dict[int, tuple[float, float]]:
    """Queue `runs` runs at once with the runner HANDLAB_RUNNER names; returns run id → (first point s, end s)."""
    from core.learn import jobs
    from core.learn.runs import RunStore
    from core.learn.spec import TrainSpec

    store = RunStore()
    spec = TrainSpec(recipe="digits-fast", epochs=1, limit=limit)
    started = time.monotonic()
    run_ids = [jobs.start_run(spec, name=f"student {i + 1}", store=store) for i in range(runs)]
    first_point, ended = {}, {}
    while len(ended) < runs:
        jobs.refresh(store)
        now = time.monotonic() - started
        for run_id in run_ids:
            if run_id not in first_point and store.batch_metrics(run_id):
                first_point[run_id] = now
            if run_id not in ended and store.get_run(run_id).finished:
                ended[run_id] = now
                status = store.get_run(run_id).status
                if status != "completed":
                    raise SystemExit(f"run {run_id} {status}: {store.get_run(run_id).error}")
        time.sleep(poll_s)
    return {run_id: (first_point.get(run_id, float("nan")), ended[run_id]) for run_id in run_ids}


def report(name: str, times: dict[int, tuple[float, float]]) -> None:
    """Print runs per minute and each run's time to its first chart point and to its end."""
    total_s = max(end for _, end in times.values())
    firsts = [first for first, _ in times.values()]
    print(f"\n{name}: {len(times)} runs in {total_s:.0f} s = {len(times) / total_s * 60:.1f} runs finished a minute")
    print(f"  first chart point after: median {statistics.median(firsts):.0f} s, {min(firsts):.0f}–{max(firsts):.0f} s")
    for number, (first, end) in enumerate((times[run_id] for run_id in sorted(times)), start=1):
        print(f"  run {number}: first point {first:6.1f} s, finished {end:6.1f} s")


def with_fresh_home(store: str | None) -> None:
    """A new HANDLAB_HOME, and the store in it unless a PostgreSQL URL was given (then a new database there)."""
    os.environ["HANDLAB_HOME"] = tempfile.mkdtemp(prefix="handlab-bench-")
    os.environ.pop("HANDLAB_STORE", None)
    if store:
        import psycopg

        name = f"handlab_bench_{int(time.time())}"
        with psycopg.connect(store, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        os.environ["HANDLAB_STORE"] = store.rsplit("/", 1)[0] + f"/{name}"


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_cluster():
    """A head and one worker node with 1 CPU each on this machine (no dashboard, a small object store)."""
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 100_000_000}
    ports = {"gcs_server_port": free_port(), "dashboard_agent_listen_port": free_port()}  # never Ray's defaults
    cluster = Cluster(initialize_head=True, head_node_args=node | ports | {"include_dashboard": False})
    cluster.add_node(**node)
    cluster.wait_for_nodes()
    return cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--limit", type=int, default=6000, help="MNIST training samples per run")
    parser.add_argument("--store", help="a postgresql:// URL of a server where the benchmark may create databases")
    parser.add_argument("--address", help="an existing Ray cluster (default: start a 2-node one here)")
    parser.add_argument("--only", choices=["local", "ray"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU cores; {args.runs} runs of digits-fast, 1 epoch, {args.limit} samples each")
    if args.only != "ray":
        with_fresh_home(args.store)
        os.environ["HANDLAB_RUNNER"] = "local"
        report("local runner (one at a time, child processes)", submit_and_watch(args.runs, args.limit))
    if args.only == "local":
        return
    try:
        import ray
    except ImportError:
        print("\nRay is not installed: pip install -r requirements-scale.txt to measure the Ray runner.")
        return
    cluster = None if args.address else local_cluster()
    os.environ["RAY_ADDRESS"] = args.address or cluster.address
    try:
        with_fresh_home(args.store)
        os.environ["HANDLAB_RUNNER"] = "ray"
        times = submit_and_watch(args.runs, args.limit)
        nodes = len([node for node in ray.nodes() if node["Alive"]])
        report(f"Ray runner ({nodes} nodes, 1 CPU a run)", times)
    finally:
        ray.shutdown()
        if cluster:
            cluster.shutdown()


if __name__ == "__main__":
    main()

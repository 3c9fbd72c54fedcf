"""How many runs a class gets through: 8 short runs submitted at once, local runner against a 2-node Ray cluster;
and how long a class waits to see its runs again when the app server that started them dies.

Each runner gets a fresh HANDLAB_HOME and run store (SQLite unless --store names a PostgreSQL URL) and the same
8 runs (digits-fast, 1 epoch, on --limit MNIST samples), queued at the same moment as a class pressing Start.
The local runner trains them one after another in child processes (today's default); the Ray runner hands
them to a local cluster of a head and one worker node (1 CPU each, started here and stopped after; or the
cluster at --address). Printed: runs finished per minute, and for each run the seconds from Start to its first
chart point (its first batch row in the store) and to its end.

Then, on the cluster, a server's death: 3 runs wait in a new store; an app server (`streamlit run`, its Train
page open in headless Chromium) hands them to Ray; once two train, the server is killed (SIGKILL) and a new
one started. Printed: seconds from the kill until the new server answers and until its Train page shows the two
runs training, the batches the runs wrote in between, and how the three runs ended (needs Playwright and a
Chromium, as `make test` installs).

    HANDLAB_DATA_DIR=/path/with/mnist.npz python benchmarks/cluster_throughput.py [--runs 8 --limit 6000]
"""

import argparse
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path


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


def server_death(limit: int, browser) -> dict[str, float]:
    """Kill the app server that handed 3 runs to Ray while two train; seconds until a new server shows them."""
    from core.learn.runs import RunStore
    from core.learn.spec import TrainSpec
    from tests.helpers.app_server import stop_server

    store = RunStore()
    os.environ["HANDLAB_STORE"] = store.location  # The servers have homes of their own, and share this store.
    spec = TrainSpec(recipe="digits-fast", epochs=3, limit=limit).resolved()
    for number in (1, 2, 3):  # Queued only: the first server's Train page hands them to the cluster.
        store.create_run(spec.to_dict(), f"student {number}")
    logs = Path(tempfile.mkdtemp(prefix="handlab-bench-servers-"))
    first, page = open_train_page(browser, logs / "first")
    wait_until(lambda: all(store.batch_metrics(run_id) for run_id in (1, 2)))
    first[0].kill()  # SIGKILL: no goodbye to Ray.
    killed, batches = time.monotonic(), [len(store.batch_metrics(run_id)) for run_id in (1, 2)]
    page.close()
    second, page = open_train_page(browser, logs / "second")
    figures = {"server up": second[1] - killed}
    wait_until(lambda: page.inner_text("body").count("on Ray node") >= 2, every_s=0.1)
    figures["runs shown live"] = time.monotonic() - killed
    gained = [len(store.batch_metrics(run_id)) - seen for run_id, seen in zip((1, 2), batches, strict=True)]
    wait_until(lambda: not store.list_runs(["queued", "running"]))
    figures |= {f"run {run.id}": run.status for run in sorted(store.list_runs(), key=lambda run: run.id)}
    figures["batches written meanwhile"] = gained
    page.close()
    for server in (first[0], second[0]):
        stop_server(server)
    return figures


def open_train_page(browser, home: Path):
    """A fresh `streamlit run` (its own HANDLAB_HOME) with the Train page open: ((process, when it answered), page)."""
    from tests.helpers.app_server import start_server, wait_for_health

    port = free_port()
    home.mkdir(parents=True)
    server = start_server(port, home, home / "streamlit.log")
    wait_for_health(f"http://127.0.0.1:{port}/_stcore/health", server)
    answered = time.monotonic()
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{port}/train")
    return (server, answered), page


def wait_until(condition, timeout_s: float = 600, every_s: float = 0.5) -> None:
    """Poll `condition()` until it is true; TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{condition} still false after {timeout_s} s")
        time.sleep(every_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--limit", type=int, default=6000, help="MNIST training samples per run")
    parser.add_argument("--store", help="a postgresql:// URL of a server where the benchmark may create databases")
    parser.add_argument("--address", help="an existing Ray cluster (default: start a 2-node one here)")
    parser.add_argument("--only", choices=["local", "ray", "server-death"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU cores; {args.runs} runs of digits-fast, 1 epoch, {args.limit} samples each")
    if args.only in (None, "local"):
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
    os.environ["HANDLAB_RUNNER"] = "ray"
    try:
        if args.only in (None, "ray"):
            with_fresh_home(args.store)
            times = submit_and_watch(args.runs, args.limit)
            nodes = len([node for node in ray.nodes() if node["Alive"]])
            report(f"Ray runner ({nodes} nodes, 1 CPU a run)", times)
        if args.only in (None, "server-death"):
            with_fresh_home(args.store)
            report_server_death(args.limit)
    finally:
        ray.shutdown()
        if cluster:
            cluster.shutdown()


def report_server_death(limit: int) -> None:
    """Measure and print a server's death (server_death) in a headless Chromium, if there is one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\nA server's death is measured in a browser: pip install -r requirements-dev.txt (Playwright).")
        return
    from tests.helpers.app_server import CHROMIUM_ARGS, find_chromium

    with sync_playwright() as playwright:
        chromium = find_chromium(playwright)
        if chromium is None:
            print("\nA server's death is measured in a browser: `make chromium` installs one.")
            return
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        figures = server_death(limit, browser)
        browser.close()
    print("\nthe app server that handed 3 runs to Ray killed (SIGKILL) while two trained; a new server started:")
    for name, value in figures.items():
        print(f"  {name}: {value:.1f} s" if isinstance(value, float) else f"  {name}: {value}")


if __name__ == "__main__":
    main()

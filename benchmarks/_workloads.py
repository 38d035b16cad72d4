"""The workloads, and the command line that runs them all.

Each workload runs every client it compares in the same run, in an order that
turns by one client each round, for several rounds; the report shows medians.

1. small calls: listing a fleet of one instance, many times, in this process;
2. a large fleet: every instance over many pages, each client in a fresh
   subprocess, with its wall time and peak memory; nubo's iterator again on
   fleets of other sizes, to show whether its memory stays flat;
3. cold start: a fresh interpreter that imports, looks up the driver, makes it;
4. hooks: nubo with no hook plugin, and with three that do nothing;
5. threads: one driver shared by 1 and by 8 threads, against a server that
   adds latency to each answer: throughput and errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import _clients, _report
from benchmarks._child import COLD_PROBES
from benchmarks._server import ROOT, ServerProcess

__all__ = ["Settings", "main", "run_all"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """How much of each workload to run.

    :param rounds: rounds of the in-process workloads (small calls, hooks).
    :param calls: calls per client per round for small calls and hooks.
    :param fleet: instances in the large fleet.
    :param fleet_rounds: fresh subprocesses per client for the large fleet.
    :param flat_sizes: more fleet sizes for nubo's iterator.
    :param cold_rounds: fresh interpreters per client for cold start.
    :param thread_rounds: rounds of the threads workload.
    :param thread_calls: calls each thread makes in the threads workload.
    :param latency_ms: what the server adds to each answer for threads.
    """

    rounds: int = 7
    calls: int = 500
    fleet: int = 10_000
    fleet_rounds: int = 3
    flat_sizes: tuple[int, ...] = (1_000, 2_000, 30_000)
    cold_rounds: int = 15
    thread_rounds: int = 3
    thread_calls: int = 40
    latency_ms: float = 20.0


#: Calls of one client in a row, inside a round.
BATCH = 25

#: Fewer rounds and calls, for a run of about a minute.
QUICK = Settings(
    rounds=3,
    calls=200,
    fleet_rounds=1,
    flat_sizes=(1_000, 2_000, 20_000),
    cold_rounds=5,
    thread_rounds=1,
    thread_calls=20,
)


def _turn(names: Sequence[str], round_number: int) -> list[str]:
    """The clients in this round's order: turned by one each round."""
    shift = round_number % len(names)
    return list(names[shift:]) + list(names[:shift])


def _spend(function: Callable[[], object], calls: int) -> tuple[float, float]:
    """Make ``calls`` calls; return the wall and the CPU seconds they took."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        function()
    return time.perf_counter() - wall, time.process_time() - cpu


def _interleaved(
    calls: dict[str, Callable[[], object]], count: int, round_number: int
) -> dict[str, tuple[float, float]]:
    """One round: ``count`` calls of each, in batches that take turns.

    The machine is shared, so its load changes within a round; batches of
    :data:`BATCH` calls, each client in turn, spread a busy spell over every
    client instead of landing on one.

    :returns: wall and CPU seconds per call, by name.
    """
    spent = {name: (0.0, 0.0) for name in calls}
    batches = max(1, count // BATCH)
    for batch in range(batches):
        for name in _turn(list(calls), round_number + batch):
            wall, cpu = _spend(calls[name], BATCH)
            spent[name] = (spent[name][0] + wall, spent[name][1] + cpu)
    made = batches * BATCH
    return {name: (wall / made, cpu / made) for name, (wall, cpu) in spent.items()}


def _samples(names: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    return {name: {"wall": [], "cpu": []} for name in names}


# -- 1. small calls ----------------------------------------------------------------


def small_calls(settings: Settings) -> dict[str, dict[str, list[float]]]:
    """Time one small ``list_nodes`` per client, ``settings.calls`` times a round.

    The request layers of nubo and of the floor are timed too, without any
    parsing into models, to tell the core's cost from the provider parser's.

    :param settings: how much to run.
    :returns: by client, ``wall`` and ``cpu`` (this process's CPU time) seconds
        per call, one figure per round.
    """
    names = [*_clients.CLIENTS, *_clients.REQUEST_ONLY]
    samples = _samples(names)
    with ServerProcess(1) as server:
        calls = {}
        for name in names:
            handle = _clients.make(name.split("-")[0], server.port)
            one = _clients.ONE_CALL.get(name) or _clients.REQUEST_ONLY[name]
            calls[name] = _bind(one, handle)
            for _ in range(20):
                calls[name]()

        for round_number in range(settings.rounds):
            figures = _interleaved(calls, settings.calls, round_number)
            for name, (wall, cpu) in figures.items():
                samples[name]["wall"].append(wall)
                samples[name]["cpu"].append(cpu)
    return samples


def _bind(function: Callable[[Any], Any], handle: Any) -> Callable[[], Any]:
    return lambda: function(handle)


# -- 2. a large fleet --------------------------------------------------------------


def _fleet_child(client: str, port: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks._child", "fleet", client, str(port)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=_child_env(),
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # pip byte-compiles what it installs, but not an editable checkout: let the
    # untimed first run of each client write the bytecode it would have had
    # installed, instead of compiling nubo's sources again in every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def large_fleet(settings: Settings) -> dict[str, Any]:
    """List a large fleet with each client, each time in a fresh subprocess.

    :param settings: how much to run.
    :returns: ``runs``: the children's measurements by client; ``flat``: nubo's
        iterator and list on fleets of other sizes, by size.
    """
    clients = list(_clients.ALL_PAGES)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in clients}
    with ServerProcess(settings.fleet) as server:
        for round_number in range(settings.fleet_rounds):
            for name in _turn(clients, round_number):
                result = _fleet_child(name, server.port)
                _check_count(name, result, settings.fleet)
                runs[name].append(result)

    flat: dict[str, dict[str, dict[str, float]]] = {}
    for size in settings.flat_sizes:
        with ServerProcess(size) as server:
            flat[str(size)] = {}
            for name in ("nubo-iter", "nubo"):
                result = _fleet_child(name, server.port)
                _check_count(name, result, size)
                flat[str(size)][name] = result
    return {"runs": runs, "flat": flat}


def _check_count(client: str, result: dict[str, float], expected: int) -> None:
    if result["count"] != expected:
        raise RuntimeError(
            f"{client} listed {result['count']:.0f} instances of {expected}; the"
            " figures of a client that misses instances mean nothing"
        )


# -- 3. cold start -----------------------------------------------------------------


def cold_start(settings: Settings) -> dict[str, list[dict[str, float]]]:
    """Import, look up and make each client's driver in fresh interpreters.

    :param settings: how much to run.
    :returns: per client, one ``seconds`` (inside the interpreter) and
        ``process_seconds`` (the whole process, interpreter start included) per run.
    """
    clients = list(COLD_PROBES)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in clients}
    with tempfile.TemporaryDirectory() as empty:
        # One untimed run each, so that every client's files are in the page cache.
        for name in clients:
            _cold_child(name, empty)
        for round_number in range(settings.cold_rounds):
            for name in _turn(clients, round_number):
                samples[name].append(_cold_child(name, empty))
    return samples


def _cold_child(name: str, cwd: str) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", COLD_PROBES[name]],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env=_child_env(),
    )
    elapsed = time.perf_counter() - started
    result: dict[str, float] = json.loads(out.stdout)
    result["process_seconds"] = elapsed
    return result


# -- 4. hooks ----------------------------------------------------------------------


def _noop_plugin() -> object:
    import nubo

    class NoopPlugin:
        """A hook plugin that implements every hook and does nothing."""

        @nubo.hookimpl
        def morph_action(self, request: Any) -> None:
            pass

        @nubo.hookimpl
        def add_default_params(self, request: Any) -> None:
            pass

        @nubo.hookimpl
        def add_default_headers(self, request: Any) -> None:
            pass

        @nubo.hookimpl
        def pre_connect(self, request: Any) -> None:
            pass

        @nubo.hookimpl(wrapper=True)
        def send(self, request: Any) -> Generator[None, Any, Any]:
            return (yield)

        @nubo.hookimpl
        def on_response(self, request: Any, response: Any, error: Any) -> None:
            pass

    return NoopPlugin()


def hooks(settings: Settings) -> dict[str, dict[str, list[float]]]:
    """Time nubo's small call with no hook plugin and with three no-op ones.

    :param settings: how much to run.
    :returns: for ``none`` and ``three``, ``wall`` and ``cpu`` seconds per call,
        one figure per round.
    """
    import nubo

    samples = _samples(("none", "three"))
    plugins = [_noop_plugin() for _ in range(3)]
    with ServerProcess(1) as server:
        driver = _clients.make("nubo", server.port)
        call = _bind(_clients.ONE_CALL["nubo"], driver)
        for _ in range(20):
            call()

        # The plugins come and go between batches, so both variants see the
        # same spells of load.
        variants = ("none", "three")
        batches = max(1, settings.calls // BATCH)
        for round_number in range(settings.rounds):
            spent = {variant: (0.0, 0.0) for variant in variants}
            for batch in range(batches):
                for variant in _turn(variants, round_number + batch):
                    if variant == "three":
                        for number, plugin in enumerate(plugins):
                            nubo.register_plugin(plugin, f"bench-noop-{number}")
                    try:
                        call()
                        wall, cpu = _spend(call, BATCH)
                    finally:
                        for plugin in plugins:
                            nubo.unregister_plugin(plugin)
                    spent[variant] = (spent[variant][0] + wall, spent[variant][1] + cpu)
            for variant, (wall, cpu) in spent.items():
                samples[variant]["wall"].append(wall / (batches * BATCH))
                samples[variant]["cpu"].append(cpu / (batches * BATCH))
    return samples


# -- 5. threads --------------------------------------------------------------------


def _hammer(call: Callable[[], Any], threads: int, calls: int) -> dict[str, Any]:
    """Make ``calls`` calls on each of ``threads`` threads; count what failed."""
    errors = 0
    kinds: set[str] = set()
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def work() -> None:
        nonlocal errors
        failed = 0
        seen: set[str] = set()
        start.wait()
        for _ in range(calls):
            try:
                result = call()
                if len(result) != 1:
                    failed += 1
                    seen.add(f"{len(result)} nodes instead of 1")
            except Exception as exc:
                failed += 1
                seen.add(type(exc).__name__)
        with lock:
            errors += failed
            kinds.update(seen)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started

    total = threads * calls
    return {
        "threads": threads,
        "calls": total,
        "errors": errors,
        "seconds": seconds,
        "throughput": (total - errors) / seconds,
        "error_kinds": sorted(kinds),
    }


def threads(settings: Settings) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Share one driver between 1 and 8 threads against a slow server.

    :param settings: how much to run.
    :returns: per client, per thread count, one measurement per round.
    """
    clients = ("nubo", "libcloud")
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"1": [], "8": []} for name in clients
    }
    with ServerProcess(1, latency_ms=settings.latency_ms) as server:
        calls = {}
        for name in clients:
            calls[name] = _bind(
                _clients.ONE_CALL[name], _clients.make(name, server.port)
            )
            calls[name]()

        for round_number in range(settings.thread_rounds):
            for name in _turn(clients, round_number):
                for count in (1, 8):
                    result = _hammer(calls[name], count, settings.thread_calls)
                    samples[name][str(count)].append(result)
    return samples


# -- all of it ---------------------------------------------------------------------

#: Every workload, by the name ``--only`` takes, in the order they run.
WORKLOADS: dict[str, Callable[[Settings], Any]] = {
    "small": small_calls,
    "fleet": large_fleet,
    "cold": cold_start,
    "hooks": hooks,
    "threads": threads,
}


def run_all(settings: Settings, only: Sequence[str] = ()) -> dict[str, Any]:
    """Run the workloads and gather their raw figures.

    :param settings: how much to run.
    :param only: names of :data:`WORKLOADS` to run; all when empty.
    :returns: the raw figures, by workload, with the settings and timings.
    """
    results: dict[str, Any] = {"settings": settings.__dict__, "workloads": {}}
    for name, workload in WORKLOADS.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        print(f"running {name} ...", flush=True)
        results["workloads"][name] = workload(settings)
        print(f"  {name} took {time.perf_counter() - started:.1f} s", flush=True)
    return results


def _nubo_ec2_problem() -> str | None:
    """Say why nubo's EC2 driver cannot be measured, if it cannot."""
    import nubo

    try:
        nubo.get_driver("ec2")
    except nubo.errors.NuboError as exc:
        return f"nubo's EC2 driver cannot be loaded, so nothing can be compared: {exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the report.

    :param argv: the command line, without the program name.
    :returns: the exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="nubo beside its alternatives."
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument(
        "--only", action="append", choices=list(WORKLOADS), help="one workload"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results", help="where to"
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="also copy the table and the chart into docs/_generated/",
    )
    args = parser.parse_args(argv)

    _clients.isolate_from_aws()
    problem = _nubo_ec2_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    settings = QUICK if args.quick else Settings()
    started = time.perf_counter()
    results = run_all(settings, args.only or ())
    results["seconds"] = time.perf_counter() - started
    results["quick"] = args.quick

    summary = _report.write(results, args.out)
    print(summary)
    if args.docs:
        _report.copy_to_docs(args.out, ROOT / "docs" / "_generated")
    print(f"wrote {args.out} in {results['seconds']:.0f} s", flush=True)
    return 0

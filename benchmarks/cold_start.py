"""Time ``import nubo`` plus the first ``get_driver`` in a fresh interpreter.

Each run starts a new interpreter, so nothing is cached in memory; the files it
reads are in the page cache after the first run, as they are on a machine that
runs nubo often. Run it with the Python that has nubo installed::

    python benchmarks/cold_start.py                # a throwaway provider
    python benchmarks/cold_start.py --provider ec2 # an installed one
    python benchmarks/cold_start.py --runs 50

Without ``--provider``, a throwaway provider distribution is made in a temporary
directory and put on ``PYTHONPATH`` for the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Runs in each fresh interpreter; prints the two times in seconds as JSON.
PROBE = """
import json, sys, time
start = time.perf_counter()
import nubo
imported = time.perf_counter()
nubo.get_driver(sys.argv[1])
looked_up = time.perf_counter()
import importlib.metadata
print(json.dumps({
    "import": imported - start,
    "total": looked_up - start,
    "distributions": len(list(importlib.metadata.distributions())),
}))
"""

THROWAWAY_DRIVER = '''"""A throwaway provider for timing lookups."""
import nubo


class Driver(nubo.BaseDriver):
    type = "coldstart"
'''


def make_throwaway(where: Path) -> str:
    """Write a provider distribution under ``where``; return its provider id."""
    info = where / "nubo_coldstart-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: nubo-coldstart\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[nubo.compute]\ncoldstart = nubo_coldstart_driver:Driver\n"
    )
    (where / "nubo_coldstart_driver.py").write_text(THROWAWAY_DRIVER)
    return "coldstart"


def run(provider: str, runs: int, pythonpath: str | None) -> list[dict[str, float]]:
    """Start ``runs`` fresh interpreters and collect their times."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath

    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, provider],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout))
    return results


def main() -> int:
    """Run the benchmark and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", help="an installed provider id to look up")
    parser.add_argument("--runs", type=int, default=20, help="fresh interpreters")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pythonpath = None
        provider = args.provider
        if provider is None:
            provider = make_throwaway(Path(tmp))
            pythonpath = tmp

        results = run(provider, args.runs, pythonpath)

    imports = [r["import"] * 1000 for r in results]
    totals = [r["total"] * 1000 for r in results]
    print(
        f"provider {provider!r}, {args.runs} fresh interpreters, Python "
        f"{sys.version.split()[0]}, {int(results[0]['distributions'])} "
        "distributions on sys.path"
    )
    print(
        f"import nubo:                    median {statistics.median(imports):6.1f} ms"
        f"  (min {min(imports):.1f}, max {max(imports):.1f})"
    )
    print(
        f"import nubo + first get_driver: median {statistics.median(totals):6.1f} ms"
        f"  (min {min(totals):.1f}, max {max(totals):.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

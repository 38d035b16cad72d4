"""Turn the workloads' raw figures into medians, ratios, a table and a chart.

:func:`write` puts three files in the results folder: ``results.json`` (every
raw figure, the medians, the ratios, the targets and the machine),
``results.md`` (the tables) and ``results.png`` (a bar chart). :func:`copy_to_docs`
copies the chart and the tables, as reStructuredText, where the docs'
Performance page includes them.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._fleet import PAGE_SIZE

__all__ = [
    "chart",
    "copy_to_docs",
    "machine",
    "markdown",
    "restructuredtext",
    "summarize",
    "write",
]

log = logging.getLogger(__name__)

_MIB = 1024.0


def machine() -> dict[str, Any]:
    """Describe the machine and the versions measured.

    :returns: CPU, core count, OS, Python and library versions, and the date.
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    versions = {}
    for name in ("nubo", "nubo-ec2", "apache-libcloud", "boto3", "botocore"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    for name in ("requests", "lxml", "urllib3"):
        versions[name] = importlib.metadata.version(name)

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(terse=True),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "versions": versions,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _target(
    name: str, figure: float, limit: float, at_most: bool, shown: str
) -> dict[str, Any]:
    met = figure <= limit if at_most else figure >= limit
    return {
        "name": name,
        "figure": figure,
        "target": f"{'≤' if at_most else '≥'} {limit:g}",
        "met": bool(met),
        "shown": shown,
    }


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Compute the medians, the ratios and how each target fares.

    :param results: what :func:`benchmarks._workloads.run_all` returned.
    :returns: ``medians`` by workload and ``targets``, a list of each target's
        figure, limit and whether it was met.
    """
    work = results["workloads"]
    medians: dict[str, Any] = {}
    targets: list[dict[str, Any]] = []

    if "small" in work:
        small = {k: _median(v["cpu"]) * 1e6 for k, v in work["small"].items()}
        medians["small"] = small
        medians["small_wall"] = {
            k: _median(v["wall"]) * 1e6 for k, v in work["small"].items()
        }
        targets.append(
            _target(
                "small calls, client CPU: nubo / floor",
                small["nubo"] / small["floor"],
                1.15,
                True,
                f"{small['nubo']:.0f} µs / {small['floor']:.0f} µs",
            )
        )
        if "nubo-request" in small:
            targets.append(
                _target(
                    "(diagnostic) request layer alone, client CPU: nubo / floor",
                    small["nubo-request"] / small["floor-request"],
                    1.15,
                    True,
                    f"{small['nubo-request']:.0f} µs / {small['floor-request']:.0f} µs",
                )
            )
        targets.append(
            _target(
                "small calls, client CPU: nubo / libcloud",
                small["nubo"] / small["libcloud"],
                0.7,
                True,
                f"{small['nubo']:.0f} µs / {small['libcloud']:.0f} µs",
            )
        )

    if "fleet" in work:
        fleet = {}
        for name, runs in work["fleet"]["runs"].items():
            fleet[name] = {
                "seconds": _median([r["seconds"] for r in runs]),
                "cpu_seconds": _median([r.get("cpu_seconds", 0.0) for r in runs]),
                "peak_mib": _median([r["peak_rss_kib"] / _MIB for r in runs]),
                "growth_mib": _median(
                    [(r["peak_rss_kib"] - r["rss_before_kib"]) / _MIB for r in runs]
                ),
            }
        medians["fleet"] = fleet
        nubo, libcloud = fleet["nubo"], fleet["libcloud"]
        targets.append(
            _target(
                "large fleet wall time: nubo / libcloud",
                nubo["seconds"] / libcloud["seconds"],
                0.5,
                True,
                f"{nubo['seconds']:.2f} s / {libcloud['seconds']:.2f} s; CPU"
                f" {nubo['cpu_seconds'] / libcloud['cpu_seconds']:.2f}",
            )
        )
        targets.append(
            _target(
                "large fleet peak memory: nubo / libcloud",
                nubo["peak_mib"] / libcloud["peak_mib"],
                0.5,
                True,
                f"{nubo['peak_mib']:.0f} MiB / {libcloud['peak_mib']:.0f} MiB",
            )
        )

        sizes = {int(size): runs for size, runs in work["fleet"]["flat"].items()}
        flat = {
            size: {name: r["peak_rss_kib"] / _MIB for name, r in runs.items()}
            for size, runs in sizes.items()
        }
        total = results["settings"]["fleet"]
        flat[total] = {
            "nubo-iter": fleet["nubo-iter"]["peak_mib"],
            "nubo": fleet["nubo"]["peak_mib"],
        }
        flat = dict(sorted(flat.items()))
        medians["flat"] = {str(size): peaks for size, peaks in flat.items()}
        # Flat as the fleet grows: from the smallest fleet of several pages on.
        paged = [size for size in flat if size > PAGE_SIZE] or list(flat)
        smallest, largest = min(paged), max(paged)
        targets.append(
            _target(
                f"iterator peak memory, {largest:,} / {smallest:,} instances",
                flat[largest]["nubo-iter"] / flat[smallest]["nubo-iter"],
                1.1,
                True,
                f"{flat[largest]['nubo-iter']:.0f} MiB / "
                f"{flat[smallest]['nubo-iter']:.0f} MiB",
            )
        )

    if "cold" in work:
        cold = {
            name: {
                "seconds": _median([r["seconds"] for r in runs]),
                "cpu_seconds": _median([r.get("cpu_seconds", 0.0) for r in runs]),
                "process_seconds": _median([r["process_seconds"] for r in runs]),
            }
            for name, runs in work["cold"].items()
        }
        medians["cold"] = cold
        nubo_cold, libcloud_cold = cold["nubo"], cold["libcloud"]
        targets.append(
            _target(
                "cold start, CPU: nubo / libcloud",
                nubo_cold["cpu_seconds"] / libcloud_cold["cpu_seconds"],
                0.5,
                True,
                f"{nubo_cold['cpu_seconds'] * 1e3:.0f} ms /"
                f" {libcloud_cold['cpu_seconds'] * 1e3:.0f} ms; wall"
                f" {nubo_cold['seconds'] / libcloud_cold['seconds']:.2f}",
            )
        )

    if "hooks" in work:
        hooks = {k: _median(v["cpu"]) * 1e6 for k, v in work["hooks"].items()}
        medians["hooks"] = hooks
        medians["hooks_wall"] = {
            k: _median(v["wall"]) * 1e6 for k, v in work["hooks"].items()
        }
        targets.append(
            _target(
                "hooks, client CPU: three no-op plugins / none",
                hooks["three"] / hooks["none"],
                1.05,
                True,
                f"{hooks['three']:.0f} µs / {hooks['none']:.0f} µs",
            )
        )

    if "threads" in work:
        threads: dict[str, dict[str, dict[str, Any]]] = {}
        for name, by_count in work["threads"].items():
            threads[name] = {
                count: {
                    "throughput": _median([r["throughput"] for r in runs]),
                    "errors": sum(int(r["errors"]) for r in runs),
                    "calls": sum(int(r["calls"]) for r in runs),
                    "error_kinds": sorted(
                        {kind for r in runs for kind in r.get("error_kinds", ())}
                    ),
                }
                for count, runs in by_count.items()
            }
        medians["threads"] = threads
        one, eight = threads["nubo"]["1"], threads["nubo"]["8"]
        targets.append(
            _target(
                "threads: nubo, 8 threads / 1",
                eight["throughput"] / one["throughput"],
                6.0,
                False,
                f"{eight['throughput']:.0f} / {one['throughput']:.0f} calls/s,"
                f" {eight['errors'] + one['errors']} errors",
            )
        )

    return {"medians": medians, "targets": targets}


# -- tables ------------------------------------------------------------------------


def _tables(results: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every table of the report: (title, header, rows)."""
    medians = results["summary"]["medians"]
    settings = results["settings"]
    tables = []

    if "small" in medians:
        small, wall = medians["small"], medians["small_wall"]
        rows = [
            [
                name,
                f"{small[name]:.0f}",
                f"{small[name] / small['floor']:.2f}",
                f"{small['nubo'] / small[name]:.2f}",
                f"{wall[name]:.0f}",
                f"{wall[name] / wall['floor']:.2f}",
            ]
            for name in ("nubo", "floor", "libcloud", "boto3")
        ]
        rows += [
            [
                f"{name} (request layer only)",
                f"{small[name + '-request']:.0f}",
                f"{small[name + '-request'] / small['floor-request']:.2f}",
                " ",
                f"{wall[name + '-request']:.0f}",
                f"{wall[name + '-request'] / wall['floor-request']:.2f}",
            ]
            for name in ("nubo", "floor")
            if name + "-request" in small
        ]
        tables.append(
            (
                f"Small calls: list a fleet of 1 instance, {settings['calls']} calls"
                f" a round, median of {settings['rounds']} rounds",
                [
                    "client",
                    "CPU µs per call",
                    "vs floor",
                    "nubo vs client",
                    "wall µs per call",
                    "vs floor",
                ],
                rows,
            )
        )

    if "fleet" in medians:
        fleet = medians["fleet"]
        libcloud = fleet["libcloud"]
        rows = [
            [
                name,
                f"{fleet[name]['seconds']:.2f}",
                f"{fleet[name]['seconds'] / libcloud['seconds']:.2f}",
                f"{fleet[name]['cpu_seconds']:.2f}",
                f"{fleet[name]['peak_mib']:.0f}",
                f"{fleet[name]['peak_mib'] / libcloud['peak_mib']:.2f}",
                f"{fleet[name]['growth_mib']:.0f}",
            ]
            for name in ("nubo", "nubo-iter", "floor", "libcloud", "boto3")
        ]
        tables.append(
            (
                f"Large fleet: {settings['fleet']:,} instances over"
                f" {-(-settings['fleet'] // 1000)} pages, a fresh process each,"
                f" median of {settings['fleet_rounds']}",
                [
                    "client",
                    "wall s",
                    "vs libcloud",
                    "CPU s",
                    "peak MiB",
                    "vs libcloud",
                    "MiB grown while listing",
                ],
                rows,
            )
        )
        flat = medians["flat"]
        rows = [
            [f"{int(size):,}", f"{peaks['nubo-iter']:.0f}", f"{peaks['nubo']:.0f}"]
            for size, peaks in flat.items()
        ]
        tables.append(
            (
                "Peak memory as the fleet grows (MiB)",
                ["instances", "nubo iter_nodes", "nubo list_nodes"],
                rows,
            )
        )

    if "cold" in medians:
        cold = medians["cold"]
        rows = [
            [
                name,
                f"{cold[name]['cpu_seconds'] * 1e3:.0f}",
                f"{cold[name]['cpu_seconds'] / cold['libcloud']['cpu_seconds']:.2f}",
                f"{cold[name]['seconds'] * 1e3:.0f}",
                f"{cold[name]['seconds'] / cold['libcloud']['seconds']:.2f}",
                f"{cold[name]['process_seconds'] * 1e3:.0f}",
            ]
            for name in ("nubo", "libcloud", "boto3")
        ]
        tables.append(
            (
                "Cold start: import, look up the driver, make it; median of"
                f" {settings['cold_rounds']} fresh interpreters",
                [
                    "client",
                    "CPU ms",
                    "vs libcloud",
                    "wall ms",
                    "vs libcloud",
                    "wall ms with interpreter start",
                ],
                rows,
            )
        )

    if "hooks" in medians:
        hooks, wall = medians["hooks"], medians["hooks_wall"]
        rows = [
            [
                "no hook plugin",
                f"{hooks['none']:.0f}",
                "1.00",
                f"{wall['none']:.0f}",
                "1.00",
            ],
            [
                "three no-op plugins",
                f"{hooks['three']:.0f}",
                f"{hooks['three'] / hooks['none']:.2f}",
                f"{wall['three']:.0f}",
                f"{wall['three'] / wall['none']:.2f}",
            ],
        ]
        tables.append(
            (
                "Hooks: nubo's small call, every hook implemented by each plugin",
                ["nubo", "CPU µs per call", "vs none", "wall µs per call", "vs none"],
                rows,
            )
        )

    if "threads" in medians:
        rows = []
        for name, by_count in medians["threads"].items():
            one = by_count["1"]["throughput"]
            for count, figures in by_count.items():
                rows.append(
                    [
                        name,
                        count,
                        f"{figures['throughput']:.0f}",
                        f"{figures['throughput'] / one:.2f}",
                        f"{figures['errors']} of {figures['calls']}"
                        + _kinds(figures["error_kinds"]),
                    ]
                )
        tables.append(
            (
                f"Threads: one shared driver, {settings['latency_ms']:g} ms added to"
                f" each answer, median of {settings['thread_rounds']}",
                ["client", "threads", "calls/s", "vs 1 thread", "errors"],
                rows,
            )
        )

    targets = results["summary"]["targets"]
    rows = [
        [
            t["name"],
            f"{t['figure']:.3f}",
            t["target"],
            "met" if t["met"] else "missed",
            t["shown"],
        ]
        for t in targets
    ]
    tables.append(("Targets", ["figure", "ratio", "target", "result", "from"], rows))
    return tables


def _kinds(kinds: Sequence[str]) -> str:
    return f" ({', '.join(kinds)})" if kinds else ""


def _machine_line(results: dict[str, Any]) -> str:
    info = results["machine"]
    versions = info["versions"]
    kind = "A quick run" if results.get("quick") else "Measured"
    return (
        f"{kind} on {info['date']}: {info['cores']} cores ({info['cpu']}),"
        f" {info['system']}, {info['implementation']} {info['python']};"
        f" nubo {versions['nubo']}, apache-libcloud {versions['apache-libcloud']},"
        f" boto3 {versions['boto3']}, requests {versions['requests']},"
        f" lxml {versions['lxml']}."
    )


def markdown(results: dict[str, Any]) -> str:
    """Render the tables as markdown.

    :param results: the results with their ``summary`` and ``machine``.
    :returns: the markdown text.
    """
    lines = ["# nubo benchmarks", "", _machine_line(results), ""]
    for title, header, rows in _tables(results):
        lines += [f"## {title}", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def restructuredtext(results: dict[str, Any]) -> str:
    """Render the tables as reStructuredText, for the docs.

    :param results: the results with their ``summary`` and ``machine``.
    :returns: the text, with a rubric before each table.
    """
    lines = [_machine_line(results), ""]
    for title, header, rows in _tables(results):
        lines += [f".. rubric:: {title}", "", ".. list-table::", "   :header-rows: 1"]
        lines.append("")
        for row in [header, *rows]:
            first, *rest = [cell or " " for cell in row]
            lines.append(f"   * - {first}")
            lines += [f"     - {cell}" for cell in rest]
        lines.append("")
    return "\n".join(lines)


def _color(name: str) -> str:
    return "#2a6f97" if name.startswith("nubo") else "#9aa5b1"


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


# -- the chart ---------------------------------------------------------------------


def chart(results: dict[str, Any], path: Path) -> None:
    """Draw the medians as bar charts, one panel per workload.

    :param results: the results with their ``summary``.
    :param path: the PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    medians = results["summary"]["medians"]
    panels = []
    if "small" in medians:
        small = medians["small"]
        panels.append(("Small calls (client CPU µs per call)", dict(small)))
    if "fleet" in medians:
        fleet = medians["fleet"]
        panels.append(
            (
                f"Fleet of {results['settings']['fleet']:,}: wall (s)",
                {k: v["seconds"] for k, v in fleet.items()},
            )
        )
        panels.append(
            (
                "Fleet: peak memory (MiB)",
                {k: v["peak_mib"] for k, v in fleet.items()},
            )
        )
    if "cold" in medians:
        panels.append(
            (
                "Cold start (CPU ms)",
                {k: v["cpu_seconds"] * 1e3 for k, v in medians["cold"].items()},
            )
        )
    if "hooks" in medians:
        hooks = medians["hooks"]
        panels.append(
            (
                "nubo hooks (client CPU µs per call)",
                {"nubo, no plugin": hooks["none"], "nubo, 3 plugins": hooks["three"]},
            )
        )
    if "threads" in medians:
        bars = {}
        for name, by_count in medians["threads"].items():
            for count, figures in by_count.items():
                bars[f"{name}\n{count} thr."] = figures["throughput"]
        panels.append(("Threads, 20 ms latency (calls/s)", bars))

    columns = 3
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(13, 4.2 * rows), squeeze=False)
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis, (title, bars) in zip(axes.flat, panels, strict=False):
        names = [name.replace("-", "\n", 1) for name in bars]
        colors = [_color(name) for name in bars]
        values = list(bars.values())
        drawn = axis.bar(range(len(names)), values, color=colors)
        axis.bar_label(drawn, labels=[_label(v) for v in values], fontsize=8)
        axis.set_xticks(range(len(names)), names, fontsize=8)
        axis.set_title(title, fontsize=10)
        axis.margins(y=0.15)
    figure.suptitle(_machine_line(results), fontsize=7, wrap=True)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


# -- files -------------------------------------------------------------------------


def write(results: dict[str, Any], out: Path) -> str:
    """Summarize and write ``results.json``, ``results.md`` and ``results.png``.

    :param results: what :func:`benchmarks._workloads.run_all` returned.
    :param out: the results folder; made if missing.
    :returns: the markdown text.
    """
    out.mkdir(parents=True, exist_ok=True)
    results["machine"] = machine()
    results["summary"] = summarize(results)

    text = markdown(results)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(text)
    (out / "results.rst.txt").write_text(restructuredtext(results))
    chart(results, out / "results.png")
    log.debug("wrote the results to %s", out)
    return text


def copy_to_docs(out: Path, docs: Path) -> None:
    """Copy the chart and the tables where the Performance page includes them.

    :param out: the results folder :func:`write` filled.
    :param docs: the docs' generated folder.
    """
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "results.png", docs / "performance.png")
    shutil.copyfile(out / "results.md", docs / "performance.md")
    shutil.copyfile(out / "results.rst.txt", docs / "performance.txt")
    shutil.copyfile(out / "results.json", docs / "performance.json")

"""The ``nubo`` command line.

``nubo providers`` lists the installed providers and hook plugins; ``nubo doctor``
loads every one of them and says what is broken and how to fix it. The compute
commands, ``nubo -p PROVIDER nodes list`` and the like, live in
:mod:`nubo._cli_compute`, their settings in :mod:`nubo._cli_config` and their
output in :mod:`nubo._cli_output`. Each subcommand is a function that adds its
parser to the subcommand table.

Run it as the ``nubo`` console script or as ``python -m nubo._cli``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from . import _cli_compute, _registry, _scaffold, plugin_records
from ._version import __version__
from .errors import NuboError

__all__ = ["main"]

log = logging.getLogger(__name__)

# Hook plugin statuses that are a problem for ``nubo doctor``.
_BROKEN_PLUGIN = frozenset({"failed"})


@dataclass(frozen=True)
class Row:
    """One line of ``nubo providers``: a provider or a hook plugin.

    :param kind: ``"compute"`` (or another family) for a provider, ``"plugin"``
        for a hook plugin.
    :param name: the provider id or the plugin's entry point name.
    :param target: what the entry point points at.
    :param distribution: the distribution that declares it, if known.
    :param version: that distribution's version, if known.
    :param status: the provider's or plugin's status.
    :param error: what went wrong and what to do, if anything did.
    """

    kind: str
    name: str
    target: str
    distribution: str | None
    version: str | None
    status: str
    error: str | None = None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nubo`` command line.

    :param argv: the arguments, without the program name; ``sys.argv[1:]`` when
        ``None``.
    :returns: the exit status: 0 when all went well, 1 for an error from the
        provider or the network (or a problem ``nubo doctor`` found), 2 for a
        usage error, 130 on Ctrl-C.
    """
    parser = build_parser()
    args = parser.parse_args(argv)

    command: Callable[[argparse.Namespace, TextIO], int] | None = getattr(
        args, "command", None
    )
    if command is None:
        parser.print_help(sys.stderr)
        return 2

    try:
        return command(args, sys.stdout)
    except NuboError as error:
        parser.exit(2, f"nubo: error: {error}\n")
    except KeyboardInterrupt:
        sys.stderr.write("nubo: interrupted; nothing was changed\n")
        return _cli_compute.EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of ``nubo`` and of every subcommand.

    :returns: the parser.
    """
    parser = argparse.ArgumentParser(
        prog="nubo",
        description="Drive cloud providers through one API.",
        epilog=(
            "Example: nubo -p dummy nodes list. Credentials come from the "
            "environment (NUBO_<PROVIDER>_KEY, NUBO_<PROVIDER>_SECRET, or the "
            "provider's own, such as AWS_ACCESS_KEY_ID) or from a --profile of "
            "~/.config/nubo/config.toml (or $NUBO_CONFIG)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"nubo {__version__}")
    _cli_compute.add_global_options(parser, suppress=False)

    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subcommands)
    _scaffold.configure(subcommands.add_parser("new-provider", help=_scaffold.HELP))

    return parser


# -- nubo providers ----------------------------------------------------------------


def _add_providers(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "providers",
        help="list the installed providers and hook plugins",
        description=(
            "List the installed providers and hook plugins, read from the "
            "distributions' metadata; no provider is imported."
        ),
    )
    _add_output_options(parser, json_alias=True)
    parser.add_argument(
        "--family", default="compute", help="the driver family (default: compute)"
    )
    parser.set_defaults(command=_run_providers)


def _add_output_options(parser: argparse.ArgumentParser, *, json_alias: bool) -> None:
    # No default here: a -o given before the command is kept unless repeated.
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "json"),
        default=argparse.SUPPRESS,
        help="table for people (the default) or json for scripts",
    )
    if json_alias:
        parser.add_argument(
            "--json",
            dest="output",
            action="store_const",
            const="json",
            default=argparse.SUPPRESS,
            help="the same as -o json",
        )


def _run_providers(args: argparse.Namespace, out: TextIO) -> int:
    family: str = args.family
    provider_rows = _provider_rows(family)
    hook_rows = plugin_rows()

    if getattr(args, "output", None) == "json":
        document = {
            "providers": [asdict(row) for row in provider_rows],
            "plugins": [asdict(row) for row in hook_rows],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
        return 0

    rows = provider_rows + hook_rows
    if not rows:
        out.write(
            f"No {family} providers or hook plugins are installed; install one "
            "from a checkout of nubo, such as 'pip install -e plugins/nubo-dummy'.\n"
        )
        return 0

    _write_table(out, rows)
    return 0


def _write_table(out: TextIO, rows: Sequence[Row]) -> None:
    header = ("ID", "KIND", "DISTRIBUTION", "VERSION", "STATUS")
    lines = [header] + [
        (r.name, r.kind, r.distribution or "-", r.version or "-", r.status)
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


# -- nubo doctor -------------------------------------------------------------------


def _add_doctor(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "doctor",
        help="load every provider and hook plugin and report what is broken",
        description=(
            "Load every installed provider and hook plugin, report each problem "
            "with its fix, and exit with status 1 when there is one."
        ),
    )
    _add_output_options(parser, json_alias=False)
    parser.add_argument(
        "--family", default="compute", help="the driver family (default: compute)"
    )
    parser.set_defaults(command=_run_doctor)


@dataclass(frozen=True)
class Check:
    """One line of ``nubo doctor``: a provider or hook plugin, and its verdict.

    :param kind: the driver family for a provider, ``"plugin"`` for a hook plugin.
    :param name: the provider id or the plugin's entry point name.
    :param origin: the distribution and version it comes from.
    :param verdict: ``"ok"``, ``"PROBLEM"``, or the plugin's status.
    :param detail: what is wrong and how to fix it, when something is.
    """

    kind: str
    name: str
    origin: str
    verdict: str
    detail: str | None = None


def _run_doctor(args: argparse.Namespace, out: TextIO) -> int:
    family: str = args.family
    checks: list[Check] = []

    for record in _registry.providers(family):
        origin = _origin(record)
        try:
            _registry.get_driver(record.name, family)
        except NuboError as error:
            checks.append(Check(family, record.name, origin, "PROBLEM", str(error)))
        else:
            checks.append(Check(family, record.name, origin, "ok"))

    for row in plugin_rows():
        origin = _origin(row)
        if row.status in _BROKEN_PLUGIN:
            checks.append(
                Check("plugin", row.name, origin, "PROBLEM", _plugin_fix(row))
            )
        else:
            verdict = "ok" if row.status == "loaded" else row.status
            checks.append(Check("plugin", row.name, origin, verdict))

    problems = sum(1 for check in checks if check.verdict == "PROBLEM")
    if getattr(args, "output", None) == "json":
        document = {"checks": [asdict(check) for check in checks], "problems": problems}
        json.dump(document, out, indent=2)
        out.write("\n")
        return 1 if problems else 0

    for check in checks:
        kind = "hook plugin" if check.kind == "plugin" else f"{check.kind} provider"
        _report(
            out, check.verdict, f"{kind} {check.name!r} ({check.origin})", check.detail
        )

    checked = len(checks)
    if problems:
        out.write(f"\n{problems} of {checked} checked have a problem; see above.\n")
        return 1

    if checked == 0:
        out.write(
            f"No {family} providers or hook plugins are installed; nothing to "
            "check. Install a provider from a checkout of nubo, such as "
            "'pip install -e plugins/nubo-dummy'.\n"
        )
    else:
        out.write(f"\nNo problems: {checked} checked.\n")
    return 0


def _report(out: TextIO, verdict: str, what: str, detail: str | None = None) -> None:
    out.write(f"{verdict:<8} {what}\n")
    if detail:
        out.write(
            textwrap.fill(detail, 88, initial_indent=" " * 9, subsequent_indent=" " * 9)
        )
        out.write("\n")


def _origin(record: _registry.ProviderRecord | Row) -> str:
    if record.distribution is None:
        return "registered at run time"
    if record.version is None:
        return record.distribution
    return f"{record.distribution} {record.version}"


def _plugin_fix(row: Row) -> str:
    cause = row.error or "it failed to load"
    return (
        f"{cause}; upgrade or reinstall {row.distribution or 'its distribution'}, "
        "uninstall it if you do not need it, or set NUBO_DISABLE_PLUGIN_AUTOLOAD=1 "
        "to run without hook plugins"
    )


# -- rows ----------------------------------------------------------------------------


def _provider_rows(family: str) -> list[Row]:
    return [
        Row(
            kind=family,
            name=r.name,
            target=r.target,
            distribution=r.distribution,
            version=r.version,
            status=r.status,
            error=r.error,
        )
        for r in _registry.providers(family)
    ]


def plugin_rows() -> list[Row]:
    """List the hook plugins, with their status.

    The rows come from :func:`nubo.plugin_records`, which loads the plugins as
    the first call through nubo would.

    :returns: one row per hook plugin entry point.
    """
    return [
        Row(
            kind="plugin",
            name=r.name,
            target=r.target,
            distribution=r.distribution,
            version=r.version,
            status=r.status,
            error=r.error,
        )
        for r in plugin_records()
    ]


_SUBCOMMANDS: list[Callable[[Any], None]] = [
    _add_providers,
    _add_doctor,
    _cli_compute.add_parsers,
]


if __name__ == "__main__":
    sys.exit(main())

"""Throwaway distributions for the tests of provider and plugin lookup.

Every distribution made here is a real one that the metadata library finds the
way it finds any installed distribution: a ``.dist-info`` (or a stray
``.egg-info``) directory with metadata and entry points, beside the modules it
ships, in a directory a test puts on ``sys.path``; or a wheel built here and
installed into a directory by pip. Module names start with :data:`PREFIX`, so
that a test can forget them from ``sys.modules`` afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import itertools
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

#: Every module and provider id made here starts with this.
PREFIX = "nubotest_"

_counter = itertools.count(1)

EntryPoints = Mapping[str, Mapping[str, str]]


def fresh_name(stem: str) -> str:
    """Return a module name used by no other test in this process.

    :param stem: a word saying what the module is for.
    :returns: ``nubotest_<stem>_<n>``.
    """
    return f"{PREFIX}{stem}_{next(_counter)}_{os.getpid()}"


def driver_source(
    provider: str, *, contract: int | None = None, record_imports: Path | None = None
) -> str:
    """Return the source of a module that defines a driver class ``Driver``.

    :param provider: the provider id the driver declares.
    :param contract: a ``CONTRACT_VERSION`` to declare instead of the core's.
    :param record_imports: a file to which each import of the module adds a line.
    :returns: the module's source.
    """
    lines = ['"""A throwaway provider driver."""', "import nubo", ""]
    if record_imports is not None:
        lines += [
            f"with open({str(record_imports)!r}, 'a') as f:",
            "    f.write('imported\\n')",
            "",
        ]
    lines += [
        "class Driver(nubo.BaseDriver):",
        f"    type = {provider!r}",
        f"    name = 'Throwaway {provider}'",
    ]
    if contract is not None:
        lines.append(f"    CONTRACT_VERSION = {contract}")
    return "\n".join(lines) + "\n"


def entry_points_text(entry_points: EntryPoints) -> str:
    """Render ``{group: {name: target}}`` as an ``entry_points.txt``.

    :param entry_points: the entry points by group.
    :returns: the file's text.
    """
    parts = []
    for group, points in entry_points.items():
        parts.append(f"[{group}]")
        parts += [f"{name} = {target}" for name, target in points.items()]
        parts.append("")
    return "\n".join(parts)


def _metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


def _write_modules(where: Path, modules: Mapping[str, str]) -> None:
    for module, source in modules.items():
        (where / f"{module}.py").write_text(textwrap.dedent(source))


def dist_info(
    site: Path,
    name: str,
    version: str,
    entry_points: EntryPoints,
    modules: Mapping[str, str] | None = None,
) -> Path:
    """Install a distribution by hand: a ``.dist-info`` and its modules.

    :param site: the directory that stands for site-packages; made if missing.
    :param name: the distribution name.
    :param version: its version.
    :param entry_points: its entry points by group.
    :param modules: module name -> source, written beside the metadata.
    :returns: the ``.dist-info`` directory.
    """
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{_wheel_name(name)}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(_metadata(name, version))
    (info / "entry_points.txt").write_text(entry_points_text(entry_points))
    (info / "RECORD").write_text("")
    _write_modules(site, modules or {})

    importlib.invalidate_caches()
    return info


def egg_info(site: Path, name: str, version: str, entry_points: EntryPoints) -> Path:
    """Leave an ``.egg-info`` directory, as an old ``setup.py develop`` would.

    :param site: the directory it goes in.
    :param name: the distribution name.
    :param version: its version.
    :param entry_points: its entry points by group.
    :returns: the ``.egg-info`` directory.
    """
    info = site / f"{_wheel_name(name)}.egg-info"
    info.mkdir(parents=True)
    (info / "PKG-INFO").write_text(_metadata(name, version))
    (info / "entry_points.txt").write_text(entry_points_text(entry_points))

    importlib.invalidate_caches()
    return info


def build_wheel(
    out: Path,
    name: str,
    version: str,
    entry_points: EntryPoints,
    modules: Mapping[str, str],
) -> Path:
    """Build a pure-Python wheel with the given modules and entry points.

    :param out: the directory the wheel is written to.
    :param name: the distribution name.
    :param version: its version.
    :param entry_points: its entry points by group.
    :param modules: module name -> source.
    :returns: the wheel file.
    """
    out.mkdir(parents=True, exist_ok=True)
    dist = _wheel_name(name)
    info = f"{dist}-{version}.dist-info"
    files = {f"{module}.py": textwrap.dedent(src) for module, src in modules.items()}
    files[f"{info}/METADATA"] = _metadata(name, version)
    files[f"{info}/entry_points.txt"] = entry_points_text(entry_points)
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: distfactory\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n"
    )

    record = [
        f"{path},{_digest(text)},{len(text.encode())}" for path, text in files.items()
    ]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"

    wheel = out / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def pip_install(wheel: Path, target: Path) -> None:
    """Install a wheel into a directory with pip, offline and without deps.

    :param wheel: the wheel file.
    :param target: the directory to install into.
    """
    if importlib.util.find_spec("pip") is None:
        require_or_skip("pip is not installed in this environment")

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    importlib.invalidate_caches()


def require_or_skip(reason: str) -> None:
    """Skip the test for a missing tool, or fail when peers are required.

    :param reason: what is missing.
    """
    if os.environ.get("NUBO_REQUIRE_PEERS"):
        pytest.fail(f"{reason} (NUBO_REQUIRE_PEERS is set)")
    pytest.skip(reason)


def forget_modules() -> None:
    """Drop every module made here from ``sys.modules``."""
    for module in [m for m in sys.modules if m.startswith(PREFIX)]:
        del sys.modules[module]


def _wheel_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

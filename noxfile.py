"""Every way to build, test, check and document nubo.

``nox -l`` lists the sessions. Each one makes its own virtualenv under ``.nox/``
and installs what it needs, so a machine with Python and pip is enough.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(p for p in (ROOT / "plugins").glob("nubo-*") if p.is_dir())

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

#: What the test suites need beyond the distributions themselves.
TEST_REQUIREMENTS = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "responses>=0.25",
    "hypothesis>=6.100",
    "trustme>=1.1",
    "build>=1.0",
    "moto[server]>=5.0",
    "botocore>=1.34",
    "asyncssh>=2.14",
]

#: Tools the peer servers need that pip cannot install; Debian package names.
SYSTEM_TOOLS = {"tinyproxy": "tinyproxy"}

#: The Prism release that mocks DigitalOcean's spec; the newest needs a newer Node.
PRISM_PACKAGE = "@stoplight/prism-cli@5.14.2"

#: Where Prism is installed, once, and reused by every run.
PRISM_DIR = ROOT / ".nox" / "prism"


def _install_project(session: nox.Session, *extras: str) -> None:
    """Install the core and every provider distribution, editable."""
    core = "." if not extras else f".[{','.join(extras)}]"
    args = ["-e", core]
    for plugin in PLUGINS:
        args += ["-e", str(plugin)]
    session.install(*args)


def _ensure_system_tools(session: nox.Session) -> None:
    """Install the peers' system tools with apt when they are missing.

    Only done as root on a Debian-like machine; elsewhere the tests that need a
    missing tool are skipped with a reason, unless ``NUBO_REQUIRE_PEERS`` is set.
    """
    missing = [pkg for tool, pkg in SYSTEM_TOOLS.items() if shutil.which(tool) is None]
    if not missing:
        return

    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        session.warn(f"not installing {', '.join(missing)}: needs root and apt-get")
        return

    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(apt, "-qq", "update", external=True, env=env)
    session.run(apt, "-qq", "install", "-y", *missing, external=True, env=env)


def _ensure_prism(session: nox.Session) -> None:
    """Install Prism with npm into ``.nox/prism`` once, when Node and npm exist.

    Without them the DigitalOcean tests that need Prism are skipped with a
    reason, unless ``NUBO_REQUIRE_PEERS`` is set.
    """
    if (PRISM_DIR / "node_modules" / ".bin" / "prism").exists():
        return

    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        session.warn(f"not installing {PRISM_PACKAGE}: needs Node and npm")
        return

    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    session.run(
        npm,
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(PRISM_DIR),
        PRISM_PACKAGE,
        external=True,
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the core's tests and every provider plugin's tests.

    Extra arguments go to pytest: ``nox -s tests -- -k retry -x``.
    """
    _ensure_system_tools(session)
    _ensure_prism(session)
    _install_project(session, "testing", "ssh")
    session.install(*TEST_REQUIREMENTS)

    paths = ["tests"] + [str(p / "tests") for p in PLUGINS if (p / "tests").is_dir()]
    args = session.posargs or paths
    session.run("pytest", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the whole tree with ruff: lint rules and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check with mypy: strict on the core, and over the plugins."""
    _install_project(session, "testing", "ssh")
    session.install("mypy>=1.10", "types-requests", "lxml-stubs", "types-paramiko")
    session.run("mypy", "core/nubo")
    for plugin in PLUGINS:
        packages = [p for p in plugin.iterdir() if (p / "__init__.py").is_file()]
        for package in packages:
            session.run("mypy", str(package))


@nox.session
def docs(session: nox.Session) -> None:
    """Build the Sphinx site with warnings as errors."""
    _install_project(session, "testing", "ssh")
    session.install("sphinx>=7", "furo>=2024.1")
    out = ROOT / "docs" / "_build" / "html"
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", str(out)
    )


@nox.session
def demo(session: nox.Session) -> None:
    """Walk an EC2 fleet through its life on moto's server, on 127.0.0.1.

    Installs the core, the EC2 provider and moto's server, then runs
    ``examples/ec2_fleet.py --moto``: the script starts the server with
    ``examples/_moto_server.py`` on a free loopback port, drives it through nubo's
    public API, and stops it on every way out (the end of the run, an error,
    Ctrl-C, SIGTERM, the interpreter's exit). Extra arguments go to the script:
    ``nox -s demo -- --size t3.small``.
    """
    session.install("-e", ".", "-e", str(ROOT / "plugins" / "nubo-ec2"))
    session.install("moto[server]>=5.0")
    session.run(
        "python", str(ROOT / "examples" / "ec2_fleet.py"), "--moto", *session.posargs
    )

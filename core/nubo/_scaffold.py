"""``nubo new-provider``: write the skeleton of a new provider plugin distribution.

The skeleton installs as it is and its tests pass at once: a driver on the
compute contract that implements no method yet (each reports itself as not
supported), a connection and a response to build on, the entry point that makes
``nubo.get_driver(NAME)`` find it, a test module that runs the conformance kit of
:mod:`nubo.testing`, and a README that says what to do next.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from pathlib import Path
from string import Template
from typing import Any, TextIO

from . import _registry
from ._version import __version__
from .errors import InvalidArgumentError

__all__ = ["HELP", "KNOWN_PROVIDERS", "configure", "core_range", "write_provider"]

log = logging.getLogger(__name__)

#: The one-line help of ``nubo new-provider``.
HELP = "write a new provider plugin distribution, ready to install and test"

#: The providers nubo knows of, installed or not: no new one may take their ids.
KNOWN_PROVIDERS = frozenset({"dummy", "ec2", "digitalocean"})

# A provider id: lower-case words of letters and digits, joined by - or _.
_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")

_PYPROJECT = Template("""\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "$dist"
version = "0.1.0"
description = "A nubo compute provider for $title."
readme = "README.md"
requires-python = ">=3.10"
classifiers = [
  "Development Status :: 2 - Pre-Alpha",
  "Programming Language :: Python :: 3",
  "Typing :: Typed",
]
# nubo's core, in the range of the core this was written with. Install that
# core first: "nubo" on PyPI is another project.
dependencies = ["$requirement"]

[project.optional-dependencies]
testing = ["nubo[testing]$range"]

# The entry point is how nubo finds the driver: nubo.get_driver("$name").
[project.entry-points."nubo.compute"]
$name = "$module:$cls"

[tool.hatch.build.targets.wheel]
packages = ["$module"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""")

_INIT = Template('''\
"""$dist: the $title compute provider for nubo.

Its driver is :class:`$cls`; find it with::

    nubo.get_driver("$name")
"""

from ._driver import ${prefix}Connection, $cls, ${prefix}Response

__all__ = ["${prefix}Connection", "$cls", "${prefix}Response"]
''')

_DRIVER = Template('''\
"""The $title provider: its driver, and the connection and response it uses.

Every method of :class:`nubo.compute.NodeDriver` that the driver does not
override raises :class:`nubo.errors.NotSupportedError`, and
``driver.supports(method)`` says so before the call. Implement them one at a
time, and claim each one in the conformance test module as you do.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from nubo import ConnectionKey, JsonResponse
from nubo.compute import NodeDriver

__all__ = ["${prefix}Connection", "$cls", "${prefix}Response"]

log = logging.getLogger(__name__)


class ${prefix}Response(JsonResponse):
    """An answer of the $title API, read as JSON.

    Override ``parse_error`` when the provider words its errors its own way.
    """


class ${prefix}Connection(ConnectionKey):
    """The connection to the $title API, which takes an API token.

    :param key: the API token.
    """

    responseCls = ${prefix}Response

    #: The API's host; a driver made with ``host=...`` talks to that one instead.
    host = "api.$name.example"

    #: The path every action is under.
    request_path = "/v1"

    def add_default_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """Send the token with every call.

        :param headers: the call's headers.
        :returns: the headers to send.
        """
        headers["Authorization"] = f"Bearer {self.key}"
        return headers


class $cls(NodeDriver):
    """The $title compute provider.

    Make it with the API token, ``$cls("token")``. ``host``,
    ``port`` and ``secure`` point it at another server, such as an emulator.
    """

    type = "$name"
    name = "$title"
    website = ""
    connectionCls = ${prefix}Connection

    #: The kinds of ``auth`` that ``create_node`` takes: "ssh_key", "password".
    features: ClassVar[dict[str, list[str]]] = {"create_node": []}
''')

_TEST = Template('''\
"""The nubo conformance kit over the $title driver.

Add each contract method to ``capabilities`` as you implement it: the kit then
checks it, and reports the methods not claimed as unsupported.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from nubo.compute import NodeDriver
from nubo.testing import ConformanceSuite

from $module import $cls


class _Handler(BaseHTTPRequestHandler):
    """Stands in for the $title API: make it answer as the API does."""

    def do_GET(self) -> None:
        body = json.dumps({"message": "not implemented"}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def api_port() -> Iterator[int]:
    """A server on 127.0.0.1, on a free port, for the module's tests."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


class Test${prefix}Conformance(ConformanceSuite):
    #: The contract methods the driver implements, such as "list_sizes".
    capabilities: ClassVar[set[str]] = set()

    @pytest.fixture(autouse=True)
    def _server(self, api_port: int) -> None:
        self.port = api_port

    def make_driver(self) -> NodeDriver:
        # Tests talk to the server above, or replay a recording
        # (nubo.testing.replay); never to the real API.
        return $cls("test-token", secure=False, host="127.0.0.1", port=self.port)
''')

_README = Template("""\
# $dist

A [nubo](https://nubo.readthedocs.io/) compute provider for $title.

```python
import nubo

Driver = nubo.get_driver("$name")
driver = Driver("your-api-token")
print(driver.supports("list_nodes"))
```

## Develop

Install nubo's core first, from its checkout (`nubo` on PyPI is another
project), then this distribution:

```console
$$ pip install -e "path/to/nubo[testing]"
$$ pip install -e ".[testing]"
$$ pytest
```

The tests run nubo's conformance kit (`tests/test_${module}_conformance.py`). Every
method of `nubo.compute.NodeDriver` the driver does not implement is reported
as unsupported. Implement a method in `$module/_driver.py`, add its name to
`capabilities` in the test module, and the kit checks that it keeps the
contract.

## Publish

```console
$$ pip install build twine
$$ python -m build
$$ python -m twine upload dist/*
```
""")


def names(name: str) -> dict[str, str]:
    """Work out every name a provider distribution needs from its provider id.

    :param name: the provider id, such as ``"acme"`` or ``"acme-cloud"``.
    :returns: ``requirement`` (the core, ``nubo>=0.1,<0.2``), ``range`` (that
        range alone), ``name``, ``dist`` (``nubo-acme-cloud``), ``module``
        (``nubo_acme_cloud``), ``prefix`` (``AcmeCloud``), ``cls``
        (``AcmeCloudNodeDriver``) and ``title`` (``Acme Cloud``).
    :raises InvalidArgumentError: when the id is not lower-case words of letters
        and digits joined by ``-`` or ``_``.
    """
    if not _NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"{name!r} cannot be a provider id: use lower-case letters and digits, "
            "starting with a letter, in words joined by - or _ (such as acme-cloud)",
            argument="name",
        )

    words = re.split(r"[-_]", name)
    prefix = "".join(word.capitalize() for word in words)
    supported = core_range()
    return {
        "requirement": f"nubo{supported}",
        "range": supported,
        "name": name,
        "dist": "nubo-" + "-".join(words),
        "module": "nubo_" + "_".join(words),
        "prefix": prefix,
        "cls": f"{prefix}NodeDriver",
        "title": " ".join(word.capitalize() for word in words),
    }


def core_range(version: str = __version__) -> str:
    """Return the range of nubo cores compatible with one, as a requirement.

    :param version: the core's version; the running core's when not given.
    :returns: ``">=0.1,<0.2"`` for ``0.1.0``: the same minor version.
    """
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None:
        return f"=={version}"
    major, minor = int(found[1]), int(found[2])
    # A pre-release of X.Y is older than X.Y itself: let it satisfy the range.
    low = f"{major}.{minor}"
    if re.search(r"(a|b|rc|dev)\d*", version[found.end() :]):
        low += ".dev0"
    return f">={low},<{major}.{minor + 1}"


def _check_unclaimed(name: str) -> None:
    """Refuse a provider id that nubo knows of, or that an installed one has."""
    wanted = name.replace("_", "-")
    known = {known.replace("_", "-") for known in KNOWN_PROVIDERS}
    installed = {
        record.name.replace("_", "-"): record.distribution
        for record in _registry.providers("compute")
    }
    if wanted in installed:
        owner = installed[wanted] or "a run-time registration"
        where = f"the installed provider from {owner}"
    elif wanted in known:
        where = "a provider nubo knows of"
    else:
        return
    raise InvalidArgumentError(
        f"{name!r} is already the id of {where}; a plugin with that id would "
        "clash with it, so pick another id, such as "
        f"{name}-mine (nothing was written)",
        argument="name",
    )


def write_provider(name: str, directory: str | os.PathLike[str] = ".") -> Path:
    """Write a new provider plugin distribution, ``nubo-NAME``, in a directory.

    :param name: the provider id, as users will give it to ``nubo.get_driver``.
    :param directory: the directory to make ``nubo-NAME`` in.
    :returns: the distribution's directory.
    :raises InvalidArgumentError: for a bad id, an id that an installed or a
        known provider has, or when ``nubo-NAME`` already exists there (nothing
        is overwritten).
    """
    values = names(name)
    _check_unclaimed(name)
    root = Path(directory) / values["dist"]
    if root.exists():
        raise InvalidArgumentError(
            f"{root} already exists; pick another --dir, or remove it first "
            "(nothing was written)",
            argument="directory",
        )

    module = values["module"]
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"{module}/__init__.py": _INIT,
        f"{module}/_driver.py": _DRIVER,
        f"tests/test_{module}_conformance.py": _TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.substitute(values), encoding="utf-8")
    (root / module / "py.typed").write_text("", encoding="utf-8")

    log.debug("wrote the %s provider distribution in %s", name, root)
    return root


def configure(parser: argparse.ArgumentParser) -> None:
    """Set up the parser of ``nubo new-provider``.

    :param parser: the subcommand's parser, made by the ``nubo`` command line.
    """
    parser.description = (
        "Write nubo-NAME, a provider plugin distribution: a driver skeleton on "
        "the compute contract, its entry point, a test module that runs the "
        "conformance kit, and a README. It installs with 'pip install -e' and its "
        "tests pass at once."
    )
    parser.add_argument("name", metavar="NAME", help="the provider id, such as acme")
    parser.add_argument(
        "--dir",
        default=".",
        metavar="PATH",
        help="the directory to write nubo-NAME in (default: the current one)",
    )
    parser.set_defaults(command=_run)


def _run(args: argparse.Namespace, out: TextIO) -> int:
    root = write_provider(args.name, args.dir)
    values: dict[str, Any] = names(args.name)

    out.write(f"Wrote {root}\n")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        out.write(f"  {path.relative_to(root)}\n")
    out.write(
        "\nNext, with nubo's core installed from its checkout:\n"
        f'  pip install -e "{root}[testing]"\n'
        f"  pytest {root / 'tests'}\n"
        f"Then implement the driver in {root / values['module'] / '_driver.py'}.\n"
    )
    return 0

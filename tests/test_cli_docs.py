"""The dummy commands on the command line's page run, and print what it shows."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nubo_dummy")

PAGE = Path(__file__).parent.parent / "docs" / "cli.rst"

# Node ids are random in each run; the rest of the dummy's output is not.
_NODE_ID = re.compile(r"node-[0-9a-f]{12}")

# Lines the page shows from stderr, which a run with pipes leaves quiet.
_PROGRESS = ("waiting for ", " ready: ")


def dummy_commands() -> list[tuple[str, list[str]]]:
    """Every ``$ nubo -p dummy ...`` line of the page, with the lines shown."""
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for raw in PAGE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("$ "):
            current = None
            if line.startswith("$ nubo -p dummy "):
                current = []
                found.append((line[2:], current))
        elif current is not None and line and not raw.startswith(".."):
            if not any(mark in line for mark in _PROGRESS):
                current.append(raw[3:])
        elif not line:
            current = None
    return found


def test_the_page_shows_a_dummy_session() -> None:
    commands = [command for command, _ in dummy_commands()]

    assert len(commands) >= 4
    assert any("nodes create" in command for command in commands)


@pytest.mark.parametrize(("command", "shown"), dummy_commands())
def test_each_dummy_command_prints_what_the_page_shows(
    command: str, shown: list[str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUBO_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    args = shlex.split(command)[1:]
    if "--wait" in args:
        args += ["--interval", "0.1"]

    result = subprocess.run(
        [sys.executable, "-m", "nubo._cli", "-o", "table", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    expected = [line.rstrip() for line in shown]
    assert [_NODE_ID.sub("node-ID", line) for line in printed] == [
        _NODE_ID.sub("node-ID", line) for line in expected
    ]

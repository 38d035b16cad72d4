"""The deployment guide's examples run as written: against the dummy provider
and a local asyncssh server."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_deploy_sshd import User, make_client_key, running_sshd

pytestmark = [pytest.mark.peer, pytest.mark.timeout(120)]

GUIDE = Path(__file__).parent.parent / "docs" / "deployment.rst"


def python_blocks(text: str) -> list[str]:
    """Every ``.. code-block:: python`` of a reStructuredText page, dedented."""
    blocks: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != ".. code-block:: python":
            index += 1
            continue

        index += 1
        body: list[str] = []
        while index < len(lines) and (
            not lines[index].strip() or lines[index].startswith("   ")
        ):
            body.append(lines[index][3:])
            index += 1
        blocks.append("\n".join(body).strip() + "\n")
    return blocks


def test_the_guide_has_its_examples() -> None:
    blocks = python_blocks(GUIDE.read_text(encoding="utf-8"))

    assert len(blocks) == 3
    assert all("deploy_node(" in block for block in blocks)


def test_every_example_in_the_deployment_guide_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    key = make_client_key(work, "id_deploy")
    (work / "app.conf").write_text("port = 8080\n")
    monkeypatch.chdir(work)
    blocks = python_blocks(GUIDE.read_text(encoding="utf-8"))

    with running_sshd(home, {"root": User(keys=[key.public])}) as server:
        (work / "known_hosts").write_text(server.known_hosts_line())
        namespace = {"ssh_port": server.port, "key_file": str(key.path)}
        for number, block in enumerate(blocks, 1):
            code = compile(block, f"{GUIDE.name}, example {number}", "exec")
            exec(code, namespace)

    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "configured for production: port = 8080",
        server.fingerprint,
        "script 'fail.sh' 3",
        "terminated",
    ]
    assert (home / "app.conf").read_text() == "port = 8080\n"
    assert not (home / "setup.sh").exists()
    assert namespace["checked"].extra["ssh_host_key_fingerprint"] == server.fingerprint

"""What the command line tells about the dummy provider's short-lived cloud.

Each ``nubo -p dummy`` command makes a new in-memory cloud, so an id from an
earlier command is unknown, and no later command can wait for or destroy what
this one made. The runs are in process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nubo import _cli

pytest.importorskip("nubo_dummy")

CREATE = ("nodes", "create", "web-1", "--size", "d1.small", "--image")


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NUBO_CONFIG", raising=False)
    monkeypatch.delenv("NUBO_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def failure(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = _cli.main(["-p", "dummy", "-o", "json", *args])
    return status, " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    "args",
    [
        ("nodes", "show", "node-0123456789ab"),
        ("nodes", "reboot", "node-0123456789ab"),
        ("volumes", "destroy", "vol-0123456789ab"),
        (*CREATE, "img-0123456789ab"),
    ],
)
def test_an_unknown_id_says_each_command_has_a_new_cloud(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    status, err = failure(capsys, *args)

    assert status in (1, 2)
    assert "starts with an empty in-memory cloud" in err
    assert "earlier command do not exist in this one" in err


def test_a_wait_that_times_out_suggests_no_later_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, err = failure(
        capsys,
        *("--driver-arg", "ex_boot_delay=3600"),
        *(*CREATE, "img-debian-12", "--wait", "--timeout", "0.2"),
        *("--interval", "0.05"),
    )

    assert status == 1
    assert "not running with an address after 0.2 s" in err
    assert "in-memory cloud and are gone with it" in err
    assert "nodes wait" not in err
    assert "nodes destroy" not in err


def test_a_failed_node_says_it_is_in_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, err = failure(
        capsys, *CREATE, "img-debian-12", "--wait", "--ex", "ex_fail=true"
    )

    assert status == 1
    assert "is in error and will not run" in err

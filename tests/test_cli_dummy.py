"""The ``nubo`` console script end to end, in a subprocess, on the dummy provider.

Every run is a fresh process with a fresh in-memory cloud, so a test that needs
a resource makes it in the same run, or reads what the run printed. Each run
gets an environment with no nubo, AWS or DigitalOcean settings and a home
directory of its own, so nothing of the machine's configuration is read.
"""

from __future__ import annotations

import json
import os
import pty
import selectors
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nubo_dummy")

NUBO_SCRIPT = Path(sys.executable).with_name("nubo")

# A secret that must never show: it is handed to the dummy, which ignores it.
SECRET = "dummy-secret-Qw8rT5yU"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment without the machine's cloud settings, homed in ``home``."""
    dropped = ("NUBO_", "AWS_", "DIGITALOCEAN_", "XDG_CONFIG_HOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env["HOME"] = str(home)
    env.update(extra)
    return env


def nubo(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nubo._cli ARGS`` with pipes for stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "nubo._cli", *args],
        env=env if env is not None else clean_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def only_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- out of the box -----------------------------------------------------------------


def test_nodes_list_works_with_no_configuration(home: Path) -> None:
    assert NUBO_SCRIPT.exists(), "the nubo console script is not installed"

    result = subprocess.run(
        [str(NUBO_SCRIPT), "-p", "dummy", "nodes", "list"],
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert result.stderr == ""


def test_piped_output_is_json_that_parses(home: Path) -> None:
    sizes = only_json(nubo(home, "-p", "dummy", "sizes", "list"))
    locations = only_json(nubo(home, "-p", "dummy", "locations", "list"))
    images = only_json(nubo(home, "-p", "dummy", "images", "list"))

    small = next(s for s in sizes if s["id"] == "d1.small")
    assert small["ram"] == 2048
    assert small["disk"] == 50
    assert small["provider"] == "dummy"
    assert {"ams1", "fra1"} <= {loc["id"] for loc in locations}
    assert next(loc for loc in locations if loc["id"] == "fra1")["country"] == "DE"
    assert "img-debian-12" in {image["id"] for image in images}


def test_options_may_follow_the_verb(home: Path) -> None:
    before = only_json(nubo(home, "-p", "dummy", "locations", "list"))
    after = only_json(nubo(home, "locations", "list", "-p", "dummy", "-o", "json"))

    assert before == after


def test_table_output_on_request(home: Path) -> None:
    result = nubo(home, "-p", "dummy", "sizes", "list", "--output", "table")

    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "RAM"]
    assert any(row.split()[0] == "d1.small" for row in rows)
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_show_as_table_lists_fields_and_extras(home: Path) -> None:
    result = nubo(home, "-p", "dummy", "-o", "table", "images", "show", "img-debian-12")

    assert result.returncode == 0, result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert fields["id"] == "img-debian-12"
    assert fields["extra.distribution"] == "debian"


# -- making things ------------------------------------------------------------------


def test_create_prints_the_new_nodes(home: Path) -> None:
    result = nubo(
        home,
        *("-p", "dummy", "nodes", "create", "web-1", "web-2"),
        *("--size", "d1.small", "--image", "img-debian-12", "--location", "fra1"),
    )

    nodes = only_json(result)
    assert [node["name"] for node in nodes] == ["web-1", "web-2"]
    assert len({node["id"] for node in nodes}) == 2
    for node in nodes:
        assert node["state"] == "pending"
        assert node["size_id"] == "d1.small"
        assert node["image_id"] == "img-debian-12"
        assert node["extra"]["location"] == "fra1"


def test_create_and_wait_ends_running_and_is_quiet_when_piped(home: Path) -> None:
    result = nubo(
        home,
        *("-p", "dummy", "nodes", "create", "web-1", "--wait", "--interval", "0.1"),
        *("--size", "d1.small", "--image", "img-debian-12"),
    )

    [node] = only_json(result)
    assert node["state"] == "running"
    assert node["public_ips"]
    assert result.stderr == ""


def test_create_passes_provider_extras(home: Path) -> None:
    result = nubo(
        home,
        *("-p", "dummy", "nodes", "create", "db-1", "--ex", "ex_public_ip=false"),
        *("--size", "d1.small", "--image", "img-debian-12", "--wait"),
        *("--interval", "0.1", "--timeout", "1"),
    )

    # A node with no public address never counts as reachable: the wait runs out.
    assert result.returncode == 1
    assert "not running with an address" in result.stderr
    [node] = json.loads(result.stdout)
    assert node["name"] == "db-1"
    assert "in-memory cloud and are gone with it" in result.stderr
    assert "nodes destroy" not in result.stderr


def test_keys_create_saves_the_private_key_and_never_prints_it(home: Path) -> None:
    target = home / "deploy.pem"

    result = nubo(
        home,
        "-p",
        "dummy",
        "keys",
        "create",
        "deploy",
        "--private-key-file",
        "deploy.pem",
    )

    record = only_json(result)
    private = target.read_text()
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert record["name"] == "deploy"
    assert record["private_key_file"] == str(target)
    assert record["public_key"].startswith("ssh-ed25519 ")
    body = private.splitlines()[1]
    assert body not in result.stdout
    assert body not in result.stderr

    # The public half goes to another cloud: import it there.
    pub = home / "deploy.pub"
    pub.write_text(record["public_key"] + "\n")
    imported = only_json(
        nubo(
            home,
            "-p",
            "dummy",
            "keys",
            "import",
            "laptop",
            "--public-key-file",
            str(pub),
        )
    )
    assert imported["fingerprint"] == record["fingerprint"]


def test_keys_create_refuses_to_overwrite_a_file(home: Path) -> None:
    target = home / "deploy.pem"
    target.write_text("keep me\n")

    result = nubo(
        home,
        "-p",
        "dummy",
        "keys",
        "create",
        "deploy",
        "--private-key-file",
        str(target),
    )

    assert result.returncode == 2
    assert "exists" in result.stderr
    assert target.read_text() == "keep me\n"


# -- exit codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("-p", "dummy", "nodes"),
        ("-p", "dummy", "nodes", "fly"),
        ("-p", "dummy", "nodes", "create", "web-1", "--image", "img-debian-12"),
        ("-p", "dummy", "volumes", "create", "data", "--size", "lots"),
        ("-p", "dummy", "--output", "yaml", "nodes", "list"),
        (
            "-p",
            "dummy",
            "nodes",
            "create",
            "x",
            "--size",
            "s",
            "--image",
            "i",
            "--ex",
            "k=v",
        ),
        ("-p", "dummy", "--endpoint", "ftp://127.0.0.1", "nodes", "list"),
        ("-p", "dummy", "--region", "mars1", "nodes", "list"),
        ("-p", "nosuchprovider", "nodes", "list"),
        ("nodes", "list"),
    ],
)
def test_bad_usage_exits_2(home: Path, args: tuple[str, ...]) -> None:
    result = nubo(home, *args)

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_no_provider_says_which_are_installed(home: Path) -> None:
    result = nubo(home, "nodes", "list")

    assert result.returncode == 2
    assert "-p PROVIDER" in result.stderr
    assert "dummy" in result.stderr


def test_provider_error_exits_1_with_one_line_and_no_traceback(home: Path) -> None:
    result = nubo(home, "-p", "dummy", "nodes", "show", "node-nope")

    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("nubo: error: ")
    assert "node-nope" in line
    assert "list" in line


def test_debug_shows_the_traceback(home: Path) -> None:
    result = nubo(home, "-p", "dummy", "--debug", "nodes", "show", "node-nope")

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "NotFoundError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("nubo: error: ")


def test_secrets_never_show_even_with_debug(home: Path) -> None:
    env = clean_env(home, NUBO_DUMMY_KEY="dummy-key-Zx1Cv2", NUBO_DUMMY_SECRET=SECRET)

    ok = nubo(home, "-p", "dummy", "--debug", "nodes", "list", env=env)
    failed = nubo(home, "-p", "dummy", "--debug", "images", "show", "x", env=env)

    assert ok.returncode == 0, ok.stderr
    assert failed.returncode == 1
    assert "environment variable NUBO_DUMMY_SECRET" in ok.stderr
    for result in (ok, failed):
        for text in (result.stdout, result.stderr):
            assert SECRET not in text
            assert "dummy-key-Zx1Cv2" not in text


# -- config files -------------------------------------------------------------------


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_profile_in_the_default_config_file_names_the_provider(home: Path) -> None:
    write_config(
        home / ".config" / "nubo" / "config.toml",
        f'[profiles.play]\nprovider = "dummy"\nregion = "sgp1"\nsecret = "{SECRET}"\n',
    )

    result = nubo(
        home,
        "--profile",
        "play",
        "--debug",
        "nodes",
        "create",
        "a",
        "--size",
        "d1.small",
        "--image",
        "img-debian-12",
    )

    [node] = only_json(result)
    assert node["extra"]["location"] == "sgp1"
    assert "region from profile 'play'" in result.stderr
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_config_file_others_can_read_is_refused(home: Path, mode: int) -> None:
    config = write_config(
        home / "nubo.toml",
        f'[profiles.play]\nprovider = "dummy"\nsecret = "{SECRET}"\n',
        mode,
    )
    env = clean_env(home, NUBO_CONFIG=str(config))

    result = nubo(home, "--profile", "play", "nodes", "list", env=env)

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"chmod 600 {config}" in result.stderr
    assert SECRET not in result.stderr


def test_the_default_config_file_is_checked_even_without_a_profile(home: Path) -> None:
    config = write_config(
        home / ".config" / "nubo" / "config.toml",
        '[profiles.default]\nprovider = "dummy"\n',
        0o644,
    )

    result = nubo(home, "-p", "dummy", "nodes", "list")

    assert result.returncode == 2
    assert f"chmod 600 {config}" in result.stderr


def test_a_missing_profile_is_bad_usage(home: Path) -> None:
    write_config(
        home / ".config" / "nubo" / "config.toml", '[profiles.a]\nprovider = "dummy"\n'
    )

    result = nubo(home, "--profile", "b", "nodes", "list")

    assert result.returncode == 2
    assert "no profile 'b'" in result.stderr
    assert "profiles: a" in result.stderr


# -- terminals ----------------------------------------------------------------------


def run_on_terminals(home: Path, *args: str) -> tuple[int, str, str]:
    """Run nubo with stdout and stderr each on a terminal of its own."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "nubo._cli", *args],
        env=clean_env(home, COLUMNS="200"),
        stdin=subprocess.DEVNULL,
        stdout=out_slave,
        stderr=err_slave,
        cwd=home,
    )
    os.close(out_slave)
    os.close(err_slave)

    chunks: dict[int, list[bytes]] = {out_master: [], err_master: []}
    selector = selectors.DefaultSelector()
    for fd in chunks:
        selector.register(fd, selectors.EVENT_READ)
    open_fds = set(chunks)
    while open_fds:
        for key, _ in selector.select(timeout=120):
            fd = int(key.fd)
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                selector.unregister(fd)
                open_fds.discard(fd)
    status = process.wait(timeout=120)
    for fd in chunks:
        os.close(fd)

    def text(fd: int) -> str:
        return b"".join(chunks[fd]).decode().replace("\r\n", "\n")

    return status, text(out_master), text(err_master)


def test_a_terminal_gets_a_table_and_the_progress_of_a_wait(home: Path) -> None:
    status, out, err = run_on_terminals(
        home,
        *("-p", "dummy", "nodes", "create", "web-1", "web-2", "--wait"),
        *("--interval", "0.1", "--size", "d1.small", "--image", "img-debian-12"),
    )

    assert status == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "STATE"]
    assert [row.split()[1:3] for row in rows] == [
        ["web-1", "running"],
        ["web-2", "running"],
    ]
    # The progress line names each node with its state, and the time waited.
    assert "waiting for 2 node(s) to run" in err
    assert "web-1 pending" in err
    assert "2/2 ready: web-1 running, web-2 running" in err
    assert " s  " in err


# -- Ctrl-C -------------------------------------------------------------------------


def test_ctrl_c_while_waiting_exits_130_and_says_what_was_left(home: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "nubo._cli", "-p", "dummy", "--debug"),
            *("--driver-arg", "ex_boot_delay=3600"),
            *("nodes", "create", "web-1", "--wait", "--interval", "0.2"),
            *("--size", "d1.small", "--image", "img-debian-12"),
        ],
        env=clean_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C must reach it even when this test runs with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "wait round" in line:
            break
    else:
        pytest.fail("the wait never started: " + "".join(seen))

    process.send_signal(signal.SIGINT)
    out, rest = process.communicate(timeout=120)
    err = "".join(seen) + rest

    assert process.returncode == 130, err
    [node] = json.loads(out)
    assert node["state"] == "pending"
    assert "interrupted while waiting" in err
    # A later command starts a new in-memory cloud: none is suggested.
    assert "in-memory cloud and are gone with it" in err
    assert f"nodes wait {node['id']}" not in err
    assert "Traceback" not in err

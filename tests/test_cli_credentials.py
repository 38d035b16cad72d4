"""Credentials, endpoints and refusals of the ``nubo`` command line, end to end.

A throwaway provider distribution, made on ``PYTHONPATH`` for each test, stands
in for a real cloud: its driver needs a key and a secret, offers ``list_nodes``
only, and reports what it was given through a digest of its credentials, never
the credentials themselves. It also logs its secret at DEBUG, as a careless
driver might, to show that the command line keeps it off the terminal anyway.
Each call it receives is written to a file, so a test can see that nothing was
called.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import distfactory
import pytest

KEY = "probe-key-A1b2C3d4"
SECRET = "probe-secret-E5f6G7h8"
TOKEN = "probe-token-I9j0K1l2"

DRIVER = '''
"""A provider for the command line's tests: it reports what it was given."""
import hashlib
import logging
import os

from nubo.compute import Node, NodeDriver
from nubo.errors import InvalidCredsError

log = logging.getLogger("nubo.testprobe")


def record(what):
    with open(os.environ["PROBE_CALLS"], "a") as calls:
        calls.write(what + "\\n")


class Driver(NodeDriver):
    type = "PROVIDER"
    name = "Probe"

    def __init__(self, key, secret, secure=True, host=None, port=None,
                 api_version=None, region=None, **kwargs):
        record("init")
        super().__init__(key, secret, secure=secure, host=host, port=port,
                         api_version=api_version, region=region, **kwargs)
        self.token = kwargs.get("token")
        self.ex = {k: v for k, v in kwargs.items() if k.startswith("ex_")}
        # Careless on purpose: the command line must keep this off the screen.
        log.debug("probe made with key %s, secret %s, token %s", key, secret,
                  self.token)

    def list_nodes(self):
        record("list_nodes")
        if self.secret == "refused-secret-value":
            raise InvalidCredsError(
                "the probe refused the credentials", status=401, provider=self.type
            )
        text = f"{self.key}|{self.secret}|{self.token}"
        extra = {
            "digest": hashlib.sha256(text.encode()).hexdigest(),
            "host": self.host,
            "port": self.port,
            "secure": self.secure,
            "region": self.region,
            "ex": self.ex,
            "admin_password": self.secret,
            "echo": "secret is " + str(self.secret),
        }
        return [Node("probe-1", "probe", "running", [], [], self, extra=extra)]
'''


def digest(key: str | None, secret: str | None, token: str | None = None) -> str:
    return hashlib.sha256(f"{key}|{secret}|{token}".encode()).hexdigest()


class Probe:
    """The throwaway provider, and a way to run nubo against it."""

    def __init__(self, root: Path) -> None:
        self.site = root / "site"
        self.home = root / "home"
        self.home.mkdir()
        self.calls = root / "calls.txt"
        self.calls.write_text("")
        self.provider = distfactory.fresh_name("cli_probe").replace("_", "-")
        module = self.provider.replace("-", "_")
        distfactory.dist_info(
            self.site,
            "nubotest-cli-probe",
            "1.0",
            {"nubo.compute": {self.provider: f"{module}:Driver"}},
            {module: DRIVER.replace("PROVIDER", self.provider)},
        )
        self.prefix = "NUBO_" + module.upper() + "_"

    def env(self, **extra: str) -> dict[str, str]:
        dropped = ("NUBO_", "AWS_", "DIGITALOCEAN_", "XDG_CONFIG_HOME")
        env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
        env.update(
            HOME=str(self.home), PYTHONPATH=str(self.site), PROBE_CALLS=str(self.calls)
        )
        env.update(extra)
        return env

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "nubo._cli", "-p", self.provider, *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        for text in (result.stdout, result.stderr):
            for secret in (KEY, SECRET, TOKEN, "refused-secret-value"):
                assert secret not in text, f"{secret} shown: {text}"
        return result

    def node(self, *args: str, **env: str) -> dict[str, Any]:
        result = self.run("nodes", "list", *args, **env)
        assert result.returncode == 0, result.stderr
        [node] = json.loads(result.stdout)
        return dict(node)

    def config(self, text: str, mode: int = 0o600) -> Path:
        path = self.home / ".config" / "nubo" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("PROVIDER", self.provider))
        path.chmod(mode)
        return path


@pytest.fixture
def probe(tmp_path: Path) -> Probe:
    return Probe(tmp_path)


def test_credentials_from_nubo_environment_variables(probe: Probe) -> None:
    env = {
        f"{probe.prefix}KEY": KEY,
        f"{probe.prefix}SECRET": SECRET,
        f"{probe.prefix}TOKEN": TOKEN,
    }

    node = probe.node(**env)

    assert node["extra"]["digest"] == digest(KEY, SECRET, TOKEN)


def test_credentials_and_settings_from_a_profile(probe: Probe) -> None:
    probe.config(
        "[profiles.work]\n"
        'provider = "PROVIDER"\n'
        f'key = "{KEY}"\nsecret = "{SECRET}"\n'
        'region = "north-1"\nendpoint = "https://127.0.0.1:8443"\n'
    )

    result = probe.run("--profile", "work", "--debug", "nodes", "list")

    assert result.returncode == 0, result.stderr
    [node] = json.loads(result.stdout)
    assert node["extra"]["digest"] == digest(KEY, SECRET)
    assert node["extra"]["region"] == "north-1"
    assert (node["extra"]["host"], node["extra"]["port"]) == ("127.0.0.1", 8443)
    assert node["extra"]["secure"] is True
    assert "credentials from profile 'work'" in result.stderr


def test_an_explicit_profile_wins_over_the_environment(probe: Probe) -> None:
    probe.config(f'[profiles.work]\nkey = "{KEY}"\nsecret = "{SECRET}"\n')
    env = {f"{probe.prefix}KEY": "env-key-Zz9", f"{probe.prefix}SECRET": "env-sec-Yy8"}

    from_profile = probe.node("--profile", "work", **env)
    from_env = probe.node(**env)

    assert from_profile["extra"]["digest"] == digest(KEY, SECRET)
    assert from_env["extra"]["digest"] == digest("env-key-Zz9", "env-sec-Yy8")


def test_the_default_profile_fills_in_when_nothing_else_does(probe: Probe) -> None:
    probe.config(f'[profiles.default]\nkey = "{KEY}"\nsecret = "{SECRET}"\n')

    assert probe.node()["extra"]["digest"] == digest(KEY, SECRET)


def test_the_command_line_region_and_endpoint_win(probe: Probe) -> None:
    probe.config(
        f'[profiles.default]\nkey = "{KEY}"\nsecret = "{SECRET}"\n'
        'region = "north-1"\nendpoint = "https://127.0.0.1:8443"\n'
    )

    node = probe.node("--region", "south-2", "--endpoint", "http://127.0.0.1")

    extra = node["extra"]
    assert (extra["region"], extra["host"], extra["port"], extra["secure"]) == (
        "south-2",
        "127.0.0.1",
        80,
        False,
    )


def test_driver_args_reach_the_driver(probe: Probe) -> None:
    env = {f"{probe.prefix}KEY": KEY, f"{probe.prefix}SECRET": SECRET}

    node = probe.node(
        "--driver-arg", "ex_retries=3", "--driver-arg", "ex_label=blue", **env
    )

    assert node["extra"]["ex"] == {"ex_retries": 3, "ex_label": "blue"}


def test_missing_credentials_are_bad_usage_and_nothing_is_called(probe: Probe) -> None:
    result = probe.run("nodes", "list")

    assert result.returncode == 2
    assert f"set {probe.prefix}KEY and {probe.prefix}SECRET" in result.stderr
    assert "--profile" in result.stderr
    assert probe.calls.read_text() == ""


def test_an_unsupported_verb_is_refused_before_any_call(probe: Probe) -> None:
    env = {f"{probe.prefix}KEY": KEY, f"{probe.prefix}SECRET": SECRET}

    results = [
        probe.run("nodes", "reboot", "probe-1", **env),
        probe.run("volumes", "list", **env),
        probe.run("keys", "create", "k", "--private-key-file", "k.pem", **env),
    ]

    for result in results:
        assert result.returncode == 2
        assert f"the {probe.provider} provider does not support" in result.stderr
        assert "nothing was sent" in result.stderr
    assert "`nodes reboot`" in results[0].stderr
    assert "reboot_node()" in results[0].stderr
    assert "It supports: nodes list" in results[0].stderr
    assert "It supports: none of them" in results[1].stderr
    assert probe.calls.read_text() == ""
    assert not (probe.home / "k.pem").exists()


def test_refused_credentials_exit_1_and_say_where_they_came_from(probe: Probe) -> None:
    env = {f"{probe.prefix}KEY": KEY, f"{probe.prefix}SECRET": "refused-secret-value"}

    result = probe.run("nodes", "list", **env)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "the probe refused the credentials" in line
    assert f"environment variable {probe.prefix}KEY" in line
    assert f"environment variable {probe.prefix}SECRET" in line


def test_debug_logs_are_scrubbed_and_secret_extras_left_out(probe: Probe) -> None:
    env = {
        f"{probe.prefix}KEY": KEY,
        f"{probe.prefix}SECRET": SECRET,
        f"{probe.prefix}TOKEN": TOKEN,
    }

    result = probe.run("--debug", "nodes", "list", **env)

    assert result.returncode == 0, result.stderr
    # The careless driver's record is there, with every credential starred out
    # (Probe.run checks that none of them shows anywhere).
    assert "probe made with key ***, secret ***, token ***" in result.stderr
    [node] = json.loads(result.stdout)
    assert "admin_password" not in node["extra"]
    assert node["extra"]["echo"] == "secret is ***"


def test_a_profile_for_another_provider_is_refused(probe: Probe) -> None:
    probe.config('[profiles.work]\nprovider = "dummy"\n')

    result = probe.run("--profile", "work", "nodes", "list")

    assert result.returncode == 2
    assert "profile 'work' is for the dummy provider" in result.stderr
    assert probe.calls.read_text() == ""


def test_a_loose_config_file_is_refused_before_the_driver_is_made(probe: Probe) -> None:
    path = probe.config(
        f'[profiles.default]\nkey = "{KEY}"\nsecret = "{SECRET}"\n', 0o644
    )

    result = probe.run("nodes", "list")

    assert result.returncode == 2
    assert f"chmod 600 {path}" in result.stderr
    assert probe.calls.read_text() == ""

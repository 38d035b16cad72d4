"""What the command line says when the EC2 or DigitalOcean credentials are missing.

The runs are in process and stop before any driver is made, so nothing is sent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nubo import _cli


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("NUBO_", "AWS_", "DIGITALOCEAN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def refusal(capsys: pytest.CaptureFixture[str], provider: str) -> str:
    status = _cli.main(["-p", provider, "nodes", "list"])

    out, err = capsys.readouterr()
    assert status == 2, err
    assert out == ""
    assert "get_driver(" not in err
    return " ".join(err.split())


def test_ec2_with_a_key_alone_names_the_secret_variables(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nubo_ec2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY12")

    text = refusal(capsys, "ec2")

    assert "needs a secret access key" in text
    assert "came from environment variable AWS_ACCESS_KEY_ID" in text
    assert "set AWS_SECRET_ACCESS_KEY" in text
    assert "NUBO_EC2_SECRET" in text
    assert "secret (the secret access key) in a profile" in text
    assert "AKIAEXAMPLEKEY12" not in text


def test_ec2_with_nothing_names_both_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("nubo_ec2")

    text = refusal(capsys, "ec2")

    assert "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in text
    assert "(or NUBO_EC2_KEY and NUBO_EC2_SECRET)" in text


def test_digitalocean_asks_for_one_token(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("nubo_digitalocean")

    text = refusal(capsys, "digitalocean")

    assert "needs a token" in text
    assert "set DIGITALOCEAN_TOKEN (or NUBO_DIGITALOCEAN_KEY)" in text
    assert "SECRET" not in text

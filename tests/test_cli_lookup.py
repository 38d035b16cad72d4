"""``nubo nodes create`` checks the ids it is given before it makes anything.

The runs are in process, on the dummy provider, whose sizes, images and
locations are a fixed catalog.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nubo import _cli

pytest.importorskip("nubo_dummy")


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NUBO_CONFIG", raising=False)
    monkeypatch.delenv("NUBO_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def create(*options: str) -> list[str]:
    return ["-p", "dummy", "nodes", "create", "web-1", *options]


def test_a_mistyped_size_is_bad_usage_with_a_guess(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = _cli.main(create("--size", "d1.smal", "--image", "img-debian-12"))

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "no size 'd1.smal'" in err
    assert "did you mean 'd1.small'" in err
    assert "no node was created" in err
    assert "sizes list" in err


def test_a_mistyped_location_is_bad_usage_with_a_guess(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ("--size", "d1.small", "--image", "img-debian-12", "--location", "ams2")
    status = _cli.main(create(*options))

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "no location 'ams2' (did you mean 'ams1'?)" in err
    assert "locations list" in err


def test_an_unknown_image_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status = _cli.main(create("--size", "d1.small", "--image", "img-nope"))

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "no image 'img-nope'" in err
    assert "images list" in err


def test_nothing_far_off_is_guessed(capsys: pytest.CaptureFixture[str]) -> None:
    status = _cli.main(create("--size", "zzzzzzzz", "--image", "img-debian-12"))

    err = capsys.readouterr().err
    assert status == 2
    assert "no size 'zzzzzzzz';" in err
    assert "did you mean" not in err


def test_a_provider_error_before_any_node_prints_no_empty_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ("--size", "d1.small", "--image", "img-debian-12")
    status = _cli.main(create(*options, "--ex", "ex_key_name=nokey"))

    out, err = capsys.readouterr()
    assert status == 1
    assert out == ""
    assert "nokey" in err


def test_an_empty_listing_still_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["-p", "dummy", "-o", "json", "nodes", "list"]) == 0

    assert json.loads(capsys.readouterr().out) == []

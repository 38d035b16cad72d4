"""``nubo providers`` and ``nubo doctor``, on real throwaway distributions.

The subprocess tests run ``python -m nubo._cli`` with the distributions on
``PYTHONPATH``, so that every run starts with nothing loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import distfactory
import pytest

import nubo
from nubo import _cli

COMPUTE = "nubo.compute"
PLUGINS = "nubo.plugins"


def good_provider(site: Path, dist: str = "nubotest-cli-good") -> str:
    name = distfactory.fresh_name("cli_good")
    distfactory.dist_info(
        site,
        dist,
        "1.2",
        {COMPUTE: {name: f"{name}:Driver"}},
        {name: distfactory.driver_source(name)},
    )
    return name


def broken_provider(site: Path) -> str:
    name = distfactory.fresh_name("cli_broken")
    distfactory.dist_info(
        site,
        "nubotest-cli-broken",
        "0.1",
        {COMPUTE: {name: f"{name}:Driver"}},
        {name: "import nubotest_missing_dependency\n"},
    )
    return name


def hook_plugin(site: Path, *, broken: bool = False) -> str:
    name = distfactory.fresh_name("cli_hooks")
    source = (
        "raise ImportError('the hook plugin is broken')\n"
        if broken
        else '"""A hook plugin that implements no hook."""\n'
    )
    distfactory.dist_info(
        site, "nubotest-cli-hooks", "7.0", {PLUGINS: {name: name}}, {name: source}
    )
    return name


def run_cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("NUBO_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run(
        [sys.executable, "-m", "nubo._cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory that stands for site-packages, on ``sys.path`` here too."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    nubo.refresh_providers()

    yield path

    nubo.refresh_providers()
    distfactory.forget_modules()


def test_providers_json_lists_providers_and_plugins(site: Path) -> None:
    good, broken, plugin = good_provider(site), broken_provider(site), hook_plugin(site)

    result = run_cli(site, "providers", "--json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    rows = {row["name"]: row for row in document["providers"]}
    assert rows[good] == {
        "kind": "compute",
        "name": good,
        "target": f"{good}:Driver",
        "distribution": "nubotest-cli-good",
        "version": "1.2",
        "status": "available",
        "error": None,
    }
    # Listing reads metadata only: the broken module was not imported.
    assert rows[broken]["status"] == "available"

    plugins = {row["name"]: row for row in document["plugins"]}
    assert plugins[plugin]["kind"] == "plugin"
    assert plugins[plugin]["distribution"] == "nubotest-cli-hooks"
    assert plugins[plugin]["version"] == "7.0"
    assert plugins[plugin]["status"] == "loaded"


def test_providers_table(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = good_provider(site)

    status = _cli.main(["providers"])

    out = capsys.readouterr().out
    header, *lines = out.splitlines()
    assert header.split() == ["ID", "KIND", "DISTRIBUTION", "VERSION", "STATUS"]
    [line] = [line for line in lines if line.startswith(good)]
    assert line.split() == [good, "compute", "nubotest-cli-good", "1.2", "available"]
    assert status == 0


def test_providers_table_shows_a_conflict(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = good_provider(site, dist="nubotest-cli-one")
    module = distfactory.fresh_name("cli_other")
    distfactory.dist_info(
        site, "nubotest-cli-two", "1.0", {COMPUTE: {name: f"{module}:Driver"}}
    )

    assert _cli.main(["providers"]) == 0

    [line] = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(name)]
    assert line.split()[-1] == "conflict"


def test_doctor_reports_each_problem_with_its_fix(site: Path) -> None:
    good, broken = good_provider(site), broken_provider(site)
    plugin = hook_plugin(site, broken=True)

    result = run_cli(site, "doctor")

    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert f"ok       compute provider {good!r} (nubotest-cli-good 1.2)" in out
    assert f"PROBLEM  compute provider {broken!r} (nubotest-cli-broken 0.1)" in out
    assert f"PROBLEM  hook plugin {plugin!r} (nubotest-cli-hooks 7.0)" in out
    # The explanations are wrapped to the terminal; read them as running text.
    text = " ".join(out.split())
    assert "No module named 'nubotest_missing_dependency'" in text
    assert "reinstall or upgrade that distribution" in text
    assert "the hook plugin is broken" in text
    assert "NUBO_DISABLE_PLUGIN_AUTOLOAD=1" in text
    assert "checked have a problem" in text


def test_doctor_passes_when_everything_loads(site: Path) -> None:
    good, plugin = good_provider(site), hook_plugin(site)

    result = run_cli(site, "doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok       compute provider {good!r}" in result.stdout
    assert f"hook plugin {plugin!r} (nubotest-cli-hooks 7.0)" in result.stdout
    assert "PROBLEM" not in result.stdout


def test_doctor_in_process_returns_one_for_a_problem(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = broken_provider(site)

    assert _cli.main(["doctor"]) == 1
    assert broken in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main([]) == 2
    assert "providers" in capsys.readouterr().err


def test_a_bad_family_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        _cli.main(["providers", "--family", "plugins"])

    assert caught.value.code == 2
    assert "not a driver family" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        _cli.main(["--version"])

    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"nubo {nubo.__version__}"


def test_the_console_script_is_installed(site: Path) -> None:
    good = good_provider(site)
    script = Path(sys.executable).with_name("nubo")
    if not script.exists():
        distfactory.require_or_skip(f"no console script at {script}")
    env = {**os.environ, "PYTHONPATH": str(site)}

    result = subprocess.run(
        [str(script), "providers", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert good in {row["name"] for row in json.loads(result.stdout)["providers"]}


@pytest.mark.parametrize(
    "argv",
    [
        ["providers", "-o", "json"],
        ["providers", "--output", "json"],
        ["-o", "json", "providers"],
        ["providers", "--json"],
    ],
)
def test_providers_takes_the_output_option_anywhere(
    site: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    good = good_provider(site)

    assert _cli.main(argv) == 0

    document = json.loads(capsys.readouterr().out)
    assert good in {row["name"] for row in document["providers"]}


def test_providers_output_table_after_a_global_json(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = good_provider(site)

    assert _cli.main(["-o", "json", "providers", "-o", "table"]) == 0

    out = capsys.readouterr().out
    assert out.split()[:5] == ["ID", "KIND", "DISTRIBUTION", "VERSION", "STATUS"]
    assert good in out


def test_doctor_prints_json_with_the_output_option(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, broken = good_provider(site), broken_provider(site)

    assert _cli.main(["-o", "json", "doctor"]) == 1

    document = json.loads(capsys.readouterr().out)
    checks = {check["name"]: check for check in document["checks"]}
    assert checks[good]["verdict"] == "ok"
    assert checks[broken]["verdict"] == "PROBLEM"
    assert "nubotest_missing_dependency" in checks[broken]["detail"]
    assert document["problems"] == 1

"""``nubo new-provider``: the steps of docs/plugin-authoring.rst, run for real
(scaffold, install into a fresh virtualenv, get_driver, run the kit), and the
command's refusals."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import nubo
from nubo import _cli
from nubo._scaffold import core_range, names

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugin-authoring.rst"

#: The page's commands this test runs, in the page's order.
STEPS = [
    "$ nubo new-provider acme",
    "$ cd nubo-acme",
    '$ pip install -e ".[testing]"',
    "$ python -c \"import nubo; print(nubo.get_driver('acme'))\"",
    "$ pytest",
]


def test_the_page_shows_the_steps_in_order() -> None:
    text = DOCS.read_text()

    positions = [text.find(step) for step in STEPS]

    assert -1 not in positions, [
        s for s, p in zip(STEPS, positions, strict=True) if p == -1
    ]
    assert positions == sorted(positions)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


@pytest.fixture
def venv(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh virtualenv that sees this test run's packages (nubo from the
    checkout, pytest, responses) but installs into itself."""
    where = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True
    )
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_path("purelib")
    Path(purelib, "_nubo_test_parent.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n"
    )

    env = {
        **os.environ,
        "PATH": f"{where / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(where),
        "NUBO_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("PYTHONPATH", None)
    return python, env


def test_a_scaffolded_plugin_installs_and_passes_the_kit(
    tmp_path: Path, venv: tuple[Path, dict[str, str]]
) -> None:
    python, env = venv
    work = tmp_path / "work"
    work.mkdir()

    # nubo new-provider acme
    _run([str(python), "-m", "nubo._cli", "new-provider", "acme"], work, env)
    dist = work / "nubo-acme"
    assert (dist / "pyproject.toml").is_file()

    # pip install -e ".[testing]"; what the extra needs is there already.
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e"]
    _run([*pip, ".[testing]"], dist, env)

    # nubo.get_driver finds it through its entry point.
    found = _run(
        [str(python), "-c", "import nubo; print(nubo.get_driver('acme'))"], dist, env
    )
    assert found.strip() == "<class 'nubo_acme._driver.AcmeNodeDriver'>"

    # pytest: the kit passes, with every method reported unsupported.
    report = _run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q"],
        dist,
        env,
    )
    assert " passed" in report
    assert "failed" not in report
    assert "unsupported: the driver does not claim create_node" in report


def test_new_provider_writes_the_distribution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _cli.main(["new-provider", "acme-cloud", "--dir", str(tmp_path)])

    root = tmp_path / "nubo-acme-cloud"
    pyproject = (root / "pyproject.toml").read_text()
    driver = (root / "nubo_acme_cloud" / "_driver.py").read_text()
    assert status == 0
    assert '[project.entry-points."nubo.compute"]' in pyproject
    assert 'acme-cloud = "nubo_acme_cloud:AcmeCloudNodeDriver"' in pyproject
    assert 'name = "nubo-acme-cloud"' in pyproject
    assert "class AcmeCloudNodeDriver(NodeDriver):" in driver
    assert "class AcmeCloudConnection(ConnectionKey):" in driver
    assert "class AcmeCloudResponse(JsonResponse):" in driver
    assert (root / "tests" / "test_nubo_acme_cloud_conformance.py").is_file()
    assert (root / "nubo_acme_cloud" / "py.typed").is_file()
    assert "Wrote" in capsys.readouterr().out


def test_new_provider_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nubo-acme").mkdir()
    (tmp_path / "nubo-acme" / "mine.txt").write_text("keep me")

    with pytest.raises(SystemExit) as exited:
        _cli.main(["new-provider", "acme", "--dir", str(tmp_path)])

    assert exited.value.code == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "nubo-acme").iterdir()) == ["mine.txt"]


@pytest.mark.parametrize("bad", ["Acme", "1cloud", "acme cloud", "acme--x", "acme_"])
def test_new_provider_refuses_a_bad_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        _cli.main(["new-provider", bad, "--dir", str(tmp_path)])

    assert exited.value.code == 2
    assert "cannot be a provider id" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_names_follow_the_provider_id() -> None:
    assert names("big_cloud2") == {
        "requirement": f"nubo{core_range()}",
        "range": core_range(),
        "name": "big_cloud2",
        "dist": "nubo-big-cloud2",
        "module": "nubo_big_cloud2",
        "prefix": "BigCloud2",
        "cls": "BigCloud2NodeDriver",
        "title": "Big Cloud2",
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", ">=0.1,<0.2"),
        ("1.4.2", ">=1.4,<1.5"),
        ("2.0.0rc1", ">=2.0.dev0,<2.1"),
        ("0.3.dev4", ">=0.3.dev0,<0.4"),
    ],
)
def test_the_core_range_is_the_same_minor_version(version: str, expected: str) -> None:
    assert core_range(version) == expected


def test_the_distribution_depends_on_this_core_and_its_tests_serve_themselves(
    tmp_path: Path,
) -> None:
    assert _cli.main(["new-provider", "acme", "--dir", str(tmp_path)]) == 0

    root = tmp_path / "nubo-acme"
    pyproject = (root / "pyproject.toml").read_text()
    major, minor = (int(part) for part in nubo.__version__.split(".")[:2])
    assert f'dependencies = ["nubo>={major}.{minor},<{major}.{minor + 1}"]' in (
        pyproject
    )
    assert f'"nubo[testing]>={major}.{minor},<{major}.{minor + 1}"' in pyproject
    readme = (root / "README.md").read_text()
    core = readme.index('pip install -e "path/to/nubo[testing]"')
    assert core < readme.index('pip install -e ".[testing]"')
    assert readme.index("pip install build twine") < readme.index("python -m build")
    test = (root / "tests" / "test_nubo_acme_conformance.py").read_text()
    assert "8080" not in test
    assert 'ThreadingHTTPServer(("127.0.0.1", 0)' in test


@pytest.mark.parametrize("taken", ["dummy", "ec2", "digitalocean"])
def test_new_provider_refuses_the_id_of_a_provider_nubo_knows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], taken: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        _cli.main(["new-provider", taken, "--dir", str(tmp_path)])

    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert f"{taken!r} is already the id of" in err
    assert "pick another id" in err
    assert list(tmp_path.iterdir()) == []


def test_new_provider_refuses_the_id_of_an_installed_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nubo.register_driver("acme-taken", "nubo.compute:NodeDriver")
    try:
        with pytest.raises(SystemExit) as exited:
            _cli.main(["new-provider", "acme-taken", "--dir", str(tmp_path)])
    finally:
        nubo.unregister_driver("acme-taken")

    assert exited.value.code == 2
    assert "installed provider" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []

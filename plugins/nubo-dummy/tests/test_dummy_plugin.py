"""The distribution: its entry point, its metadata and its public names."""

from importlib import metadata
from pathlib import Path

import nubo_dummy
from nubo import CONTRACT_VERSION
from nubo.compute import NodeDriver
from nubo_dummy import DummyNodeDriver


def test_the_entry_point_names_the_driver() -> None:
    [entry] = [
        e for e in metadata.entry_points(group="nubo.compute") if e.name == "dummy"
    ]

    assert entry.value == "nubo_dummy:DummyNodeDriver"
    assert entry.load() is DummyNodeDriver
    assert entry.dist is not None
    assert entry.dist.name == "nubo-dummy"


def test_the_distribution_needs_nubo_and_cryptography() -> None:
    requires = metadata.requires("nubo-dummy") or []

    assert any(r.startswith("nubo") and "dummy" not in r for r in requires)
    assert any(r.startswith("cryptography") for r in requires)


def test_the_driver_is_a_compute_driver_of_this_contract() -> None:
    assert issubclass(DummyNodeDriver, NodeDriver)
    assert DummyNodeDriver.CONTRACT_VERSION == CONTRACT_VERSION
    assert nubo_dummy.__all__ == ["DummyNodeDriver"]
    assert DummyNodeDriver.__doc__


def test_the_readme_example_runs() -> None:
    readme = Path(__file__).parent.parent / "README.md"
    block = readme.read_text(encoding="utf-8").split("```python\n")[1].split("```")[0]
    scope: dict[str, object] = {}

    exec(compile(block, str(readme), "exec"), scope)

    assert scope["addresses"]
    assert scope["node"].state == "running"  # type: ignore[attr-defined]

"""nubo.compute's ``__all__`` is its public contract: keep it honest."""

import inspect
import types

import pytest

import nubo.compute

CONTRACT = {
    "NodeDriver",
    "Node",
    "NodeSize",
    "NodeImage",
    "NodeLocation",
    "StorageVolume",
    "VolumeSnapshot",
    "KeyPair",
    "NodeAuthSSHKey",
    "NodeAuthPassword",
    "NodeState",
    "StorageVolumeState",
    "VolumeSnapshotState",
    "get_driver",
}


def test_all_is_the_contract() -> None:
    assert set(nubo.compute.__all__) == CONTRACT
    assert len(nubo.compute.__all__) == len(CONTRACT)


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(nubo.compute).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }

    assert public - set(nubo.compute.__all__) == {"log"}


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_public_name_is_documented(name: str) -> None:
    value = getattr(nubo.compute, name)

    assert inspect.getdoc(value), f"nubo.compute.{name} has no docstring"
    if inspect.isclass(value):
        for member, attribute in vars(value).items():
            if not member.startswith("_") and inspect.isfunction(attribute):
                assert inspect.getdoc(attribute), f"{name}.{member} has no docstring"


def test_get_driver_takes_the_provider_only() -> None:
    parameters = inspect.signature(nubo.compute.get_driver).parameters

    assert list(parameters) == ["provider"]

"""The package root's ``__all__`` is the public contract: keep it honest."""

import inspect
import types

import pytest

import nubo


def test_every_name_in_all_exists() -> None:
    missing = [name for name in nubo.__all__ if not hasattr(nubo, name)]
    assert missing == []


def test_all_has_no_duplicates() -> None:
    assert len(nubo.__all__) == len(set(nubo.__all__))


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(nubo).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(nubo.__all__) == set()


@pytest.mark.parametrize("name", [n for n in nubo.__all__ if not n.startswith("_")])
def test_every_public_name_is_documented(name: str) -> None:
    value = getattr(nubo, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"nubo.{name} has no docstring"


def test_every_error_derives_from_the_root() -> None:
    for name in nubo.errors.__all__:
        cls = getattr(nubo.errors, name)
        assert issubclass(cls, nubo.errors.NuboError), name
        assert inspect.getdoc(cls), name


def test_version_is_a_string() -> None:
    assert isinstance(nubo.__version__, str)
    assert nubo.__version__.count(".") >= 2

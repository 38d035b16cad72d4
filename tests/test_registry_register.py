"""register_driver and unregister_driver: run-time providers and their precedence."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import distfactory
import pytest

import nubo
from nubo import errors


class LocalDriver(nubo.BaseDriver):
    """A driver defined by the program itself."""

    type = "local"


class OtherDriver(nubo.BaseDriver):
    """Another one, for replacing."""

    type = "other"


class FutureDriver(nubo.BaseDriver):
    """A driver written for a contract that does not exist yet."""

    CONTRACT_VERSION = nubo.CONTRACT_VERSION + 1


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` that stands for site-packages."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    nubo.refresh_providers()

    yield path

    nubo.refresh_providers()
    distfactory.forget_modules()


@pytest.fixture
def provider_id() -> Iterator[str]:
    """An id no one else uses, unregistered again after the test."""
    name = distfactory.fresh_name("registered")

    yield name

    with contextlib.suppress(errors.ProviderNotFoundError):
        nubo.unregister_driver(name)


def installed(site: Path, name: str) -> str:
    """Install a distribution declaring ``name``; return its driver's target."""
    module = distfactory.fresh_name("installed")
    distfactory.dist_info(
        site,
        f"{module}-dist",
        "1.0",
        {"nubo.compute": {name: f"{module}:Driver"}},
        {module: distfactory.driver_source("from-entry-point")},
    )
    return f"{module}:Driver"


def test_register_a_class(provider_id: str) -> None:
    nubo.register_driver(provider_id, LocalDriver)

    assert nubo.get_driver(provider_id.upper()) is LocalDriver
    [rec] = [r for r in nubo.providers() if r.name == provider_id]
    assert rec.status == "registered"
    assert rec.target == f"{__name__}:LocalDriver"
    assert rec.distribution is None


def test_register_a_lazy_target_imports_on_lookup(site: Path, provider_id: str) -> None:
    module = distfactory.fresh_name("lazy")
    (site / f"{module}.py").write_text(distfactory.driver_source("lazy"))

    nubo.register_driver(provider_id, f"{module}:Driver")
    assert module not in sys.modules

    driver = nubo.get_driver(provider_id)
    assert driver.type == "lazy"
    assert module in sys.modules


def test_a_lazy_target_that_fails_raises_load_error(provider_id: str) -> None:
    nubo.register_driver(provider_id, "nubotest_no_such_module:Driver")

    with pytest.raises(errors.ProviderLoadError) as caught:
        nubo.get_driver(provider_id)

    assert caught.value.distribution is None
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    assert "register_driver" in str(caught.value)


def test_registering_the_same_target_again_does_nothing(provider_id: str) -> None:
    nubo.register_driver(provider_id, LocalDriver)
    nubo.register_driver(provider_id, LocalDriver)
    nubo.register_driver(provider_id, f"{__name__}:LocalDriver")

    assert nubo.get_driver(provider_id) is LocalDriver


def test_another_target_needs_replace(provider_id: str) -> None:
    nubo.register_driver(provider_id, LocalDriver)

    with pytest.raises(errors.ProviderConflictError) as caught:
        nubo.register_driver(provider_id, OtherDriver)
    assert "replace=True" in str(caught.value)
    assert nubo.get_driver(provider_id) is LocalDriver

    nubo.register_driver(provider_id, OtherDriver, replace=True)
    assert nubo.get_driver(provider_id) is OtherDriver


def test_a_registration_wins_over_an_entry_point(site: Path, provider_id: str) -> None:
    target = installed(site, provider_id)
    assert nubo.get_driver(provider_id).type == "from-entry-point"

    with pytest.raises(errors.ProviderConflictError) as caught:
        nubo.register_driver(provider_id, LocalDriver)
    assert target in str(caught.value)

    nubo.register_driver(provider_id, LocalDriver, replace=True)
    assert nubo.get_driver(provider_id) is LocalDriver
    [rec] = [r for r in nubo.providers() if r.name == provider_id]
    assert rec.status == "registered"

    nubo.unregister_driver(provider_id)
    assert nubo.get_driver(provider_id).type == "from-entry-point"


def test_a_registration_still_wins_after_a_refresh(
    site: Path, provider_id: str
) -> None:
    nubo.register_driver(provider_id, LocalDriver)
    installed(site, provider_id)

    nubo.refresh_providers()

    assert nubo.get_driver(provider_id) is LocalDriver


def test_registering_the_entry_points_own_target_needs_no_replace(
    site: Path, provider_id: str
) -> None:
    target = installed(site, provider_id)

    nubo.register_driver(provider_id, target)

    assert nubo.get_driver(provider_id).type == "from-entry-point"


def test_unregister_undoes_it(provider_id: str) -> None:
    nubo.register_driver(provider_id, LocalDriver)

    nubo.unregister_driver(provider_id)

    with pytest.raises(errors.ProviderNotFoundError):
        nubo.get_driver(provider_id)


def test_unregister_what_was_never_registered(provider_id: str) -> None:
    with pytest.raises(errors.ProviderNotFoundError) as caught:
        nubo.unregister_driver(provider_id)

    assert "nothing to unregister" in str(caught.value)


def test_a_class_that_is_not_a_driver_is_refused_at_once(provider_id: str) -> None:
    with pytest.raises(errors.ProviderLoadError) as caught:
        nubo.register_driver(provider_id, dict)  # type: ignore[arg-type]

    assert isinstance(caught.value.__cause__, TypeError)
    with pytest.raises(errors.ProviderNotFoundError):
        nubo.get_driver(provider_id)


def test_a_class_for_another_contract_is_refused_at_once(provider_id: str) -> None:
    with pytest.raises(errors.IncompatibleProviderError) as caught:
        nubo.register_driver(provider_id, FutureDriver)

    assert caught.value.found == nubo.CONTRACT_VERSION + 1
    assert caught.value.expected == nubo.CONTRACT_VERSION


@pytest.mark.parametrize(
    "target", [42, "no colon", "mod:", ":Class", "a b:C", LocalDriver()]
)
def test_a_malformed_target_is_refused(provider_id: str, target: object) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        nubo.register_driver(provider_id, target)  # type: ignore[arg-type]


def test_refresh_retries_a_lazy_target_that_failed(
    site: Path, provider_id: str
) -> None:
    module = distfactory.fresh_name("later")
    nubo.register_driver(provider_id, f"{module}:Driver")
    with pytest.raises(errors.ProviderLoadError):
        nubo.get_driver(provider_id)

    (site / f"{module}.py").write_text(distfactory.driver_source("later"))
    nubo.refresh_providers()

    assert nubo.get_driver(provider_id).type == "later"

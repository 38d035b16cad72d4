"""Finding providers: entry points, run-time registrations, and what goes wrong.

Every provider here is a real distribution made on a temporary path by
``distfactory``, found by the metadata library as an installed one would be.
"""

from __future__ import annotations

import site as site_module
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import distfactory
import pytest

import nubo
from nubo import errors

COMPUTE = "nubo.compute"


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


def provider(site: Path, stem: str, *, version: str = "1.0", **kwargs: object) -> str:
    """Install a distribution with one good provider; return its provider id."""
    module = distfactory.fresh_name(stem)
    distfactory.dist_info(
        site,
        f"{module}-dist",
        version,
        {COMPUTE: {module: f"{module}:Driver"}},
        {module: distfactory.driver_source(module, **kwargs)},  # type: ignore[arg-type]
    )
    return module


def record(name: str) -> nubo.ProviderRecord:
    found = [r for r in nubo.providers() if r.name == name]
    assert len(found) == 1, found
    return found[0]


# -- a good provider -------------------------------------------------------------


def test_good_provider_is_listed_without_importing_it(site: Path) -> None:
    name = provider(site, "good", version="2.3")

    rec = record(name)

    assert rec == nubo.ProviderRecord(
        name=name,
        target=f"{name}:Driver",
        distribution=f"{name}-dist",
        version="2.3",
        status="available",
        error=None,
    )
    assert name not in sys.modules


def test_good_provider_loads_and_is_cached(site: Path) -> None:
    name = provider(site, "good")

    driver = nubo.get_driver(name)

    assert issubclass(driver, nubo.BaseDriver)
    assert driver.type == name
    assert driver.__module__ == name
    assert record(name).status == "loaded"

    # A second lookup answers from the cache: it does not import again.
    del sys.modules[name]
    assert nubo.get_driver(name) is driver
    assert name not in sys.modules


def test_ids_match_ignoring_case_and_dash_or_underscore(site: Path) -> None:
    name = provider(site, "Mixed_Case")

    driver = nubo.get_driver(name)

    assert nubo.get_driver(name.upper()) is driver
    assert nubo.get_driver(name.replace("_", "-")) is driver
    assert nubo.get_driver(f"  {name.lower()} ") is driver


def test_providers_are_sorted_and_listed_once(site: Path) -> None:
    names = [provider(site, stem) for stem in ("zeta", "alpha", "mid")]

    listed = [r.name for r in nubo.providers() if r.name in names]

    assert listed == sorted(names, key=nubo._registry.normalize_id)


def test_refresh_sees_a_distribution_installed_later(site: Path) -> None:
    first = provider(site, "first")
    nubo.get_driver(first)
    second = provider(site, "second")

    with pytest.raises(errors.ProviderNotFoundError):
        nubo.get_driver(second)

    nubo.refresh_providers()
    assert nubo.get_driver(second).type == second


def test_a_driver_loads_once_under_many_threads(site: Path, tmp_path: Path) -> None:
    imports = tmp_path / "imports.log"
    name = provider(site, "threads", record_imports=imports)
    nubo.providers()
    barrier = threading.Barrier(8)
    found: list[type] = []

    def lookup() -> None:
        barrier.wait()
        found.append(nubo.get_driver(name))

    threads = [threading.Thread(target=lookup) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(found) == 8
    assert len(set(found)) == 1
    assert imports.read_text().splitlines() == ["imported"]


# -- what can go wrong ---------------------------------------------------------------


def test_import_failure_breaks_only_its_own_provider(site: Path) -> None:
    good = provider(site, "neighbour")
    broken = distfactory.fresh_name("broken")
    distfactory.dist_info(
        site,
        "nubotest-broken-dist",
        "0.4",
        {COMPUTE: {broken: f"{broken}:Driver"}},
        {broken: "raise RuntimeError('the plugin is broken')\n"},
    )

    with pytest.raises(errors.ProviderLoadError) as caught:
        nubo.get_driver(broken)

    error = caught.value
    assert error.provider == broken
    assert error.target == f"{broken}:Driver"
    assert error.distribution == "nubotest-broken-dist"
    assert error.version == "0.4"
    assert isinstance(error.__cause__, RuntimeError)
    for part in (broken, f"{broken}:Driver", "nubotest-broken-dist 0.4", "reinstall"):
        assert part in str(error)

    assert nubo.get_driver(good).type == good
    rec = record(broken)
    assert rec.status == "failed"
    assert rec.error is not None
    assert "the plugin is broken" in rec.error


def test_a_failed_load_raises_again_with_the_same_cause(site: Path) -> None:
    broken = distfactory.fresh_name("again")
    distfactory.dist_info(
        site,
        "nubotest-again-dist",
        "1",
        {COMPUTE: {broken: f"{broken}:Driver"}},
        {broken: "import nubotest_module_that_does_not_exist\n"},
    )

    with pytest.raises(errors.ProviderLoadError) as first:
        nubo.get_driver(broken)
    with pytest.raises(errors.ProviderLoadError) as second:
        nubo.get_driver(broken)

    assert first.value is not second.value
    assert isinstance(first.value.__cause__, ModuleNotFoundError)
    assert second.value.__cause__ is first.value.__cause__


@pytest.mark.parametrize(
    ("source", "attr", "cause"),
    [
        ("def Driver():\n    pass\n", "Driver", TypeError),
        ("class Driver:\n    pass\n", "Driver", TypeError),
        ("Driver = 42\n", "Driver", TypeError),
        ("import nubo\n", "Missing", AttributeError),
        ("import nubo\n", "", TypeError),
    ],
    ids=["function", "plain-class", "number", "missing-attribute", "module"],
)
def test_target_that_is_not_a_driver(
    site: Path, source: str, attr: str, cause: type[Exception]
) -> None:
    name = distfactory.fresh_name("notdriver")
    target = f"{name}:{attr}" if attr else name
    distfactory.dist_info(
        site,
        "nubotest-notdriver-dist",
        "3.1",
        {COMPUTE: {name: target}},
        {name: source},
    )

    with pytest.raises(errors.ProviderLoadError) as caught:
        nubo.get_driver(name)

    assert caught.value.target == target
    assert caught.value.distribution == "nubotest-notdriver-dist"
    assert caught.value.version == "3.1"
    assert isinstance(caught.value.__cause__, cause)
    assert record(name).status == "failed"


def test_driver_for_another_contract_is_refused(site: Path) -> None:
    name = provider(site, "future", contract=nubo.CONTRACT_VERSION + 98)

    with pytest.raises(errors.IncompatibleProviderError) as caught:
        nubo.get_driver(name)

    error = caught.value
    assert error.expected == nubo.CONTRACT_VERSION
    assert error.found == nubo.CONTRACT_VERSION + 98
    assert error.distribution == f"{name}-dist"
    message = str(error)
    assert f"contract {nubo.CONTRACT_VERSION + 98}" in message
    assert f"contract {nubo.CONTRACT_VERSION}" in message
    assert f"{name}-dist" in message
    assert record(name).status == "incompatible"


def test_conflicting_distributions_break_only_that_id(site: Path) -> None:
    shared = distfactory.fresh_name("twin")
    other = distfactory.fresh_name("single")
    mod_a, mod_b = distfactory.fresh_name("a"), distfactory.fresh_name("b")
    distfactory.dist_info(
        site,
        "nubotest-first",
        "1.0",
        {COMPUTE: {shared: f"{mod_a}:Driver", other: f"{mod_a}:Driver"}},
        {mod_a: distfactory.driver_source("a")},
    )
    distfactory.dist_info(
        site,
        "nubotest-second",
        "2.0",
        {COMPUTE: {shared.upper(): f"{mod_b}:Driver"}},
        {mod_b: distfactory.driver_source("b")},
    )

    with pytest.raises(errors.ProviderConflictError) as caught:
        nubo.get_driver(shared)

    message = str(caught.value)
    assert "nubotest-first 1.0" in message
    assert "nubotest-second 2.0" in message
    assert sorted(caught.value.claims) == [
        ("nubotest-first", "1.0", f"{mod_a}:Driver"),
        ("nubotest-second", "2.0", f"{mod_b}:Driver"),
    ]
    assert mod_a not in sys.modules
    assert mod_b not in sys.modules

    assert nubo.get_driver(other).type == "a"
    assert record(shared).status == "conflict"


def test_exact_repeats_are_merged(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = distfactory.fresh_name("repeat")
    points = {COMPUTE: {name: f"{name}:Driver"}}
    source = {name: distfactory.driver_source(name)}
    second_site = tmp_path / "second-site"
    distfactory.dist_info(site, "nubotest-repeat", "1.0", points, source)
    distfactory.dist_info(second_site, "nubotest-repeat", "1.0", points, source)
    # Another distribution declaring the very same target is a repeat as well.
    distfactory.dist_info(second_site, "nubotest-repeat-alias", "1.0", points)
    monkeypatch.setattr(sys, "path", [*sys.path, str(second_site)])

    driver = nubo.get_driver(name)

    assert driver.type == name
    assert record(name).distribution == "nubotest-repeat"
    assert record(name).status == "loaded"


def test_editable_install_beside_a_stray_egg_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = distfactory.fresh_name("editable")
    points = {COMPUTE: {name: f"{name}:Driver"}}
    source_tree = tmp_path / "checkout" / "src"
    source_tree.mkdir(parents=True)
    (source_tree / f"{name}.py").write_text(distfactory.driver_source(name))
    distfactory.egg_info(source_tree, "nubotest-editable", "0.9.dev0", points)

    # What pip leaves for an editable install: metadata in site-packages and a
    # .pth file that puts the source tree on sys.path.
    site_dir = tmp_path / "site-packages"
    distfactory.dist_info(site_dir, "nubotest-editable", "1.0.dev0", points)
    (site_dir / "__editable__.nubotest_editable-1.0.dev0.pth").write_text(
        f"{source_tree}\n"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))
    site_module.addsitedir(str(site_dir))
    assert str(source_tree) in sys.path
    nubo.refresh_providers()

    try:
        driver = nubo.get_driver(name)
        rec = record(name)
    finally:
        nubo.refresh_providers()
        distfactory.forget_modules()

    assert driver.type == name
    assert rec.status == "loaded"
    assert rec.distribution == "nubotest-editable"
    assert rec.version == "1.0.dev0"


def test_wheel_installed_by_pip_into_a_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = distfactory.fresh_name("wheel")
    wheel = distfactory.build_wheel(
        tmp_path / "dist",
        "nubotest-wheel",
        "4.5.6",
        {COMPUTE: {name: f"{name}:Driver"}},
        {name: distfactory.driver_source(name)},
    )
    target = tmp_path / "target"
    distfactory.pip_install(wheel, target)
    monkeypatch.syspath_prepend(str(target))
    nubo.refresh_providers()

    try:
        rec = record(name)
        driver = nubo.get_driver(name)
        module_file = sys.modules[name].__file__
    finally:
        nubo.refresh_providers()
        distfactory.forget_modules()

    assert rec.distribution == "nubotest-wheel"
    assert rec.version == "4.5.6"
    assert rec.status == "available"
    assert driver.__module__ == name
    assert module_file is not None
    assert Path(module_file).parent == target


# -- providers that are not there ------------------------------------------------------


def test_unknown_id_lists_installed_and_the_closest(site: Path) -> None:
    name = provider(site, "closest")
    typo = name[:-1] + "x" if not name.endswith("x") else name[:-1] + "y"

    with pytest.raises(errors.ProviderNotFoundError) as caught:
        nubo.get_driver(typo)

    error = caught.value
    assert error.provider == typo
    assert error.suggestion == name
    assert name in error.installed
    assert f"did you mean {name!r}" in str(error)
    assert name in str(error)
    assert isinstance(error, LookupError)


def test_known_provider_that_is_not_installed_names_its_distribution(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        nubo._registry.KNOWN_PROVIDERS["compute"], "nubotest-known", "nubotest-dist"
    )

    with pytest.raises(errors.ProviderNotFoundError) as caught:
        nubo.get_driver("NubOtest_Known")

    assert caught.value.distribution == "nubotest-dist"
    assert "pip install -e plugins/nubotest-dist" in str(caught.value)


@pytest.mark.parametrize(
    ("provider_id", "distribution"),
    [
        ("dummy", "nubo-dummy"),
        ("ec2", "nubo-ec2"),
        ("digitalocean", "nubo-digitalocean"),
    ],
)
def test_in_repo_providers_are_known(
    site: Path, provider_id: str, distribution: str
) -> None:
    if any(
        nubo._registry.normalize_id(r.name) == provider_id for r in nubo.providers()
    ):
        pytest.skip(f"{distribution} is installed here")

    with pytest.raises(errors.ProviderNotFoundError) as caught:
        nubo.get_driver(provider_id)

    assert caught.value.distribution == distribution
    assert f"pip install {distribution}" in str(caught.value)


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_a_provider_id_must_be_a_non_empty_string(site: Path, bad: object) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        nubo.get_driver(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("family", ["plugins", "Compute", "nubo.compute", ""])
def test_a_family_must_be_a_plain_name(site: Path, family: str) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        nubo.providers(family)


def test_families_are_separate_groups(site: Path) -> None:
    name = distfactory.fresh_name("storage")
    distfactory.dist_info(
        site,
        "nubotest-storage",
        "1",
        {"nubo.storagetest": {name: f"{name}:Driver"}},
        {name: distfactory.driver_source(name)},
    )

    assert nubo.get_driver(name, family="storagetest").type == name
    with pytest.raises(errors.ProviderNotFoundError):
        nubo.get_driver(name)

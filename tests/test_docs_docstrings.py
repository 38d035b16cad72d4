"""The docs build's docstring check: it passes on nubo's public names, and names
each undocumented one of a package made to lack them."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

EXTENSIONS = Path(__file__).resolve().parent.parent / "docs" / "_ext"


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The docs' ``nubo_docstrings`` module."""
    monkeypatch.syspath_prepend(str(EXTENSIONS))
    import nubo_docstrings

    return nubo_docstrings


SHAPES = '''
    """A package with some of everything."""

    from dataclasses import dataclass
    from enum import Enum

    __all__ = [
        "LIMIT", "UNSAID", "Bare", "Plain", "Record", "Said", "Colour", "helper",
        "quiet",
    ]

    #: Documented above the line.
    LIMIT = 3

    UNSAID = 4


    class Said:
        """Documented."""

        def loud(self):
            """Documented."""

        def silent(self):
            pass

        @property
        def shown(self):
            pass

        def _private(self):
            pass


    class Plain(Said):
        def loud(self):
            pass


    class Bare:
        pass


    @dataclass
    class Record:
        name: str


    class Colour(Enum):
        RED = "red"


    def helper():
        """Documented."""


    def quiet():
        pass
'''


def test_every_public_name_of_nubo_and_its_providers_has_a_docstring(
    check: ModuleType,
) -> None:
    assert check.missing_docstrings() == []


def test_the_providers_driver_classes_are_checked(check: ModuleType) -> None:
    targets = check.provider_targets()

    assert "nubo_dummy:DummyNodeDriver" in targets
    assert "nubo_ec2:EC2NodeDriver" in targets


def test_each_undocumented_name_is_named(
    check: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = tmp_path / "shapes_for_docs"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(SHAPES))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "shapes_for_docs", raising=False)

    missing = check.missing_in_module("shapes_for_docs")

    assert sorted(missing) == [
        "shapes_for_docs.Bare",
        "shapes_for_docs.Colour",
        "shapes_for_docs.Plain",
        "shapes_for_docs.Record",
        "shapes_for_docs.Said.shown",
        "shapes_for_docs.Said.silent",
        "shapes_for_docs.UNSAID",
        "shapes_for_docs.quiet",
    ]


def test_constants_are_documented_by_comments(check: ModuleType) -> None:
    source = "#: one\nA = 1\nB: int = 2  #: two\nC = 3\n#: four\n\nD = 4\n"

    assert check.documented_constants(source) == {"A", "B"}

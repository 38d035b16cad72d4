"""A Sphinx extension that fails the build when a public name has no docstring.

The public names are those the packages list in ``__all__`` (the package root,
:mod:`nubo.compute`, :mod:`nubo.compute.deployment`, :mod:`nubo.errors`,
:mod:`nubo.testing`, and each installed provider's package), every installed
provider's driver class, and the public methods and properties that those
classes define themselves. A class needs a docstring of its own; a method may
take its docstring from the method it overrides, as autodoc does. A constant
is documented by a ``#:`` comment where it is defined.

The check runs once the builder is ready, before any page is read, and warns
once for each missing name; the docs session builds with ``-W``, so that any
of them fails the build.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import logging
import re
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import importlib_metadata

if TYPE_CHECKING:
    from sphinx.application import Sphinx

log = logging.getLogger(__name__)

#: The modules whose ``__all__`` is the public API of the core.
CORE_MODULES = (
    "nubo",
    "nubo.compute",
    "nubo.compute.deployment",
    "nubo.errors",
    "nubo.testing",
)

#: The entry point group that names the providers' driver classes.
PROVIDER_GROUP = "nubo.compute"


def _own_doc(cls: type) -> str | None:
    """The docstring a class wrote itself, not one it inherited or was given."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None

    # A dataclass without a docstring is given its signature as one.
    if dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}("):
        return None

    # Some versions of Python give an enum without a docstring a stock one.
    if issubclass(cls, enum.Enum) and doc.strip() in {
        "An enumeration.",
        inspect.getdoc(enum.Enum),
    }:
        return None
    return doc


#: Matches a module-level assignment or annotation: its name is group 1.
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=")


def documented_constants(source: str) -> set[str]:
    """Name the module-level constants of a source that a ``#:`` comment documents.

    The comment is on the lines right above the assignment, or at its end.

    :param source: a module's source text.
    :returns: the names so documented.
    """
    found: set[str] = set()
    comment = False
    for line in source.splitlines():
        if line.startswith("#:"):
            comment = True
            continue

        match = _ASSIGNMENT.match(line)
        if match and (comment or "#: " in line):
            found.add(match.group(1))
        comment = False
    return found


def _attribute_doc(name: str, value: object, module: types.ModuleType) -> bool:
    """Tell whether a constant has a ``#:`` comment in a module that holds it."""
    package = module.__name__.split(".")[0]
    candidates = [module] + [
        loaded
        for loaded_name, loaded in sorted(sys.modules.items())
        if loaded is not None
        and (loaded_name == package or loaded_name.startswith(package + "."))
        and loaded is not module
    ]

    for candidate in candidates:
        if getattr(candidate, name, _MISSING) is not value:
            continue
        path = getattr(candidate, "__file__", None)
        if path is None or not path.endswith(".py"):
            continue
        if name in documented_constants(Path(path).read_text(encoding="utf-8")):
            return True
    return False


_MISSING = object()


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties a class defines itself."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if isinstance(member, property) or inspect.isfunction(member):
            yield name, member


def _member_documented(cls: type, name: str) -> bool:
    """Tell whether a member has a docstring, its own or an overridden one's."""
    for owner in cls.__mro__:
        if name not in vars(owner):
            continue
        member = vars(owner)[name]
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        doc = getattr(member, "__doc__", None)
        if isinstance(doc, str) and doc.strip():
            return True
    return False


def missing_in_class(where: str, cls: type) -> list[str]:
    """Name the parts of a class that have no docstring.

    :param where: the dotted name the class is public under.
    :param cls: the class.
    :returns: the dotted names of the class, or of its members, that lack one.
    """
    missing = [] if _own_doc(cls) else [where]
    for name, _member in _members(cls):
        if not _member_documented(cls, name):
            missing.append(f"{where}.{name}")
    return missing


def missing_in_module(module_name: str) -> list[str]:
    """Name the public names of a module that have no docstring.

    :param module_name: the module whose ``__all__`` lists its public names.
    :returns: the dotted names that lack a docstring, in ``__all__`` order.
    """
    module = importlib.import_module(module_name)
    missing = [] if (module.__doc__ or "").strip() else [module_name]

    for name in getattr(module, "__all__", []):
        value = getattr(module, name)
        where = f"{module_name}.{name}"
        if isinstance(value, types.ModuleType):
            if not (value.__doc__ or "").strip():
                missing.append(where)
        elif isinstance(value, type):
            missing += missing_in_class(where, value)
        elif inspect.isfunction(value) or inspect.isbuiltin(value):
            if not (value.__doc__ or "").strip():
                missing.append(where)
        elif not _attribute_doc(name, value, module):
            missing.append(where)
    return missing


def provider_targets() -> list[str]:
    """Every installed provider's ``module:Class``, from the entry points.

    :returns: the targets, sorted.
    """
    found = importlib_metadata.entry_points(group=PROVIDER_GROUP)
    return sorted({entry.value for entry in found})


def missing_docstrings(modules: Iterable[str] = CORE_MODULES) -> list[str]:
    """Name every public name, core and providers, that has no docstring.

    :param modules: the core modules to walk.
    :returns: the dotted names that lack a docstring; empty when all have one.
    """
    missing: list[str] = []
    for module_name in modules:
        missing += missing_in_module(module_name)

    packages: set[str] = set()
    for target in provider_targets():
        module_name, _, attribute = target.partition(":")
        driver = getattr(importlib.import_module(module_name), attribute)
        packages.add(module_name.split(".")[0])
        missing += missing_in_class(f"{module_name}.{attribute}", driver)
    for package in sorted(packages):
        missing += missing_in_module(package)

    return list(dict.fromkeys(missing))


def _check(app: Sphinx) -> None:
    from sphinx.util import logging as sphinx_logging

    logger = sphinx_logging.getLogger(__name__)
    missing = missing_docstrings()
    for name in missing:
        # A warning each; the build's -W makes them fail it.
        logger.warning(
            "the public name %s has no docstring; write one (Sphinx field lists,"
            " or a '#:' comment above a constant) and build again",
            name,
            type="nubo",
            subtype="docstring",
        )
    if not missing:
        logger.info("every public name has a docstring")


def setup(app: Sphinx) -> dict[str, Any]:
    """Run the docstring check when the builder is ready.

    :param app: the Sphinx application.
    :returns: the extension's metadata.
    """
    app.connect("builder-inited", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

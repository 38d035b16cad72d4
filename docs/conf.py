"""Sphinx configuration for the nubo site."""

from __future__ import annotations

import sys
from pathlib import Path

import nubo

# Our own extensions, such as the table of the methods a provider offers.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "nubo"
author = "The nubo authors"
copyright = "2026, The nubo authors"
release = nubo.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "nubo_supports",
    "nubo_docstrings",
]

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}

# Intersphinx would fetch inventories over the network; the build stays offline.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

# Names that the annotations mention but no inventory here can resolve.
nitpick_ignore_regex = [
    ("py:class", r"(requests|urllib3|lxml|pluggy|_?collections\.abc|typing)\..*"),
    ("py:class", r"(Any|Mapping|Sequence|Iterator|Iterable|Callable|Self|T)"),
    ("py:class", r"(optional|NoneType|Path|os\.PathLike.*|_Element|Element)"),
    ("py:class", r"nubo\._.*"),
    ("py:class", r"nubo\.compute\._.*"),
    ("py:class", r"datetime(\.datetime)?"),
    ("py:exc", r"(requests|urllib3)\..*"),
]

html_theme = "furo"
html_title = f"nubo {release}"
html_static_path: list[str] = []
# The generated tables are included by the pages, not pages of their own.
exclude_patterns = ["_build", "_generated"]

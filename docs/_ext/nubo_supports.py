"""A Sphinx directive that tables which compute methods a driver offers.

``.. nubo-supports:: package:DriverClass`` imports the class at build time and
asks its :meth:`~nubo.compute.NodeDriver.supports` about every public method of
the compute contract, then about the driver's own ``ex_`` methods, so that the
table in a provider's page cannot drift from the code.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from nubo.compute import NodeDriver
from nubo.errors import InvalidArgumentError

log = logging.getLogger(__name__)


def _contract_methods() -> list[str]:
    names = []
    for name in dir(NodeDriver):
        if name.startswith("_") or name.startswith("ex_") or name == "supports":
            continue
        if not callable(getattr(NodeDriver, name)):
            continue
        try:
            NodeDriver.supports(name)
        except InvalidArgumentError:
            continue  # not a contract method
        names.append(name)
    return names


def _load(target: str) -> type[NodeDriver]:
    module, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if not (isinstance(found, type) and issubclass(found, NodeDriver)):
        raise ValueError(f"{target} is not a nubo.compute.NodeDriver subclass")
    return found


class SupportsTable(SphinxDirective):
    """Render a two-column table: each method, and whether the driver offers it."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        driver = _load(self.arguments[0])
        extras = sorted(
            name
            for name in vars(driver)
            if name.startswith("ex_") and callable(getattr(driver, name))
        )
        rows = [(name, driver.supports(name)) for name in _contract_methods()]
        rows += [(name, True) for name in extras]
        return [self._table(rows)]

    def _table(self, rows: list[tuple[str, bool]]) -> nodes.table:
        table = nodes.table()
        group = nodes.tgroup(cols=2)
        table += group
        group += nodes.colspec(colwidth=3)
        group += nodes.colspec(colwidth=1)

        head = nodes.thead()
        head += self._row("Method", "Offered", literal=False)
        group += head

        body = nodes.tbody()
        for name, offered in rows:
            body += self._row(name, "yes" if offered else "no")
        group += body
        return table

    @staticmethod
    def _row(first: str, second: str, literal: bool = True) -> nodes.row:
        row = nodes.row()
        for index, text in enumerate((first, second)):
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            if literal and index == 0:
                paragraph += nodes.literal(text=f"{text}()")
            else:
                paragraph += nodes.Text(text)
            entry += paragraph
            row += entry
        return row


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``nubo-supports`` directive.

    :param app: the Sphinx application.
    :returns: the extension's metadata.
    """
    app.add_directive("nubo-supports", SupportsTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

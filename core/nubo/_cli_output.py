"""How the ``nubo`` command line shows what a provider answered.

Every model becomes a plain dict first (:func:`to_record`): its common fields,
state values as strings, related models by id, and the ``extra`` values that JSON
can hold. That dict is what ``--output json`` prints, and what the tables for
people are cut from. Nothing here prints a secret: a private key is never part
of a record, ``extra`` entries whose names say they hold a password, a secret or
a token are left out, and every text is passed through a :class:`Scrubber` that
knows the credentials in use.
"""

from __future__ import annotations

import json
import logging
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TextIO

from .compute import (
    KeyPair,
    Node,
    NodeImage,
    NodeLocation,
    NodeSize,
    StorageVolume,
    VolumeSnapshot,
)

__all__ = ["COLUMNS", "Scrubber", "json_safe", "to_record", "write"]

log = logging.getLogger(__name__)

#: The columns of each kind's table: a heading, and the record field it shows.
COLUMNS: Mapping[str, Sequence[tuple[str, str]]] = {
    "node": (
        ("ID", "id"),
        ("NAME", "name"),
        ("STATE", "state"),
        ("PUBLIC IPS", "public_ips"),
        ("PRIVATE IPS", "private_ips"),
        ("SIZE", "size_id"),
        ("IMAGE", "image_id"),
    ),
    "size": (
        ("ID", "id"),
        ("NAME", "name"),
        ("RAM MIB", "ram"),
        ("DISK GIB", "disk"),
        ("BANDWIDTH GIB", "bandwidth"),
        ("PRICE/H", "price"),
    ),
    "image": (("ID", "id"), ("NAME", "name")),
    "location": (("ID", "id"), ("NAME", "name"), ("COUNTRY", "country")),
    "volume": (
        ("ID", "id"),
        ("NAME", "name"),
        ("SIZE GIB", "size"),
        ("STATE", "state"),
    ),
    "snapshot": (
        ("ID", "id"),
        ("NAME", "name"),
        ("SIZE GIB", "size"),
        ("STATE", "state"),
        ("CREATED", "created"),
    ),
    "key_pair": (("NAME", "name"), ("FINGERPRINT", "fingerprint")),
    "action": (("ID", "id"), ("NAME", "name"), ("RESULT", "result")),
}

# Words in an extra's name that say its value is a secret.
_SECRET_WORDS = ("password", "secret", "token", "private_key", "privatekey")

# What json_safe returns for a value JSON cannot hold.
_DROP = object()

# The shortest credential that output is scrubbed of; shorter ones would turn
# ordinary words into stars.
_MIN_SCRUBBED = 6


class Scrubber:
    """Replace every credential in a text by ``***``.

    The core redacts what it logs and raises; this is the command line's own
    last line, so that no credential it was given reaches a terminal whatever
    a driver or a hook plugin did with it.
    """

    def __init__(self) -> None:
        self._values: list[str] = []

    def add(self, values: Iterable[str]) -> None:
        """Scrub these values too.

        :param values: credential values.
        """
        for value in values:
            if len(value) >= _MIN_SCRUBBED and value not in self._values:
                self._values.append(value)
        # The longest first, so that a secret that holds another goes whole.
        self._values.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return the text with every known credential replaced.

        :param text: any text about to be shown.
        :returns: the scrubbed text.
        """
        for value in self._values:
            text = text.replace(value, "***")
        return text


def json_safe(value: object) -> Any:
    """Turn a value into one that JSON holds as it is, or drop it.

    Strings, whole numbers, finite floats, booleans and ``None`` stay; an enum
    becomes its value, a date or time its ISO 8601 text, a model its id, a
    sequence a list and a mapping a dict with string keys. Anything else, and
    any mapping entry whose name says it is a secret, is left out.

    :param value: the value.
    :returns: the JSON-safe value, or a private marker when it is dropped.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _DROP
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, KeyPair):
        return value.name
    model_id = getattr(value, "id", None)
    if isinstance(model_id, str) and hasattr(value, "driver"):
        return model_id
    if isinstance(value, Mapping):
        return _safe_mapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(item) for item in value]
        return [item for item in items if item is not _DROP]
    return _DROP


def _safe_mapping(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for name, item in mapping.items():
        if not isinstance(name, str) or _is_secret_name(name):
            continue
        converted = json_safe(item)
        if converted is not _DROP:
            safe[name] = converted
    return safe


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _model_id(model: object) -> str | None:
    found = getattr(model, "id", None)
    return found if isinstance(found, str) else None


def to_record(model: object) -> dict[str, Any]:
    """Turn a compute model into the dict that ``--output json`` prints.

    :param model: a node, size, image, location, volume, snapshot or key pair.
    :returns: its fields, JSON-safe; never a private key or a password.
    """
    record: dict[str, Any]
    if isinstance(model, Node):
        record = {
            "id": model.id,
            "name": model.name,
            "state": model.state.value,
            "public_ips": list(model.public_ips),
            "private_ips": list(model.private_ips),
            "size_id": _model_id(model.size),
            "image_id": _model_id(model.image),
            "created_at": model.created_at,
        }
    elif isinstance(model, NodeSize):
        record = {
            "id": model.id,
            "name": model.name,
            "ram": model.ram,
            "disk": model.disk,
            "bandwidth": model.bandwidth,
            "price": model.price,
        }
    elif isinstance(model, NodeImage):
        record = {"id": model.id, "name": model.name}
    elif isinstance(model, NodeLocation):
        record = {"id": model.id, "name": model.name, "country": model.country}
    elif isinstance(model, StorageVolume):
        record = {
            "id": model.id,
            "name": model.name,
            "size": model.size,
            "state": model.state.value,
        }
    elif isinstance(model, VolumeSnapshot):
        record = {
            "id": model.id,
            "name": model.name,
            "size": model.size,
            "state": model.state.value,
            "created": model.created,
        }
    elif isinstance(model, KeyPair):
        # The private key is left out: it is written to a file, never shown.
        record = {
            "name": model.name,
            "id": model.id,
            "fingerprint": model.fingerprint,
            "public_key": model.public_key,
        }
    else:
        raise TypeError(f"not a compute model: {type(model).__name__}")

    record["provider"] = model.driver.type
    record["extra"] = getattr(model, "extra", {})
    return _safe_mapping(record)


def write(
    out: TextIO,
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    kind: str,
    output: str,
    scrub: Scrubber,
) -> None:
    """Print records as JSON, or as a table for people.

    A list of records is a table with :data:`COLUMNS`; one record is a list of
    its fields, ``extra`` entries as ``extra.NAME``.

    :param out: where to print.
    :param data: one record, or a list of them.
    :param kind: the records' kind, a key of :data:`COLUMNS`.
    :param output: ``"json"`` or ``"table"``.
    :param scrub: what removes credentials from the text.
    """
    if output == "json":
        text = json.dumps(data, indent=2, sort_keys=False) + "\n"
    elif isinstance(data, Mapping):
        text = _fields(data)
    else:
        text = _table(data, COLUMNS[kind])
    out.write(scrub(text))
    out.flush()


def _cell(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list):
        return ",".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _printable(str(value))


def _printable(text: str) -> str:
    # A provider's names reach a terminal: no control character may go through
    # and move the cursor, change colours or set the title.
    return "".join(
        "?" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in text
    )


def _table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]
) -> str:
    if not rows:
        return "(none)\n"

    lines = [[heading for heading, _ in columns]]
    lines += [[_cell(row.get(name)) for _, name in columns] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]

    text = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        text.append("  ".join(cells).rstrip())
    return "\n".join(text) + "\n"


def _fields(record: Mapping[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in record.items():
        if name == "extra" and isinstance(value, Mapping):
            pairs += [(f"extra.{k}", _cell(v)) for k, v in value.items()]
        else:
            pairs.append((name, _cell(value)))

    width = max((len(name) for name, _ in pairs), default=0)
    return "".join(
        f"{_printable(name).ljust(width)}  {value}\n" for name, value in pairs
    )

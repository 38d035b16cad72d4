"""Reading and checking SSH public keys before they are handed to a provider.

:meth:`NodeDriver.import_key_pair_from_file` reads the key file here, so that a
wrong path, a private key or a file that is not a key fails with a clear message
on the user's side instead of a provider's terse refusal.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["check_public_key", "read_public_key_file"]

log = logging.getLogger(__name__)

#: A public key file is one line; anything much larger is not one.
_MAX_KEY_FILE_BYTES = 64 * 1024

#: The key types OpenSSH writes in ``.pub`` files.
_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)


def check_public_key(text: str, *, source: str = "the key material") -> str:
    """Check that ``text`` is one SSH public key in OpenSSH format.

    :param text: the key, ``<type> <base64 blob> [comment]``.
    :param source: what the text came from, for the error message.
    :returns: the key, stripped of surrounding blank space.
    :raises InvalidArgumentError: when it is a private key, several lines, or
        not an OpenSSH public key.
    """
    key = text.strip()
    if not key:
        raise InvalidArgumentError(
            f"{source} is empty; give an OpenSSH public key (the .pub file)",
            argument="key_material",
        )

    if "PRIVATE KEY" in key:
        raise InvalidArgumentError(
            f"{source} is a private key; give the public key instead (the .pub "
            "file beside it, or the output of `ssh-keygen -y -f <private key>`)",
            argument="key_material",
        )

    if "BEGIN SSH2 PUBLIC KEY" in key:
        raise InvalidArgumentError(
            f"{source} is an RFC 4716 public key; convert it to OpenSSH format "
            "with `ssh-keygen -i -f <file>`",
            argument="key_material",
        )

    if "\n" in key:
        raise InvalidArgumentError(
            f"{source} holds several lines; give exactly one OpenSSH public key",
            argument="key_material",
        )

    fields = key.split()
    if len(fields) < 2 or fields[0] not in _KEY_TYPES:
        raise InvalidArgumentError(
            f"{source} is not an OpenSSH public key: it should start with a key "
            "type such as ssh-ed25519 or ssh-rsa, then the key in base64",
            argument="key_material",
        )

    try:
        blob = base64.b64decode(fields[1], validate=True)
    except (binascii.Error, ValueError):
        blob = b""
    if not _blob_names_type(blob, fields[0]):
        raise InvalidArgumentError(
            f"{source} is not a valid {fields[0]} public key: its base64 part is "
            "damaged or belongs to another key type",
            argument="key_material",
        )

    return key


def _blob_names_type(blob: bytes, key_type: str) -> bool:
    # The blob opens with its key type as an SSH string: a 4-byte length, then
    # the name.
    if len(blob) < 4:
        return False
    length = int.from_bytes(blob[:4], "big")
    return blob[4 : 4 + length] == key_type.encode()


def read_public_key_file(path: str | os.PathLike[str]) -> str:
    """Read one SSH public key from a file; ``~`` is expanded.

    :param path: the path of the ``.pub`` file.
    :returns: the key, stripped of surrounding blank space.
    :raises InvalidArgumentError: when the file is missing, a directory,
        unreadable, empty, binary, too large, a private key, or not a public key.
    """
    where = Path(os.path.expanduser(os.fspath(path)))
    shown = str(where)

    if where.is_dir():
        raise InvalidArgumentError(
            f"{shown} is a directory; give the path of a public key file such as "
            "~/.ssh/id_ed25519.pub",
            argument="key_file_path",
        )

    try:
        with where.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidArgumentError(
            f"no key file at {shown}; check the path (`ssh-keygen -t ed25519` "
            "makes a key pair)",
            argument="key_file_path",
        ) from None
    except OSError as error:
        raise InvalidArgumentError(
            f"cannot read the key file {shown}: {error.strerror or error}; check "
            "its permissions",
            argument="key_file_path",
        ) from error

    if len(data) > _MAX_KEY_FILE_BYTES:
        raise InvalidArgumentError(
            f"{shown} is larger than {_MAX_KEY_FILE_BYTES} bytes, too large for a "
            "public key; give the .pub file",
            argument="key_file_path",
        )

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError(
            f"{shown} is binary, not an OpenSSH public key; give the .pub file",
            argument="key_file_path",
        ) from None
    if "\x00" in text:
        raise InvalidArgumentError(
            f"{shown} is binary, not an OpenSSH public key; give the .pub file",
            argument="key_file_path",
        )

    log.debug("read a public key from %s", shown)
    return check_public_key(text, source=shown)

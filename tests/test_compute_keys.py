"""import_key_pair_from_file: reading and checking a public key file."""

import base64
from pathlib import Path

import pytest

from nubo.compute import KeyPair, NodeDriver
from nubo.errors import InvalidArgumentError, NotSupportedError


def ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def public_key(key_type: str = "ssh-ed25519", comment: str = "me@host") -> str:
    blob = ssh_string(key_type.encode()) + ssh_string(b"\x01" * 32)
    return f"{key_type} {base64.b64encode(blob).decode()} {comment}"


class ImportingDriver(NodeDriver):
    type = "importing"

    def __init__(self) -> None:
        super().__init__(None)
        self.imported: list[tuple[str, str]] = []

    def import_key_pair_from_string(self, name: str, key_material: str) -> KeyPair:
        self.imported.append((name, key_material))
        return KeyPair(name, key_material, None, self)


@pytest.fixture
def driver() -> ImportingDriver:
    return ImportingDriver()


def test_a_public_key_file_is_handed_on_stripped(
    driver: ImportingDriver, tmp_path: Path
) -> None:
    path = tmp_path / "id_ed25519.pub"
    path.write_text(public_key() + "\n\n")

    pair = driver.import_key_pair_from_file("mine", path)

    assert driver.imported == [("mine", public_key())]
    assert pair.public_key == public_key()


@pytest.mark.parametrize("key_type", ["ssh-rsa", "ecdsa-sha2-nistp256"])
def test_other_key_types_are_accepted(
    driver: ImportingDriver, tmp_path: Path, key_type: str
) -> None:
    path = tmp_path / "key.pub"
    path.write_text(public_key(key_type))

    driver.import_key_pair_from_file("k", str(path))

    assert driver.imported[0][1].startswith(key_type)


def test_tilde_is_expanded(
    driver: ImportingDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id.pub").write_text(public_key())

    driver.import_key_pair_from_file("home", "~/.ssh/id.pub")

    assert driver.imported == [("home", public_key())]


def check_refused(driver: ImportingDriver, path: Path | str, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        driver.import_key_pair_from_file("k", path)
    assert driver.imported == []


def test_a_missing_file_is_refused(driver: ImportingDriver, tmp_path: Path) -> None:
    check_refused(driver, tmp_path / "absent.pub", "no key file at")


def test_a_directory_is_refused(driver: ImportingDriver, tmp_path: Path) -> None:
    check_refused(driver, tmp_path, "is a directory")


def test_an_unreadable_path_is_refused(driver: ImportingDriver, tmp_path: Path) -> None:
    # A regular file used as a directory cannot be read, even by root.
    (tmp_path / "file").write_text("x")

    check_refused(driver, tmp_path / "file" / "id.pub", "cannot read the key file")


def test_a_private_key_is_refused(driver: ImportingDriver, tmp_path: Path) -> None:
    path = tmp_path / "id_ed25519"
    path.write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )

    check_refused(driver, path, "is a private key; give the public key")


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_an_empty_file_is_refused(
    driver: ImportingDriver, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "empty.pub"
    path.write_text(content)

    check_refused(driver, path, "is empty")


@pytest.mark.parametrize("content", [b"\xff\xfe\x00\x81binary", b"ssh-rsa \x00\x01"])
def test_a_binary_file_is_refused(
    driver: ImportingDriver, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "key.der"
    path.write_bytes(content)

    check_refused(driver, path, "is binary")


def test_a_huge_file_is_refused(driver: ImportingDriver, tmp_path: Path) -> None:
    path = tmp_path / "big.pub"
    path.write_text("ssh-ed25519 " + "A" * 70000)

    check_refused(driver, path, "too large")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("hello world", "is not an OpenSSH public key"),
        ("ssh-ed25519", "is not an OpenSSH public key"),
        ("ssh-ed25519 not*base64", "damaged or belongs to another key type"),
        (public_key("ssh-rsa").replace("ssh-rsa", "ssh-ed25519"), "damaged"),
        (public_key() + "\n" + public_key(), "several lines"),
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n", "RFC 4716"),
    ],
)
def test_content_that_is_not_a_public_key_is_refused(
    driver: ImportingDriver, tmp_path: Path, content: str, match: str
) -> None:
    path = tmp_path / "bad.pub"
    path.write_text(content)

    check_refused(driver, path, match)


def test_a_driver_without_import_says_so_first(tmp_path: Path) -> None:
    class NoImport(NodeDriver):
        type = "noimport"

    with pytest.raises(NotSupportedError, match="import_key_pair_from_file"):
        NoImport(None).import_key_pair_from_file("k", tmp_path / "absent.pub")

"""The dummy provider's key pairs: generated, imported, fingerprinted, deleted."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from nubo.compute import KeyPair
from nubo.errors import InvalidArgumentError, NotFoundError, ProviderError
from nubo_dummy import DummyNodeDriver


def rsa_public_key(comment: str = "me@host") -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    text = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        .decode()
    )
    return f"{text} {comment}"


def ssh_keygen_md5(tmp_path: Path, public_key: str) -> str:
    """The fingerprint OpenSSH's own ssh-keygen prints for a public key."""
    tool = shutil.which("ssh-keygen")
    if tool is None:
        if os.environ.get("NUBO_REQUIRE_PEERS"):
            pytest.fail("ssh-keygen is missing and NUBO_REQUIRE_PEERS is set")
        pytest.skip("ssh-keygen is not installed (Debian: openssh-client)")

    path = tmp_path / "key.pub"
    path.write_text(public_key + "\n")
    out = subprocess.run(
        [tool, "-l", "-E", "md5", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1].removeprefix("MD5:")


def test_create_key_pair_makes_a_real_ed25519_pair(driver: DummyNodeDriver) -> None:
    pair = driver.create_key_pair("deploy")

    assert pair.name == "deploy"
    assert pair.private_key is not None
    assert pair.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    private = serialization.load_ssh_private_key(pair.private_key.encode(), None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    derived = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert pair.public_key is not None
    assert pair.public_key.startswith(derived.decode() + " ")
    assert "PRIVATE" not in repr(pair)


def test_key_pairs_are_random_whatever_the_seed() -> None:
    one = DummyNodeDriver(ex_seed=1).create_key_pair("k")
    two = DummyNodeDriver(ex_seed=1).create_key_pair("k")

    assert one.public_key != two.public_key


def test_the_private_key_is_not_kept(driver: DummyNodeDriver) -> None:
    created = driver.create_key_pair("deploy")

    fetched = driver.get_key_pair("deploy")
    [listed] = driver.list_key_pairs()

    assert fetched == created
    assert fetched.private_key is None
    assert listed.private_key is None
    assert fetched.fingerprint == created.fingerprint
    assert list(driver.iter_key_pairs()) == [listed]


def test_fingerprints_match_ssh_keygen(driver: DummyNodeDriver, tmp_path: Path) -> None:
    made = driver.create_key_pair("made")
    imported = driver.import_key_pair_from_string("rsa", rsa_public_key())

    assert made.public_key is not None
    assert imported.public_key is not None
    assert made.fingerprint == ssh_keygen_md5(tmp_path, made.public_key)
    assert imported.fingerprint == ssh_keygen_md5(tmp_path, imported.public_key)


def test_fingerprint_format(driver: DummyNodeDriver) -> None:
    fingerprint = driver.create_key_pair("k").fingerprint

    assert fingerprint is not None
    parts = fingerprint.split(":")
    assert len(parts) == 16
    assert all(len(p) == 2 and int(p, 16) >= 0 for p in parts)


def test_import_from_string(driver: DummyNodeDriver) -> None:
    key = rsa_public_key()

    pair = driver.import_key_pair_from_string("laptop", "  " + key + "\n")

    assert pair.public_key == key
    assert pair.private_key is None
    assert driver.get_key_pair("laptop") == pair


def test_import_from_file_expands_tilde(
    driver: DummyNodeDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = rsa_public_key()
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "id_rsa.pub").write_text(key + "\n")

    pair = driver.import_key_pair_from_file("laptop", "~/id_rsa.pub")

    assert pair.public_key == key


def test_import_from_file_refuses_a_private_key(
    driver: DummyNodeDriver, tmp_path: Path
) -> None:
    pem = driver.create_key_pair("x").private_key
    assert pem is not None
    path = tmp_path / "id_ed25519"
    path.write_text(pem)

    with pytest.raises(InvalidArgumentError, match="is a private key"):
        driver.import_key_pair_from_file("mine", path)
    with pytest.raises(InvalidArgumentError, match="no key file"):
        driver.import_key_pair_from_file("mine", tmp_path / "absent.pub")
    assert [p.name for p in driver.list_key_pairs()] == ["x"]


@pytest.mark.parametrize(
    ("material", "match"),
    [
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n", "is a private key"),
        ("ssh-ed25519 AAAAnotreally", "not an OpenSSH public key"),
        ("hello", "not an OpenSSH public key"),
        ("", "not an OpenSSH public key"),
        (b"ssh-ed25519 AAAA", "must be a string"),
    ],
)
def test_import_from_string_refuses_what_is_not_a_public_key(
    driver: DummyNodeDriver, material: object, match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        driver.import_key_pair_from_string("bad", material)  # type: ignore[arg-type]

    assert driver.list_key_pairs() == []


@pytest.mark.parametrize("name", ["", "   ", None])
def test_key_pairs_need_a_name(driver: DummyNodeDriver, name: object) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        driver.create_key_pair(name)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="needs a name"):
        driver.import_key_pair_from_string(name, rsa_public_key())  # type: ignore[arg-type]


def test_names_are_unique(driver: DummyNodeDriver) -> None:
    driver.create_key_pair("k")

    with pytest.raises(ProviderError, match="named 'k' exists") as caught:
        driver.create_key_pair("k")
    assert caught.value.code == "KeyPairExists"
    with pytest.raises(ProviderError, match="named 'k' exists"):
        driver.import_key_pair_from_string("k", rsa_public_key())


def test_delete_key_pair(driver: DummyNodeDriver) -> None:
    pair = driver.create_key_pair("k")

    assert driver.delete_key_pair(pair) is True

    assert driver.list_key_pairs() == []
    with pytest.raises(NotFoundError, match="no key pair 'k'"):
        driver.get_key_pair("k")
    with pytest.raises(NotFoundError):
        driver.delete_key_pair(pair)
    with pytest.raises(InvalidArgumentError, match="key_pair must be a KeyPair"):
        driver.delete_key_pair("k")  # type: ignore[arg-type]


def test_a_key_pair_from_another_read_deletes_alike(driver: DummyNodeDriver) -> None:
    driver.create_key_pair("k")

    assert driver.delete_key_pair(KeyPair("k", None, None, driver)) is True

"""Checkpoint keys and files that cannot be used raise driftline errors saying why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import driftline as dl
from driftline.exceptions import DecodeError, InvalidParameter
from driftline.registry import generate_key, read_checkpoint
from driftline.registry.checkpoint import load_private_key, load_public_key


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[dl.Registry]:
    registry = dl.Registry(f"sqlite:///{tmp_path / 'r.db'}")
    registry.bootstrap("root")
    yield registry
    registry.close()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "audit.pem"
    generate_key(path)
    return path


def test_junk_bytes_private_key(reg: dl.Registry) -> None:
    with pytest.raises(DecodeError, match="private key cannot be read: it is not"):
        reg.audit.checkpoint(b"junk")


def test_junk_bytes_public_key(reg: dl.Registry, key: Path) -> None:
    cp = reg.audit.checkpoint(key)
    with pytest.raises(DecodeError, match="public key cannot be read: it is not"):
        reg.audit.verify(checkpoint=cp, public_key=b"junk")


def test_missing_key_file(reg: dl.Registry, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.pem"
    with pytest.raises(InvalidParameter, match="No such file or directory") as info:
        reg.audit.checkpoint(missing)
    assert str(missing) in str(info.value) and "private key cannot be read" in str(info.value)
    with pytest.raises(InvalidParameter, match="public key cannot be read"):
        load_public_key(missing)


def test_directory_as_key(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="private key cannot be read"):
        load_private_key(tmp_path)


def test_encrypted_private_key(tmp_path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(DecodeError, match="unencrypted PEM key"):
        load_private_key(pem)


def test_key_of_another_algorithm_is_refused() -> None:
    pem = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(InvalidParameter, match="not an Ed25519 key"):
        load_private_key(pem)


def test_good_keys_still_work(reg: dl.Registry, key: Path) -> None:
    cp = reg.audit.checkpoint(key)
    assert reg.audit.verify(checkpoint=cp, public_key=Path(f"{key}.pub")).ok
    assert reg.audit.verify(checkpoint=cp, public_key=key.read_bytes()).ok


def test_unreadable_checkpoint_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="checkpoint cannot be read"):
        read_checkpoint(tmp_path / "nonexistent.jsonl")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(DecodeError, match="not UTF-8"):
        read_checkpoint(binary)

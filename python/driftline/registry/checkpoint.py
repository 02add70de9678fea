"""Signed checkpoints of the audit chain's head (Ed25519, through ``cryptography``).

A checkpoint says "event N had hash H" and is signed with a private key kept outside the
database. Whoever can write the database can recompute every hash of a rewritten chain,
but cannot forge the signature: against a saved checkpoint, a rewritten chain (event N's
hash differs) or a truncated tail (the chain ends before N) is detected. A checkpoint says
nothing about events appended after it, so events removed after the last checkpoint cannot
be detected by it (see docs/registry.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from driftline.exceptions import DecodeError, InvalidParameter
from driftline.registry.jsonutil import canonical, now

__all__ = [
    "Checkpoint",
    "check_against",
    "generate_key",
    "load_private_key",
    "load_public_key",
    "read_checkpoint",
    "sign",
]


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the chain's head: event ``seq`` had hash ``hash``."""

    seq: int
    hash: str
    ts: str
    key_id: str
    signature: str

    def payload(self) -> bytes:
        """The bytes the signature covers."""
        return canonical({"seq": self.seq, "hash": self.hash, "ts": self.ts}).encode()

    def to_dict(self) -> dict[str, Any]:
        """The checkpoint as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Rebuild a checkpoint from :meth:`to_dict` output."""
        try:
            return cls(
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                ts=str(data["ts"]),
                key_id=str(data["key_id"]),
                signature=str(data["signature"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(f"not a driftline audit checkpoint: {exc}") from None


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _read_key_file(key: os.PathLike[str], what: str) -> bytes:
    path = Path(key)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidParameter(
            f"the {what} key cannot be read from {path}: {exc.strerror or exc}"
        ) from None


def _parse_pem(pem: bytes, what: str, parse: Callable[[bytes], Any]) -> Any:
    # cryptography raises ValueError for bytes that are not PEM, TypeError for an
    # encrypted key without a password and UnsupportedAlgorithm for key types it lacks:
    # none of them says which key was being read.
    try:
        return parse(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DecodeError(
            f"the {what} key cannot be read: it is not an unencrypted PEM key ({reason})"
        ) from None


def load_private_key(key: Any) -> Ed25519PrivateKey:
    """An Ed25519 private key from a key object, PEM bytes or a PEM file (Path).

    Raises
    ------
    InvalidParameter
        The file cannot be read, or the key is not an Ed25519 key.
    DecodeError
        The bytes are not an unencrypted PEM private key.
    """
    if isinstance(key, Ed25519PrivateKey):
        return key
    if isinstance(key, os.PathLike):
        key = _read_key_file(key, "private")
    if not isinstance(key, bytes):
        raise InvalidParameter("private_key must be an Ed25519PrivateKey, PEM bytes or a Path")
    loaded = _parse_pem(
        key, "private", lambda pem: serialization.load_pem_private_key(pem, password=None)
    )
    if not isinstance(loaded, Ed25519PrivateKey):
        raise InvalidParameter("the private key is not an Ed25519 key")
    return loaded


def load_public_key(key: Any) -> Ed25519PublicKey:
    """An Ed25519 public key from a key object, PEM bytes or a PEM file (Path).

    A private key is accepted too (its public half is used).

    Raises
    ------
    InvalidParameter
        The file cannot be read, or the key is not an Ed25519 key.
    DecodeError
        The bytes are not a PEM key.
    """
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, os.PathLike):
        key = _read_key_file(key, "public")
    if not isinstance(key, bytes):
        raise InvalidParameter("public_key must be an Ed25519PublicKey, PEM bytes or a Path")
    if b"PRIVATE KEY" in key:
        return load_private_key(key).public_key()
    loaded = _parse_pem(key, "public", serialization.load_pem_public_key)
    if not isinstance(loaded, Ed25519PublicKey):
        raise InvalidParameter("the public key is not an Ed25519 key")
    return loaded


def generate_key(private_path: Path, public_path: Path | None = None) -> Ed25519PublicKey:
    """Create a new key pair: the private key file is created with mode 0600 and never
    overwritten; the public key is written next to it (``.pub``) unless a path is given."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = private.public_key()
    target = public_path or private_path.with_name(private_path.name + ".pub")
    target.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public


def sign(seq: int, digest: str, private_key: Any) -> Checkpoint:
    """Sign ``(seq, digest)`` now."""
    key = load_private_key(private_key)
    unsigned = Checkpoint(seq=seq, hash=digest, ts=now(), key_id="", signature="")
    signature = key.sign(unsigned.payload())
    return Checkpoint(
        seq=seq,
        hash=digest,
        ts=unsigned.ts,
        key_id=_key_id(key.public_key()),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def signature_valid(checkpoint: Checkpoint, public_key: Any) -> bool:
    """Whether the checkpoint was signed by the private half of ``public_key``."""
    key = load_public_key(public_key)
    try:
        key.verify(base64.b64decode(checkpoint.signature), checkpoint.payload())
    except (InvalidSignature, ValueError):
        return False
    return True


def check_against(
    checkpoint: Checkpoint, public_key: Any, head_seq: int, hashes_at: dict[int, str]
) -> list[str]:
    """Problems found comparing the chain (its head and its hash at the checkpoint)."""
    if public_key is None:
        raise InvalidParameter("verifying against a checkpoint needs the public key")
    if not signature_valid(checkpoint, public_key):
        return [f"checkpoint at event {checkpoint.seq}: signature invalid (forged or wrong key)"]
    if checkpoint.seq == 0:
        return []
    if head_seq < checkpoint.seq:
        return [
            f"chain truncated: it ends at event {head_seq} but the checkpoint of "
            f"{checkpoint.ts} covers event {checkpoint.seq}"
        ]
    found = hashes_at.get(checkpoint.seq)
    if found is None:
        return [f"event {checkpoint.seq} named by the checkpoint is missing"]
    if found != checkpoint.hash:
        return [
            f"event {checkpoint.seq}: hash differs from the signed checkpoint of "
            f"{checkpoint.ts} (the chain was rewritten)"
        ]
    return []


def read_checkpoint(path: Path) -> Checkpoint:
    """The last checkpoint in an export file (JSON lines) or a checkpoint JSON file.

    Raises
    ------
    InvalidParameter
        The file cannot be read.
    DecodeError
        It holds no checkpoint, or is not UTF-8 text.
    """
    found: dict[str, Any] | None = None
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(data, dict) and "checkpoint" in data:
                    found = data["checkpoint"]
                elif isinstance(data, dict) and "signature" in data:
                    found = data
    except OSError as exc:
        raise InvalidParameter(
            f"the checkpoint cannot be read from {path}: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError:
        raise DecodeError(f"no checkpoint found in {path}: it is not UTF-8 text") from None
    if found is None:
        raise DecodeError(f"no checkpoint found in {path}")
    return Checkpoint.from_dict(found)

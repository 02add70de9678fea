"""Artifact checksums and stored payloads (params, metrics, profiles)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from driftline.exceptions import InvalidParameter
from driftline.registry.inputs import check_uri
from driftline.registry.jsonutil import canonical
from driftline.registry.schema import profiles

__all__ = ["MAX_JSON", "artifact_and_checksum", "json_payload", "profile_bytes"]

MAX_JSON = 1_000_000
_CHECKSUM = re.compile(r"^(?:(sha256|sha512|sha1|md5|blake2b):)?([0-9a-fA-F]{32,128})$")
_CHUNK = 1 << 20
# The stored fingerprint's column length (profiles and datasets alike).
_FINGERPRINT_LENGTH: int = profiles.c.fingerprint.type.length  # type: ignore[attr-defined]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def artifact_and_checksum(artifact_uri: Any, checksum: Any) -> tuple[str, str]:
    """The stored URI and checksum (``algo:hex``) of an artifact.

    A :class:`pathlib.Path` (an explicit local file from the caller) is hashed and stored
    as a ``file://`` URI; a string is a URI, which needs its checksum given.
    """
    if isinstance(artifact_uri, Path):
        if not artifact_uri.is_file():
            raise InvalidParameter(f"artifact {artifact_uri} is not a file")
        computed = _sha256_file(artifact_uri)
        if checksum is not None and _normalise(checksum) != computed:
            raise InvalidParameter(f"artifact {artifact_uri} does not match checksum {checksum}")
        return artifact_uri.resolve().as_uri(), computed
    uri = check_uri(artifact_uri)
    if checksum is None:
        raise InvalidParameter(
            "checksum is required for an artifact given by URI (or pass a pathlib.Path to "
            "a local file to have it hashed)"
        )
    return uri, _normalise(checksum)


def _normalise(checksum: Any) -> str:
    if not isinstance(checksum, str):
        raise InvalidParameter("checksum must be a string such as 'sha256:<64 hex digits>'")
    match = _CHECKSUM.match(checksum.strip())
    if match is None:
        raise InvalidParameter(
            f"checksum {checksum[:80]!r} is not 'algo:hex' (sha256, sha512, sha1, md5, blake2b)"
        )
    algo = match.group(1) or "sha256"
    return f"{algo}:{match.group(2).lower()}"


def json_payload(value: Any, what: str) -> str:
    """A dict stored as canonical JSON, bounded in size."""
    if value is None:
        return "{}"
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InvalidParameter(f"{what} must be a dict with string keys")
    text = canonical(value, what)
    if len(text) > MAX_JSON:
        raise InvalidParameter(f"{what} is {len(text)} bytes as JSON; at most {MAX_JSON}")
    return text


def profile_bytes(profile: Any) -> tuple[bytes, str | None]:
    """The serialised bytes of a profile (a driftline Profile or its ``to_bytes()``) and
    its fingerprint when known. Bytes are stored as given, never unpickled.

    Bytes are decoded first (``Profile.from_bytes``, driftline's own format): what the
    registry keeps must read back as a profile when the version is monitored.
    """
    if isinstance(profile, (bytes, bytearray, memoryview)):
        data = bytes(profile)
        from driftline import Profile
        from driftline.exceptions import DriftlineError

        try:
            decoded = Profile.from_bytes(data)
        except DriftlineError as exc:
            raise InvalidParameter(f"reference_profile is not a driftline profile: {exc}") from None
        return data, _fingerprint(decoded)
    to_bytes = getattr(profile, "to_bytes", None)
    if to_bytes is None:
        raise InvalidParameter("reference_profile must be a driftline Profile or its bytes")
    return bytes(to_bytes()), _fingerprint(profile)


def _fingerprint(profile: Any) -> str | None:
    fingerprint = getattr(profile, "fingerprint", None)
    if fingerprint is None:
        return None
    text = str(fingerprint)
    if len(text) > _FINGERPRINT_LENGTH:
        raise InvalidParameter(
            f"the profile's fingerprint is {len(text)} characters long; at most "
            f"{_FINGERPRINT_LENGTH}"
        )
    return text

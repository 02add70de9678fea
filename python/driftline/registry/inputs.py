"""Checks on user-supplied strings: names, tags, aliases and artifact URIs.

Names are stored literally (quotes, SQL fragments and unicode are fine: every query is
parameterised) but must be printable and of bounded length. No name or URI is ever turned
into a local path by the registry; artifact URIs are checked for path traversal all the same,
because other tools will resolve them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from driftline.exceptions import InvalidParameter

__all__ = [
    "MAX_NAME",
    "MAX_TEXT",
    "check_alias",
    "check_dataset_name",
    "check_name",
    "check_tags",
    "check_text",
    "check_uri",
]

MAX_NAME = 256
MAX_TEXT = 65_536
MAX_URI = 4096
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


def check_name(value: Any, what: str = "name", limit: int = MAX_NAME) -> str:
    """Return ``value`` unchanged if it is a usable name, else raise InvalidParameter.

    ``limit`` is the length of the column it goes to, when shorter than a name's.
    """
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a string, not {type(value).__name__}")
    if not value or value != value.strip():
        raise InvalidParameter(f"{what} must be non-empty without leading or trailing spaces")
    if len(value) > limit:
        raise InvalidParameter(
            f"{what} is {len(value)} characters long; at most {limit} are allowed"
        )
    if _has_control(value):
        raise InvalidParameter(f"{what} contains control characters")
    return value


def check_text(value: Any, what: str, limit: int = MAX_TEXT) -> str | None:
    """Free text (descriptions, comments): stored literally, bounded, no NUL and no lone
    surrogate (which has no UTF-8 form: the database would refuse it mid-transaction)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{what} must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise InvalidParameter(f"{what} is {len(value)} characters long; at most {limit}")
    if "\x00" in value:
        raise InvalidParameter(f"{what} contains a NUL character")
    try:
        value.encode("utf-8")  # fails exactly on surrogates (category Cs), and fast
    except UnicodeEncodeError:
        raise InvalidParameter(
            f"{what} contains a lone surrogate (text that is not valid UTF-8)"
        ) from None
    return value


_VERSION_SUFFIX = re.compile(r"@[0-9]+$")


def check_dataset_name(value: Any) -> str:
    """A dataset name: a name that does not end in ``@<digits>``, since ``name@3`` refers
    to version 3 of ``name`` (``train@1`` would be ambiguous)."""
    name = check_name(value, "dataset name")
    if _VERSION_SUFFIX.search(name):
        raise InvalidParameter(
            f"dataset name {name!r} ends in '@<digits>', which reads as a version "
            "reference ('name@3'): choose another name"
        )
    return name


def check_alias(value: Any) -> str:
    """Aliases (``champion``, ``challenger``): a letter then letters, digits, ``_.-``."""
    if not isinstance(value, str) or not _ALIAS.match(value):
        raise InvalidParameter(
            "alias must start with a letter and hold at most 64 letters, digits, '_', '.', '-'"
        )
    return value


def check_tags(tags: Any) -> dict[str, str]:
    """A mapping of tag names to string values."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidParameter("tags must be a dict of str to str")
    out: dict[str, str] = {}
    for key, value in tags.items():
        check_name(key, "tag name")
        if not isinstance(value, str):
            raise InvalidParameter(f"tag {key!r} must have a string value")
        out[key] = check_text(value, f"tag {key!r}", MAX_NAME) or ""
    return out


def check_uri(value: Any, what: str = "artifact_uri") -> str:
    """An artifact or data URI: a scheme (``s3://``, ``file://`` ...) or an absolute path.

    Refused: relative paths, any ``..`` segment (also percent-encoded or with
    backslashes), control characters, and URIs over 4096 characters.
    """
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"{what} must be a non-empty string")
    if len(value) > MAX_URI:
        raise InvalidParameter(f"{what} is {len(value)} characters long; at most {MAX_URI}")
    if _has_control(value):
        raise InvalidParameter(f"{what} contains control characters")
    decoded = value
    for _ in range(3):  # double-encoding (%252e) decodes in more than one step
        decoded = unquote(decoded)
    if _has_control(decoded):
        # %00 or %0a: whatever resolves the URI later would see the character itself.
        raise InvalidParameter(f"{what} contains percent-encoded control characters")
    segments = re.split(r"[/\\]", decoded)
    if any(segment == ".." for segment in segments):
        raise InvalidParameter(f"{what} {value!r} contains a '..' path segment (path traversal)")
    parts = urlsplit(value)
    if parts.scheme and _SCHEME.match(parts.scheme) and "://" in value:
        return value
    if value.startswith("/"):
        return value
    raise InvalidParameter(
        f"{what} {value!r} must be a URI with a scheme (s3://, file://, ...) or an absolute path"
    )

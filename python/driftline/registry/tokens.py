"""Access tokens: 256 random bits behind a recognisable prefix, stored only as SHA-256.

A token looks like ``dlt_`` followed by 43 URL-safe characters. It is shown once, when it is
created; the database keeps its SHA-256 hash, so a copy of the database does not give anyone
a working token. Tokens are never logged and never appear in a ``repr``.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["PREFIX", "TOKEN_BYTES", "hash_token", "looks_like_token", "new_token", "new_token_id"]

PREFIX = "dlt_"
TOKEN_BYTES = 32  # 256 bits


def new_token() -> str:
    """A fresh random token (``dlt_`` + 256 bits, URL-safe base64)."""
    return PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def new_token_id() -> str:
    """A public identifier for a token (to list and revoke it); reveals nothing of it."""
    return "tok_" + secrets.token_hex(8)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: object) -> bool:
    """Whether ``token`` has the shape of a driftline token (prefix and length)."""
    return (
        isinstance(token, str)
        and token.startswith(PREFIX)
        and 40 <= len(token) <= 100
        and token.isascii()
    )

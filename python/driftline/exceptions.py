"""The exceptions driftline raises.

Every error driftline raises derives from :class:`DriftlineError`::

    DriftlineError
    ├── SchemaError          a column missing, of an unsupported type, or schemas that differ
    ├── DataError            data that cannot be used as given (bad values, lengths)
    ├── InvalidParameter     an option outside its domain (also a ValueError)
    ├── DecodeError          bytes that are not a valid driftline serialisation
    ├── PermissionDenied     the registry refused an action to this identity
    ├── NotFound             a registry object that does not exist
    └── ConflictError        a stale update, an illegal transition, a duplicate name

The native module raises the same classes: they are created here and handed to it at
import time, so ``except driftline.exceptions.SchemaError`` catches both.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "DataError",
    "DecodeError",
    "DriftlineError",
    "InvalidParameter",
    "NotFound",
    "PermissionDenied",
    "SchemaError",
]


class DriftlineError(Exception):
    """Base class of every error driftline raises."""


class SchemaError(DriftlineError):
    """A column is missing, has an unsupported type, or two schemas do not match."""


class DataError(DriftlineError):
    """The data cannot be used as given (invalid values, mismatched lengths)."""


class InvalidParameter(DriftlineError, ValueError):
    """An option or argument is outside its domain."""


class DecodeError(DriftlineError):
    """Bytes are truncated, corrupted, foreign, or of an incompatible format version."""


class PermissionDenied(DriftlineError):
    """The registry refused the action to the calling identity (the denial is audited)."""


class NotFound(DriftlineError):
    """A registry object (model, version, dataset, user, token) does not exist."""


class ConflictError(DriftlineError):
    """A stale update, an illegal lifecycle transition, or a duplicate name."""

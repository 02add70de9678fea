"""Checks and normalisation of the options shared by :func:`~driftline.performance`,
:func:`~driftline.fairness` and their partials, before the native call.

NumPy scalars become Python values here: scikit-learn hands them out everywhere (a
classifier's ``classes_`` are ``np.int64``, ``np.str_`` or ``np.bool_``), and the native
layer reads Python ``bool``, ``int``, ``float``, ``str`` and dates only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from driftline.exceptions import InvalidParameter

# datetime64 units finer than a microsecond: ``.item()`` gives their raw integer, not a
# datetime, so they are first cast to microseconds (the finest unit Python's datetime has).
_SUB_MICRO = frozenset({"ns", "ps", "fs", "as"})


def python_value(value: Any) -> Any:
    """``value`` as a plain Python value: a NumPy scalar (``np.int64``, ``np.bool_``,
    ``np.float32``, ``np.str_``, ``np.datetime64`` ...) becomes the Python value it holds;
    tuples and lists are converted element by element; anything else is returned as is.

    Examples
    --------
    >>> import numpy as np
    >>> python_value(np.int64(3)), python_value((np.bool_(True), "a"))
    (3, (True, 'a'))
    """
    if isinstance(value, tuple):
        return tuple(python_value(v) for v in value)
    if isinstance(value, list):
        return [python_value(v) for v in value]
    if isinstance(value, np.datetime64) and np.datetime_data(value.dtype)[0] in _SUB_MICRO:
        value = value.astype("datetime64[us]")
    if isinstance(value, np.generic):
        return value.item()
    return value


def unique_columns(parameter: str, names: Iterable[str]) -> list[str]:
    """``names`` as a list, refused with :class:`~driftline.exceptions.InvalidParameter`
    naming ``parameter`` when a column is named twice (a result table cannot hold two
    columns of one name).

    Examples
    --------
    >>> unique_columns("segment_by", ["a", "b"])
    ['a', 'b']
    """
    out: list[str] = []
    for name in names:
        if name in out:
            raise InvalidParameter(f"{parameter}: column {name!r} named twice")
        out.append(name)
    return out

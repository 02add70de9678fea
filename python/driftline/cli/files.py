"""The data files commands read besides Parquet (CSV, Arrow IPC).

A file pyarrow cannot parse (a ragged CSV row, bytes that are not Arrow) is the user's
mistake: it becomes a :class:`~driftline.exceptions.DataError` naming the file, which
:func:`~driftline.cli.registry.fail_on_error` prints as one line with exit status 2. The
gates (``drift --fail-on-drift``, ``validate``) keep status 1 for "the checks failed", so a
broken input must never look like a failed check, nor a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from driftline.exceptions import DataError

__all__ = ["ARROW_SUFFIXES", "read_arrow_file", "read_csv"]

ARROW_SUFFIXES = (".arrow", ".feather", ".ipc")


def read_csv(path: Path) -> pa.Table:
    """The CSV file at ``path`` as a table.

    Raises
    ------
    OSError
        The file cannot be opened (missing, a directory, no permission).
    DataError
        It is not a CSV file pyarrow can read (its message names the file and the row).
    """
    import pyarrow.csv as pacsv

    try:
        return pacsv.read_csv(path)
    except OSError:
        raise
    except (pa.ArrowException, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None


def read_arrow_file(path: Path) -> pa.Table:
    """The Arrow IPC (Feather v2) file at ``path`` as a table, its buffers validated.

    Raises
    ------
    OSError
        The file cannot be opened.
    DataError
        It is not a valid Arrow file.
    """
    import pyarrow.feather as feather

    try:
        table = feather.read_table(path)
        # Like a server body, a file's offsets are only trusted once checked.
        table.validate(full=True)
    except OSError:
        raise
    except (pa.ArrowException, ValueError) as exc:
        raise DataError(f"{path}: not a readable Arrow file ({exc})") from None
    return table

"""whylogs profiling the benchmark's Parquet file, for ``test_profile_whylogs``.

Run with the Python of a separate virtualenv (whylogs 1.6 needs numpy < 2)::

    python3 -m venv /tmp/whylogs-venv
    /tmp/whylogs-venv/bin/pip install "whylogs[viz]" "numpy<2" "pandas<3" "pyarrow<22"
    /tmp/whylogs-venv/bin/python benches/whylogs_baseline.py wide.parquet

Prints one JSON line: the seconds of ``why.log`` on the table read into pandas (reading is
not timed) and the whylogs version.
"""

from __future__ import annotations

import json
import sys
import time

import pyarrow.parquet as pq
import whylogs as why


def main(path: str) -> None:
    """Reads ``path`` into pandas, then times one ``why.log`` of it."""
    df = pq.read_table(path).to_pandas()
    start = time.perf_counter()
    result = why.log(df)
    seconds = time.perf_counter() - start
    columns = len(result.view().get_columns())
    print(json.dumps({"seconds": seconds, "columns": columns, "version": why.__version__}))


if __name__ == "__main__":
    main(sys.argv[1])

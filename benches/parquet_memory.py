"""Peak memory of reading or profiling a Parquet file, measured in a fresh process.

``python benches/parquet_memory.py driftline|pyarrow FILE`` prints one JSON line: the
seconds of the work, the peak resident set size of the process (``ru_maxrss``) and the
resident size right after the imports, before the work.

The peak is the address space's high-water mark (``VmHWM`` in ``/proc/self/status``),
not ``ru_maxrss``: on Linux ``ru_maxrss`` survives fork and exec, so a child started by a
benchmark process that holds gigabytes of test data would report the parent's peak.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _rss_bytes() -> int:
    """Peak resident bytes of this process's own address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    # Elsewhere ru_maxrss (KiB on Linux, the fallback when /proc is not mounted).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(mode: str, path: str) -> None:
    """Runs ``mode`` on ``path`` and prints the measurements."""
    import pyarrow.parquet as pq

    import driftline as dl

    base = _rss_bytes()
    start = time.perf_counter()
    if mode == "driftline":
        rows = dl.profile_parquet(path, progress=False).row_count
    elif mode == "pyarrow":
        rows = pq.read_table(path).num_rows
    else:
        raise SystemExit(f"unknown mode {mode!r}: driftline or pyarrow")
    seconds = time.perf_counter() - start
    print(
        json.dumps({"seconds": seconds, "peak_rss": _rss_bytes(), "import_rss": base, "rows": rows})
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

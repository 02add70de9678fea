"""scouter-ml's per-record ``insert`` of 25 float features into a PSI queue, with its mock
transport (no server): median and p99 of one insert, in microseconds, as one JSON line.

Usage (in scouter's own venv): LOG_LEVEL=error python scouter_insert.py N
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LOG_LEVEL", "error")

import numpy as np
from scouter import Drifter, Features, PsiDriftConfig, ScouterQueue
from scouter.mock import MockConfig


def main() -> None:
    n = int(sys.argv[1])
    rng = np.random.default_rng(0)
    cols = [f"f{i:02d}" for i in range(25)]
    ref = {c: rng.normal(i, 1 + i / 10, 50_000) for i, c in enumerate(cols)}
    import pyarrow as pa
    from scouter.types import ScouterDataType

    cfg = PsiDriftConfig(space="bench", name="bench", version="0.1.0")
    profile = Drifter().create_drift_profile(pa.table(ref), cfg, ScouterDataType.Arrow)
    with tempfile.TemporaryDirectory() as d:
        path = profile.save_to_json(Path(d) / "psi.json")
        queues = ScouterQueue.from_path({"psi": path}, transport_config=MockConfig())
        q = queues["psi"]
        row = {c: float(ref[c][0]) for c in cols}
        t = np.empty(n, dtype=np.int64)
        clock = time.perf_counter_ns
        for i in range(n):
            t0 = clock()
            q.insert(Features(row))
            t[i] = clock() - t0
        queues.shutdown()
    print(
        json.dumps(
            {"median_us": float(np.median(t)) / 1e3, "p99_us": float(np.percentile(t, 99)) / 1e3}
        )
    )


if __name__ == "__main__":
    main()

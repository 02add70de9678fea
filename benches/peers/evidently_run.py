"""Runs Evidently's data drift preset on two Parquet files (in Evidently's own venv).

Usage: python evidently_run.py REF.parquet CUR.parquet [CUR2.parquet ...]
Prints one JSON line per current file: seconds for ``Report.run`` (pandas input prepared
outside the timing) and the columns Evidently flags.
"""

import json
import sys
import time

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def flagged(snapshot) -> list[str]:
    out = []
    for m in snapshot.dict()["metrics"]:
        name = m.get("metric_name", "") or ""
        cfg = m.get("config", {}) or {}
        col = cfg.get("column")
        thr = cfg.get("threshold")
        val = m.get("value")
        if col is None or not name.startswith("ValueDrift") or not isinstance(val, int | float):
            continue
        method = (cfg.get("method") or "").lower()
        # p-value methods flag below the threshold, distances at or above it
        is_p = "p_value" in method or "test" in method or method in ("ks", "chisquare", "z")
        if (val < thr) if is_p else (val >= thr):
            out.append(col)
    return out


def main() -> None:
    ref = pd.read_parquet(sys.argv[1])
    for path in sys.argv[2:]:
        cur = pd.read_parquet(path)
        t0 = time.perf_counter()
        snap = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
        dt = time.perf_counter() - t0
        print(json.dumps({"file": path, "seconds": dt, "flagged": flagged(snap)}), flush=True)


if __name__ == "__main__":
    main()

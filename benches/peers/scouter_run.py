"""Runs scouter-ml's PSI drift on two Parquet files (in scouter's own venv).

Usage: LOG_LEVEL=error python scouter_run.py REF.parquet CAT1,CAT2 CUR.parquet [...]
Prints one JSON line per current file: seconds to build the reference PSI profile and to
compute drift, and each feature's PSI and the alert's alpha.
"""

import json
import os
import sys
import time

os.environ.setdefault("LOG_LEVEL", "error")

import pyarrow.parquet as pq
from scouter.drift import Drifter, PsiDriftConfig
from scouter.types import ScouterDataType


def main() -> None:
    ref = pq.read_table(sys.argv[1])
    cats = [c for c in sys.argv[2].split(",") if c]
    for path in sys.argv[3:]:
        cur = pq.read_table(path)
        t0 = time.perf_counter()
        cfg = PsiDriftConfig(
            space="bench", name="bench", version="0.1.0", categorical_features=cats
        )
        drifter = Drifter()
        profile = drifter.create_drift_profile(ref, cfg, ScouterDataType.Arrow)
        t1 = time.perf_counter()
        drift = drifter.compute_drift(cur, profile, ScouterDataType.Arrow)
        t2 = time.perf_counter()
        # The default alert is a chi-square threshold on PSI (alpha); the caller turns it
        # into a critical value per feature (it has scipy; this venv need not).
        alpha = float(cfg.alert_config.threshold.alpha)
        print(
            json.dumps(
                {
                    "file": path,
                    "profile_seconds": t1 - t0,
                    "drift_seconds": t2 - t1,
                    "alpha": alpha,
                    "psi": dict(drift.features),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Demo step: a credit-scoring model whose approvals are biased, caught by ``dl.fairness``.

Synthetic applications: income, debt ratio, years of credit history, an age band and sex.
Whether an applicant repays depends on the finances only; the model's score adds a
penalty for women (the bias a proxy feature smuggles in), so its approvals breach the
four-fifths rule (disparate impact under 0.8) although repayment does not differ by sex.

The fairness report is the model version's evaluation: it is stored as the version's
metrics in the registry (``metrics["fairness"]``) and as JSON under the output folder.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow as pa

import driftline as dl
from driftline.demo.steps import DemoContext

__all__ = ["CREDIT_MODEL", "credit_fairness", "credit_table"]

CREDIT_MODEL = "credit-scoring"
FAIRNESS_FILE = "credit-fairness.json"
_AGE_BANDS = np.array(["18-25", "26-40", "41-60", "60+"])


def credit_table(rows: int = 20_000, *, seed: int = 11, bias: float = 1.2) -> pa.Table:
    """Applications with the label ``repaid`` and the model's ``score`` and ``approved``.

    ``bias`` is the score penalty (in log-odds) given to women; 0 gives a fair model.
    """
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M"]), rows)
    age_band = rng.choice(_AGE_BANDS, rows, p=[0.15, 0.4, 0.33, 0.12])
    income = rng.lognormal(10.6, 0.45, rows)
    debt_ratio = np.clip(rng.beta(2.0, 5.0, rows), 0.0, 1.0)
    history = np.clip(rng.gamma(2.0, 4.0, rows), 0.0, 45.0)
    z = -1.0 + 1.3 * (np.log(income) - 10.6) / 0.45 - 3.5 * (debt_ratio - 0.28) + 0.06 * history
    repaid = rng.random(rows) < 1.0 / (1.0 + np.exp(-(z + 1.5)))
    score_logit = z + 1.2 + rng.normal(0.0, 0.3, rows) - bias * (sex == "F")
    score = 1.0 / (1.0 + np.exp(-score_logit))
    return pa.table(
        {
            "sex": sex,
            "age_band": age_band,
            "income": income,
            "debt_ratio": debt_ratio,
            "credit_history_years": history,
            "repaid": repaid.astype(np.int8),
            "score": score,
            "approved": (score >= 0.5).astype(np.int8),
        }
    )


def credit_fairness(ctx: DemoContext) -> None:
    """Scores the applications, checks fairness and records the report on the version."""
    table = credit_table(seed=ctx.seed + 4)
    report = dl.fairness(
        table, prediction="approved", label="repaid", score="score", sensitive=["sex"]
    )
    by_age = dl.fairness(table, prediction="approved", label="repaid", sensitive=["age_band"])
    di = report.disparate_impact
    rates = {
        str(g): float(r)
        for g, r in zip(
            report.by_group["sex"].to_list(),
            report.by_group["selection_rate"].to_list(),
            strict=True,
        )
    }
    evaluation = {
        "sensitive": ["sex"],
        "disparate_impact": di,
        "passes_four_fifths": report.passes_four_fifths,
        "demographic_parity_difference": report.demographic_parity_difference,
        "equalized_odds_difference": report.equalized_odds_difference,
        "equal_opportunity_difference": report.equal_opportunity_difference,
        "selection_rate": rates,
        "age_band_passes_four_fifths": by_age.passes_four_fifths,
    }
    path = ctx.out / FAIRNESS_FILE
    path.write_text(
        json.dumps({"sex": report.to_dict(), "age_band": by_age.to_dict()}, indent=2),
        encoding="utf-8",
    )
    ctx.outputs.append(("credit fairness (JSON)", path))
    breach = report.passes_four_fifths is False
    rate_text = ", ".join(f"{g} {r:.1%}" for g, r in sorted(rates.items()))
    ctx.console.print(
        f"  {table.num_rows:,} applications; approval rate by sex: {rate_text}"
        f"\n  disparate impact {di:.3f} -> four-fifths rule "
        f"{'BREACHED' if breach else 'met'}; by age band: "
        f"{'met' if by_age.passes_four_fifths else 'breached'}"
    )
    sessions = ctx.artefacts.get("sessions")
    if sessions is not None:
        dana = sessions["dana"]
        dana.create_model(CREDIT_MODEL, description="Loan approvals (synthetic)")
        version = dana.register_version(
            CREDIT_MODEL,
            artifact_uri=f"s3://models/{CREDIT_MODEL}/1",
            checksum=hashlib.sha256(b"demo credit model").hexdigest(),
            metrics={"auc": _auc(table), "fairness": evaluation},
            tags={"fairness": "four-fifths breached" if breach else "four-fifths met"},
        )
        ctx.console.print(
            f"  {CREDIT_MODEL} v{version.version}: fairness evaluation recorded on the version"
            f" (metrics['fairness'])"
        )
        ctx.artefacts["credit_version"] = (CREDIT_MODEL, version.version)
    ctx.artefacts["credit_fairness"] = report
    ctx.artefacts["credit_fairness_path"] = path


def _auc(table: pa.Table) -> float | None:
    perf = dl.performance(table, prediction="approved", label="repaid", score="score")
    v = perf.roc_auc
    return None if v is None else round(float(v), 4)

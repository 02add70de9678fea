# --- fairness and performance (rust/python/src/fairness.rs, performance.rs) ---
from typing import Any

__version__: str

def fairness(
    data: Any,
    *,
    prediction: str,
    label: str | None,
    sensitive: list[str],
    score: str | None,
    positive: bool | int | float | str,
    reference_group: Any,
    min_group_size: int,
    task: str,
    segment_by: list[str],
) -> dict[str, Any]: ...
def performance(
    data: Any,
    *,
    prediction: str,
    label: str,
    score: str | None,
    task: str,
    positive: bool | int | float | str,
    segment_by: list[str],
) -> dict[str, Any]: ...
def roc_auc(data: Any, *, label: str, score: str, positive: bool | int | float | str) -> float: ...
def estimate_performance(
    reference: Any,
    current: Any,
    *,
    prediction: str,
    label: str,
    score: str,
    positive: bool | int | float | str,
    method: str,
) -> dict[str, Any]: ...

"""Type stubs of the native module ``driftline._native`` (checked with mypy.stubtest)."""

from collections.abc import Sequence
from typing import Any

__version__: str

# -- profiles ------------------------------------------------------------------------------
class Profile:
    @property
    def row_count(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def schema_hash(self) -> str: ...
    @property
    def segment_by(self) -> str | None: ...
    def segment_keys(self) -> list[str]: ...
    def segment(self, key: str) -> Profile: ...
    def column_stats(self, name: str) -> dict[str, Any]: ...
    def frequencies(self, name: str) -> list[tuple[str, int]] | None: ...
    def quantiles(self, name: str, qs: Sequence[float]) -> list[float | None]: ...
    def rank(self, name: str, x: float) -> float | None: ...
    def cdf_points(self, name: str) -> tuple[list[float], list[int]]: ...
    def quantile_edges(self, name: str, bins: int) -> list[float]: ...
    def merge(self, other: Profile) -> Profile: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> Profile: ...

def profile(
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    edges: dict[str, Sequence[float]] | None = None,
    bins: int | None = None,
    segment_by: str | None = None,
    threads: int | None = None,
    kll_k: int | None = None,
    hll_p: int | None = None,
    freq_cap: int | None = None,
) -> Profile: ...
def merge_profiles(profiles: Sequence[Profile]) -> Profile: ...

# --- fairness and performance (rust/python/src/fairness.rs, performance.rs) ---
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

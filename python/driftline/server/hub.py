"""The monitors a server runs: created from a JSON configuration, fed over HTTP, exported
to ``/metrics``.

A monitor's reference is a registered version's reference profile (never a file named by
the caller); policies come from a fixed table of kinds with checked options; actions are
not configurable over HTTP (no URL, command or path from a request is ever used): each
monitor logs its triggers and keeps them in its outbox, which the trigger routes expose.
With ``state_dir``, each monitor keeps durable state in a file named by a server-made id.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from driftline.exceptions import ConflictError, InvalidParameter, NotFound
from driftline.server.limits import Int64

__all__ = ["MonitorConfig", "MonitorHub", "PolicyConfig", "ServedMonitor"]

_METRIC = r"^[a-z][a-z0-9_]{0,63}$"
_COLUMN = Annotated[str, Field(min_length=1, max_length=256)]
_DURATION = r"^[0-9]+(\.[0-9]+)?(s|m|h|d|w)?$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyConfig(_Body):
    """One policy: its kind and the options that kind takes (checked by the policy)."""

    type: Literal["drift", "performance", "fairness", "data_quality", "schedule"]
    name: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    consecutive: Annotated[int, Field(ge=1, le=1000)] = 1
    cooldown: Annotated[str, Field(pattern=_DURATION)] | float | None = None
    clear: float | None = None
    # drift
    features: Annotated[int, Field(ge=1, le=100_000)] | None = None
    share: Annotated[float, Field(gt=0, le=1)] | None = None
    method: Annotated[str, Field(pattern=_METRIC)] | None = None
    feature_threshold: float | None = None
    columns: list[_COLUMN] | None = None
    # performance and fairness
    metric: Annotated[str, Field(pattern=_METRIC)] | None = None
    floor: float | None = None
    ceiling: float | None = None
    baseline: float | None = None
    drop: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    # data quality
    null_rate_increase: float | None = None
    unseen_categories: bool | None = None
    range_violations: float | None = None
    # schedule
    every: Annotated[str, Field(pattern=_DURATION)] | float | None = None

    def build(self) -> Any:
        """The policy object (``InvalidParameter`` when the options do not fit the kind)."""
        from driftline import policies

        kinds = {
            "drift": policies.Drift,
            "performance": policies.Performance,
            "fairness": policies.Fairness,
            "data_quality": policies.DataQuality,
            "schedule": policies.Schedule,
        }
        options = self.model_dump(exclude_none=True, exclude={"type"})
        if self.type == "schedule":
            options = {k: v for k, v in options.items() if k in ("every", "name")}
        try:
            return kinds[self.type](**options)
        except InvalidParameter:
            raise  # the policy's own message already names the kind and the argument
        except (TypeError, ValueError) as exc:
            raise InvalidParameter(f"policy {self.type}: {exc}") from None


class MonitorConfig(_Body):
    """A monitor to create: what to watch, against which registered version, how."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    model: Annotated[str, Field(min_length=1, max_length=256)]
    version: Annotated[str, Field(min_length=1, max_length=256)] | Int64
    features: list[_COLUMN] | None = None
    prediction: _COLUMN | None = None
    label: _COLUMN | None = None
    score: _COLUMN | None = None
    sensitive: list[_COLUMN] | None = None
    segment_by: _COLUMN | None = None
    task: Literal["binary", "multiclass", "regression"] = "binary"
    window: (
        Annotated[int, Field(ge=1, le=100_000_000)] | Annotated[str, Field(pattern=_DURATION)]
    ) = 10_000
    policies: Annotated[list[PolicyConfig], Field(max_length=32)] = []
    history: Annotated[int, Field(ge=1, le=10_000)] = 500

    @field_validator("features", "sensitive")
    @classmethod
    def _unique(cls, columns: list[str] | None) -> list[str] | None:
        """A column listed twice would make every window fail to profile: refused here
        (a 422 naming the column) rather than accepted and silent."""
        if columns is not None:
            repeated = [c for c, n in Counter(columns).items() if n > 1]
            if repeated:
                raise ValueError(f"columns must be listed once; repeated: {repeated[:20]}")
        return columns


@dataclass
class ServedMonitor:
    """A monitor with what the server knows about it."""

    config: MonitorConfig
    monitor: Any
    created_by: str
    created_at: float
    state_id: str
    batches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict[str, Any]:
        """Configuration and counters."""
        m = self.monitor
        return {
            "name": self.config.name,
            "model": self.config.model,
            "version": self.config.version,
            "features": list(m.features),
            "segment_by": m.segment_by,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "batches": self.batches,
            "policies": [p.model_dump(exclude_none=True) for p in self.config.policies],
            **m.metrics_snapshot(),
        }


class MonitorHub:
    """The server's monitors by name.

    Parameters
    ----------
    state_dir
        Folder for durable monitor state (one SQLite file per monitor, named by a random
        id); None keeps state in memory.
    max_monitors
        Creating more answers 409.
    """

    def __init__(self, state_dir: Path | None = None, max_monitors: int = 100) -> None:
        self._state_dir = state_dir
        self._max = max_monitors
        self._monitors: dict[str, ServedMonitor] = {}
        self._lock = threading.Lock()

    def create(self, config: MonitorConfig, session: Any) -> ServedMonitor:
        """Build a monitor on the version's reference profile (read with ``session``).

        Its only action is :class:`~driftline.actions.Log`; with ``state_dir`` its state
        file is named by a random id, never by anything the request says.
        """
        state_id = secrets.token_hex(8)
        state = None if self._state_dir is None else self._state_dir / f"monitor-{state_id}.db"
        return self._start(config, session, state_id, state, actions=None, dispatch="inline")

    def declare(self, config: MonitorConfig, session: Any, actions: Sequence[Any]) -> ServedMonitor:
        """Start a monitor the operator declared (``driftline serve --monitors``).

        Its state and outbox live in ``state_dir/declared-<name>.db``, the same file on
        every start, so that a restarted server resumes its windows and policy states and
        delivers what the previous process decided but did not deliver; a background
        dispatcher runs its actions (webhooks, commands).
        """
        if self._state_dir is None:
            raise InvalidParameter("declared monitors need a state folder (state_dir)")
        if not valid_monitor_name(config.name):
            raise InvalidParameter(f"invalid monitor name {config.name!r}")
        state = self._state_dir / f"declared-{config.name}.db"
        return self._start(
            config, session, f"declared-{config.name}", state, actions, dispatch="background"
        )

    def _start(
        self,
        config: MonitorConfig,
        session: Any,
        state_id: str,
        state: Path | None,
        actions: Sequence[Any] | None,
        dispatch: str,
    ) -> ServedMonitor:
        from driftline.actions import Log
        from driftline.monitor import Monitor

        version = config.version
        key = (
            int(version)
            if isinstance(version, str) and version.isdecimal() and len(version) < 19
            else version
        )
        reference = session.reference_profile(config.model, key)
        if reference is None:
            raise InvalidParameter(f"{config.model} version {version} has no reference profile")
        policies = [p.build() for p in config.policies]
        with self._lock:
            if config.name in self._monitors:
                raise ConflictError(f"monitor {config.name!r} exists")
            if len(self._monitors) >= self._max:
                raise ConflictError(f"this server runs at most {self._max} monitors")
            try:
                monitor = Monitor(
                    reference,
                    features=config.features,
                    prediction=config.prediction,
                    label=config.label,
                    score=config.score,
                    sensitive=config.sensitive,
                    segment_by=config.segment_by,
                    task=config.task,
                    window=config.window,
                    policies=policies,
                    actions=[Log()] if actions is None else list(actions),
                    state=state,
                    name=config.name,
                    registry=session,
                    model=config.model,
                    dispatch=dispatch,
                    history=config.history,
                )
            except (TypeError, ValueError) as exc:
                raise InvalidParameter(str(exc)) from None
            served = ServedMonitor(config, monitor, session.user, time.time(), state_id)
            self._monitors[config.name] = served
        return served

    def get(self, name: str) -> ServedMonitor:
        """A monitor by name (``NotFound`` otherwise)."""
        with self._lock:
            found = self._monitors.get(name)
        if found is None:
            raise NotFound(f"monitor {name!r} does not exist")
        return found

    def remove(self, name: str) -> None:
        """Stop and forget a monitor."""
        with self._lock:
            served = self._monitors.pop(name, None)
        if served is None:
            raise NotFound(f"monitor {name!r} does not exist")
        served.monitor.close()

    def __iter__(self) -> Iterator[ServedMonitor]:
        with self._lock:
            return iter(list(self._monitors.values()))

    def close(self) -> None:
        """Stop every monitor."""
        for served in self:
            served.monitor.close()

    def collect(self) -> list[Any]:
        """Every monitor's metric families merged by name (one family, many samples)."""
        merged: dict[str, Any] = {}
        for served in self:
            for family in served.monitor.metrics_collector().collect():
                if family.name in merged:
                    merged[family.name].samples.extend(family.samples)
                else:
                    merged[family.name] = family
        return list(merged.values())


def valid_monitor_name(name: str) -> bool:
    """Whether a path segment can name a monitor."""
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", name) is not None

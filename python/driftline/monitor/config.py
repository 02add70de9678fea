"""Monitors, policies and actions from a TOML file (``driftline watch`` and ``triggers``).

.. code-block:: toml

    [monitor]
    name = "sales"
    reference = "reference.parquet"   # paths are relative to this file
    features = ["price", "units"]      # default: every reference column
    prediction = "pred"
    label = "y"
    window = "file"                    # one window per file; or 10000 (rows), or "1h"
    state = "sales.state.db"           # default: <config stem>.state.db next to the file

    [watch]
    folder = "incoming"
    pattern = "*.parquet"
    interval = 5.0                     # seconds between scans
    settle = 1.0                       # a file must be this old (mtime) to be read

    [[policies]]
    type = "drift"                     # drift, performance, fairness, data_quality, schedule
    features = 1
    cooldown = "6h"

    [[actions]]
    type = "webhook"                   # webhook, command, log
    url = "https://hooks.example.com/driftline"
    secret_env = "DRIFTLINE_WEBHOOK_SECRET"   # secrets come from the environment only

Secrets are never read from the file; ``Call`` and ``RequestRetraining`` need Python and
are not available from TOML.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline import policies as pol
from driftline.actions import Command, Log, Webhook
from driftline.actions.base import Action

__all__ = ["WatchConfig", "action_from_spec", "load_config"]

_POLICIES: dict[str, type[pol.Policy]] = {
    "drift": pol.Drift,
    "performance": pol.Performance,
    "fairness": pol.Fairness,
    "data_quality": pol.DataQuality,
    "schedule": pol.Schedule,
}


@dataclass
class WatchConfig:
    """A parsed configuration."""

    path: Path
    monitor: dict[str, Any]
    folder: Path
    pattern: str = "*.parquet"
    interval: float = 5.0
    settle: float = 1.0
    policies: list[pol.Policy] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    @property
    def state(self) -> Path:
        """The SQLite file of state, outbox and processed files."""
        return Path(self.monitor["state"])

    @property
    def per_file(self) -> bool:
        """True when each file is one window."""
        return bool(self.monitor.get("window", "file") == "file")

    def build_monitor(self, **overrides: Any) -> Any:
        """The configured :class:`~driftline.Monitor`."""
        from driftline.monitor import Monitor

        m = dict(self.monitor)
        window = m.pop("window", "file")
        m.pop("state")
        kwargs: dict[str, Any] = {
            "window": 2**62 if window == "file" else window,
            "policies": self.policies,
            "actions": self.actions,
            "state": self.state,
        }
        kwargs.update({k: v for k, v in m.items() if k != "reference"})
        kwargs.update(overrides)
        return Monitor(m["reference"], **kwargs)


def action_from_spec(spec: dict[str, Any], where: str) -> Action:
    """An action from its TOML table (``type`` = webhook, command or log); secrets come
    from the environment variable it names. ``ValueError`` names ``where`` and the fault."""
    try:
        return _action(spec, where)
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _action(spec: dict[str, Any], where: str) -> Action:
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind == "webhook":
        env = spec.pop("secret_env", "DRIFTLINE_WEBHOOK_SECRET")
        if "secret" in spec:
            raise ValueError(f"{where}: put the secret in the environment ({env}), not the file")
        secrets = [s for s in os.environ.get(env, "").split() if s]
        if not secrets:
            raise ValueError(f"{where}: environment variable {env} holds no whsec_ secret")
        return Webhook(spec.pop("url"), secret=secrets, **spec)
    if kind == "command":
        return Command(spec.pop("argv"), **spec)
    if kind == "log":
        return Log()
    raise ValueError(f"{where}: action type must be webhook, command or log, got {kind!r}")


def load_config(path: str | Path) -> WatchConfig:
    """Read and check a TOML configuration.

    Raises
    ------
    ValueError
        Naming the table and key at fault.
    """
    path = Path(path).resolve()
    with path.open("rb") as f:
        doc = tomllib.load(f)
    base = path.parent
    mon = dict(doc.get("monitor", {}))
    if "reference" not in mon:
        raise ValueError(f"{path}: [monitor] needs reference = 'file.parquet'")
    ref = Path(mon["reference"])
    mon["reference"] = str(ref if ref.is_absolute() else base / ref)
    mon.setdefault("name", path.stem)
    state = Path(mon.get("state", f"{path.stem}.state.db"))
    mon["state"] = str(state if state.is_absolute() else base / state)
    watch = dict(doc.get("watch", {}))
    folder = Path(watch.pop("folder", "incoming"))
    cfg = WatchConfig(path, mon, folder if folder.is_absolute() else base / folder)
    cfg.pattern = str(watch.pop("pattern", cfg.pattern))
    cfg.interval = float(watch.pop("interval", cfg.interval))
    cfg.settle = float(watch.pop("settle", cfg.settle))
    if watch:
        raise ValueError(f"{path}: unknown keys in [watch]: {sorted(watch)}")
    for i, spec in enumerate(doc.get("policies", [])):
        spec = dict(spec)
        kind = spec.pop("type", None)
        if kind not in _POLICIES:
            raise ValueError(f"{path}: policies[{i}].type must be one of {sorted(_POLICIES)}")
        try:
            cfg.policies.append(_POLICIES[kind](**spec))
        except TypeError as exc:
            raise ValueError(f"{path}: policies[{i}] ({kind}): {exc}") from exc
    for i, spec in enumerate(doc.get("actions", [])):
        cfg.actions.append(action_from_spec(spec, f"{path}: actions[{i}]"))
    return cfg

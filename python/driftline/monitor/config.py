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

import inspect
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline import policies as pol
from driftline.actions import Command, Log, Webhook
from driftline.actions.base import Action
from driftline.exceptions import InvalidParameter

__all__ = ["WatchConfig", "action_from_spec", "load_config", "policy_from_spec"]

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


# Keys each action table takes besides ``type`` (``secret_env`` names the variable holding
# the secret; ``sleep`` and other Python-only arguments are not configurable).
_ACTION_KEYS: dict[str, tuple[str, ...]] = {
    "webhook": (
        "url",
        "secret_env",
        "name",
        "max_attempts",
        "timeout",
        "backoff",
        "max_backoff",
        "max_elapsed",
        "allow_private",
        "allow_loopback",
    ),
    "command": ("argv", "name", "timeout"),
    "log": (),
}
_REQUIRED_ACTION_KEYS = {"webhook": ("url",), "command": ("argv",)}
# Monitor arguments a file cannot express (Python objects) or that have their own tables.
_NOT_IN_MONITOR_TABLE = {"policies", "actions", "clock", "registry"}


def action_from_spec(spec: dict[str, Any], where: str) -> Action:
    """An action from its TOML table (``type`` = webhook, command or log); secrets come
    from the environment variable it names.

    Raises
    ------
    InvalidParameter
        Naming ``where``, the action type and the key at fault (a missing or unknown key, a
        value the action refuses).
    """
    if not isinstance(spec, dict):
        raise InvalidParameter(f"{where}: an action is a table ([[actions]]), got {spec!r}")
    kind = spec.get("type")
    if kind not in _ACTION_KEYS:
        raise InvalidParameter(
            f"{where}: action type must be webhook, command or log, got {kind!r}"
        )
    where = f"{where} ({kind})"
    if kind == "webhook" and "secret" in spec:
        env = spec.get("secret_env", "DRIFTLINE_WEBHOOK_SECRET")
        raise InvalidParameter(f"{where}: put the secret in the environment ({env}), not the file")
    unknown = sorted(set(spec) - {"type", *_ACTION_KEYS[kind]})
    if unknown:
        raise InvalidParameter(
            f"{where}: unknown key(s) {unknown}; known: {', '.join(_ACTION_KEYS[kind]) or 'none'}"
        )
    for key in _REQUIRED_ACTION_KEYS.get(kind, ()):
        if key not in spec:
            raise InvalidParameter(f"{where}: missing key {key!r}")
    try:
        return _action(kind, {k: v for k, v in spec.items() if k != "type"}, where)
    except (TypeError, ValueError) as exc:
        # The constructors check types and domains (a negative timeout, a bad secret).
        raise InvalidParameter(f"{where}: {exc}") from None


def _action(kind: str, spec: dict[str, Any], where: str) -> Action:
    if kind == "webhook":
        env = spec.pop("secret_env", "DRIFTLINE_WEBHOOK_SECRET")
        secrets = [s for s in os.environ.get(str(env), "").split() if s]
        if not secrets:
            raise InvalidParameter(f"environment variable {env} holds no whsec_ secret")
        return Webhook(spec.pop("url"), secret=secrets, **spec)
    if kind == "command":
        return Command(spec.pop("argv"), **spec)
    return Log()


def policy_from_spec(spec: dict[str, Any], where: str) -> pol.Policy:
    """A policy from its TOML table (``type`` and the policy's arguments).

    Raises
    ------
    InvalidParameter
        Naming ``where``, the policy type and the argument at fault.
    """
    if not isinstance(spec, dict):
        raise InvalidParameter(f"{where}: a policy is a table ([[policies]]), got {spec!r}")
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in _POLICIES:
        raise InvalidParameter(f"{where}.type must be one of {sorted(_POLICIES)}, got {kind!r}")
    where = f"{where} ({kind})"
    known = _policy_keys(_POLICIES[kind])
    unknown = sorted(set(spec) - set(known))
    if unknown:
        raise InvalidParameter(f"{where}: unknown key(s) {unknown}; known: {', '.join(known)}")
    try:
        return _POLICIES[kind](**spec)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        # The policies' own messages start with their kind, which `where` already names.
        text = text.removeprefix(f"{kind}: ")
        raise InvalidParameter(f"{where}: {text}") from None


def _policy_keys(cls: type[pol.Policy]) -> list[str]:
    """The keyword arguments ``cls`` takes (its own, and the base class's it passes on)."""
    own = inspect.signature(cls.__init__).parameters.values()
    keys = [p.name for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in own):
        base = inspect.signature(pol.Policy.__init__).parameters.values()
        # The threshold is each kind's own argument (features, floor, minimum ...).
        keys += [p.name for p in base if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return keys


def _monitor_keys() -> list[str]:
    from driftline.monitor.monitor import Monitor

    params = inspect.signature(Monitor.__init__).parameters.values()
    names = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return ["reference", *(n for n in names if n not in _NOT_IN_MONITOR_TABLE)]


def _tables(doc: dict[str, Any], key: str, path: Path) -> list[Any]:
    found = doc.get(key, [])
    if not isinstance(found, list):
        raise InvalidParameter(f"{path}: {key} is an array of tables ([[{key}]]), not [{key}]")
    return found


def _seconds(path: Path, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InvalidParameter(f"{path}: [watch] {key} must be a number of seconds >= 0")
    return float(value)


def load_config(path: str | Path) -> WatchConfig:
    """Read and check a TOML configuration.

    Raises
    ------
    InvalidParameter
        Naming the file, the table and key at fault (a ``ValueError``, as is a file that
        is not TOML; ``OSError`` when the file cannot be read).
    """
    path = Path(path).resolve()
    with path.open("rb") as f:
        try:
            doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameter(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - {"monitor", "watch", "policies", "actions"})
    if unknown:
        raise InvalidParameter(
            f"{path}: unknown top-level keys {unknown}; known: monitor, watch, policies, actions"
        )
    base = path.parent
    mon = dict(doc.get("monitor", {}))
    if "reference" not in mon:
        raise InvalidParameter(f"{path}: [monitor] needs reference = 'file.parquet'")
    # Refused here rather than as a TypeError when the monitor is built, after the
    # watcher has started.
    known = _monitor_keys()
    bad = sorted(set(mon) - set(known))
    if bad:
        raise InvalidParameter(
            f"{path}: unknown keys in [monitor]: {bad}; known: {', '.join(known)}"
        )
    ref = Path(mon["reference"])
    mon["reference"] = str(ref if ref.is_absolute() else base / ref)
    mon.setdefault("name", path.stem)
    state = Path(mon.get("state", f"{path.stem}.state.db"))
    mon["state"] = str(state if state.is_absolute() else base / state)
    watch = dict(doc.get("watch", {}))
    folder = Path(watch.pop("folder", "incoming"))
    cfg = WatchConfig(path, mon, folder if folder.is_absolute() else base / folder)
    cfg.pattern = str(watch.pop("pattern", cfg.pattern))
    cfg.interval = _seconds(path, "interval", watch.pop("interval", cfg.interval))
    cfg.settle = _seconds(path, "settle", watch.pop("settle", cfg.settle))
    if watch:
        raise InvalidParameter(f"{path}: unknown keys in [watch]: {sorted(watch)}")
    for i, spec in enumerate(_tables(doc, "policies", path)):
        cfg.policies.append(policy_from_spec(spec, f"{path}: policies[{i}]"))
    for i, spec in enumerate(_tables(doc, "actions", path)):
        cfg.actions.append(action_from_spec(spec, f"{path}: actions[{i}]"))
    return cfg

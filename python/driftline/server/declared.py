"""Monitors the operator declares in a TOML file (``driftline serve --monitors FILE``).

Monitors created over HTTP log their triggers and live in memory: no URL, command or path
ever comes from a request. Monitors that must call out (webhooks, commands) or survive a
restart are declared by the operator instead, in a file the server reads at start:

.. code-block:: toml

    state_dir = "state"                  # durable state and outboxes (relative to this file)
    token_env = "DRIFTLINE_SERVE_TOKEN"  # the identity the monitors read the registry as

    [[monitors]]
    name = "churn"
    model = "churn"
    version = 3                          # a registered version with a reference profile
    label = "y"
    window = 10000

    [[monitors.policies]]
    type = "drift"
    features = 1
    cooldown = "6h"

    [[monitors.actions]]
    type = "webhook"
    url = "https://hooks.example.com/driftline"
    secret_env = "DRIFTLINE_WEBHOOK_SECRET"   # secrets come from the environment only

Each declared monitor keeps its windows, policy states and outbox in
``state_dir/declared-<name>.db``: a server restarted after a crash resumes them, and its
dispatcher delivers what the previous process decided but did not deliver, under the same
idempotency keys (``webhook-id``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from driftline.exceptions import InvalidParameter
from driftline.server.hub import MonitorConfig, MonitorHub

__all__ = ["DeclaredMonitor", "ServeConfig", "load_serve_config"]

DEFAULT_TOKEN_ENV = "DRIFTLINE_SERVE_TOKEN"


@dataclass
class DeclaredMonitor:
    """One ``[[monitors]]`` table: the monitor's configuration and its actions."""

    config: MonitorConfig
    actions: list[Any]


@dataclass
class ServeConfig:
    """A parsed ``--monitors`` file."""

    path: Path
    state_dir: Path
    token_env: str = DEFAULT_TOKEN_ENV
    monitors: list[DeclaredMonitor] = field(default_factory=list)

    def start(self, hub: MonitorHub, registry: Any) -> None:
        """Start every declared monitor in ``hub``, reading the registry as the identity
        whose token is in ``token_env``."""
        token = os.environ.get(self.token_env, "")
        if not token:
            raise ValueError(
                f"{self.path}: environment variable {self.token_env} holds no registry token "
                "for the declared monitors"
            )
        session = registry.session(token)
        for declared in self.monitors:
            hub.declare(declared.config, session, declared.actions)


def load_serve_config(path: str | Path) -> ServeConfig:
    """Read and check a ``--monitors`` file: everything a monitor needs but the registry
    (its policies are built here, so a bad one is reported before the server starts).

    Raises
    ------
    InvalidParameter
        Naming the file, the table and key at fault (secrets missing from the environment
        included); a ``ValueError``. ``OSError`` when the file cannot be read.
    """
    from driftline.monitor.config import action_from_spec

    path = Path(path).resolve()
    with path.open("rb") as f:
        try:
            doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameter(f"{path}: not valid TOML: {exc}") from None
    unknown = set(doc) - {"state_dir", "token_env", "monitors"}
    if unknown:
        raise InvalidParameter(f"{path}: unknown top-level keys {sorted(unknown)}")
    for key in ("state_dir", "token_env"):
        if key in doc and not isinstance(doc[key], str):
            raise InvalidParameter(f"{path}: {key} must be a string, got {doc[key]!r}")
    tables = doc.get("monitors", [])
    if not isinstance(tables, list):
        raise InvalidParameter(f"{path}: monitors is an array of tables ([[monitors]])")
    state = Path(doc.get("state_dir", f"{path.stem}.state"))
    cfg = ServeConfig(
        path,
        state if state.is_absolute() else path.parent / state,
        str(doc.get("token_env", DEFAULT_TOKEN_ENV)),
    )
    names: set[str] = set()
    for i, table in enumerate(tables):
        where = f"{path}: monitors[{i}]"
        if not isinstance(table, dict):
            raise InvalidParameter(f"{where}: a monitor is a table ([[monitors]])")
        table = dict(table)
        specs = table.pop("actions", [])
        if not isinstance(specs, list):
            raise InvalidParameter(f"{where}: actions is an array of tables ([[monitors.actions]])")
        actions = [action_from_spec(spec, f"{where}.actions[{j}]") for j, spec in enumerate(specs)]
        try:
            config = MonitorConfig.model_validate(table)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:20]
            )
            raise InvalidParameter(f"{where}: {problems}") from None
        for j, policy in enumerate(config.policies):
            # Built again when the monitor starts; built here so that a value the policy
            # refuses names its place in the file instead of failing the server's start.
            try:
                policy.build()
            except InvalidParameter as exc:
                raise InvalidParameter(f"{where}.policies[{j}]: {exc}") from None
        if config.name in names:
            raise InvalidParameter(f"{where}: monitor name {config.name!r} is declared twice")
        names.add(config.name)
        cfg.monitors.append(DeclaredMonitor(config, actions))
    return cfg

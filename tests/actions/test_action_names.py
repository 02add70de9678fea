"""Action names are outbox identities: the same across processes for the same action, so
that a restarted process delivers what a crashed one left pending. And the arguments an
action runs with are checked when it is built."""

from __future__ import annotations

import functools
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import driftline
from driftline.actions import Call, Command, Outbox
from driftline.exceptions import InvalidParameter

PYTHONPATH = str(Path(driftline.__file__).resolve().parents[1])


def notify(channel: str, payload: dict[str, Any]) -> None:
    """A function wrapped with functools.partial below."""


class Notifier:
    """A callable object with the default repr (a memory address)."""

    def __call__(self, payload: dict[str, Any]) -> None:
        pass


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (notify, f"call:{__name__}.notify"),  # unchanged: module and qualname
        (functools.partial(notify, "#oncall"), f"call:{__name__}.notify"),
        (functools.partial(functools.partial(notify), "#ops"), f"call:{__name__}.notify"),
        (Notifier(), f"call:{__name__}.Notifier"),
        (print, "call:builtins.print"),
        ([].append, "call:None.list.append"),  # the name earlier versions gave
    ],
)
def test_default_names(fn: Any, expected: str) -> None:
    assert Call(fn).name == expected


CHILD = textwrap.dedent(
    """
    import functools, sys
    from driftline.actions import Call, Outbox
    class Notifier:
        def __call__(self, payload):
            print("delivered", payload["policy"])
    def notify(channel, payload):
        print("delivered", channel, payload["policy"])
    box = Outbox(sys.argv[1])
    actions = [Call(functools.partial(notify, "#oncall")), Call(Notifier())]
    if sys.argv[2] == "decide":
        box.put("trg_1", {"policy": "drift"}, [a.name for a in actions])  # then it dies
    else:
        print(box.dispatch(actions))
    """
)


def test_pending_partial_and_object_calls_delivered_after_restart(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    outs = [
        subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp_path / "o.db"), step],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        ).stdout
        for step in ("decide", "restart")
    ]
    assert "'delivered': 2" in outs[1], outs
    assert [d.status for d in Outbox(tmp_path / "o.db").list()] == ["delivered"] * 2


@pytest.mark.parametrize("timeout", ["30", -1, 0, math.nan, math.inf, True, None])
def test_command_timeout_checked_at_construction(timeout: Any) -> None:
    with pytest.raises(InvalidParameter, match="Command: timeout"):
        Command([sys.executable, "-c", "pass"], timeout=timeout)


def test_command_timeout_from_config_refused_at_load() -> None:
    from driftline.monitor.config import action_from_spec

    spec = {"type": "command", "argv": [sys.executable, "-c", "pass"], "timeout": "30"}
    with pytest.raises(InvalidParameter, match=r"actions\[0\].*timeout must be a number"):
        action_from_spec(spec, "actions[0]")
    assert Command(["true"], timeout=2).timeout == 2.0

"""Run a program for each trigger, the trigger as JSON on its standard input."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from typing import Any

from driftline.actions.base import DeliveryError
from driftline.actions.payload import dumps
from driftline.policy_args import number

__all__ = ["Command"]


class Command:
    """Run ``argv`` (no shell) with the trigger as JSON on stdin.

    The environment gets ``DRIFTLINE_DELIVERY_ID`` (the idempotency key) and
    ``DRIFTLINE_TRIGGER_POLICY``. A non-zero exit or a timeout is a failed delivery.

    Examples
    --------
    >>> import sys
    >>> Command([sys.executable, "-c", "pass"]).deliver({"policy": "drift"}, "msg_1")
    """

    def __init__(self, argv: Sequence[str], *, name: str | None = None, timeout: float = 600.0):
        if isinstance(argv, str) or not argv:
            raise ValueError("Command takes a non-empty list of arguments (no shell string)")
        self.argv = [str(a) for a in argv]
        self.name = name or "command:" + " ".join(self.argv)
        # Checked here (the config loader relies on it), not at the first delivery: a
        # string, a negative or a NaN timeout would make every delivery a dead letter
        # with an internal error long after the monitor started.
        self.timeout = number("Command", "timeout", timeout, low=0.0, low_open=True)

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Run the command once."""
        env = dict(os.environ)
        env["DRIFTLINE_DELIVERY_ID"] = delivery_id
        env["DRIFTLINE_TRIGGER_POLICY"] = str(payload.get("policy", ""))
        try:
            done = subprocess.run(
                self.argv,
                input=dumps(payload).encode(),
                env=env,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeliveryError(f"{self.argv[0]}: {exc}") from exc
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace")[-500:]
            raise DeliveryError(f"{self.argv[0]} exited with {done.returncode}: {tail}")

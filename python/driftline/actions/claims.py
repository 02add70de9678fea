"""Who holds an outbox row while it is being delivered, and whether that holder is gone.

A dispatcher claims a pending row before running its action by writing its *claimer id*
(``<host>:<pid>:<token>``) and a lease expiry into the row, and renews the lease while the
action runs. Another dispatcher, in this process or another, takes over a claimed row only
when the lease has expired (its holder crashed, or hangs without renewing) or, on the same
host, when the holder's process no longer exists: a process restarted after a crash then
redelivers at once instead of waiting for the lease.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable

__all__ = ["Heartbeat", "claimer_id", "holder_is_gone"]


def _host() -> str:
    # The pid of a claimer means something only within its pid namespace and boot: two
    # containers sharing an outbox on a volume may both be called "worker" and reuse pids,
    # so the host part also names the boot and the pid namespace where Linux tells them.
    parts = [socket.gethostname()]
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            parts.append(f.read().strip())
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:
        pass
    return "/".join(parts).replace(":", "_")


_HOST = _host()


def claimer_id(token: str) -> str:
    """This process's claimer id for one outbox (the pid read now: a forked child is a
    different claimer from its parent)."""
    return f"{_HOST}:{os.getpid()}:{token}"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def holder_is_gone(claimer: str) -> bool:
    """Whether ``claimer`` is a process of this host that no longer exists.

    Only answered on POSIX (on Windows ``os.kill(pid, 0)`` would terminate the process);
    elsewhere, and for claimers of other hosts, the answer is False and the lease decides.
    """
    host, sep, rest = claimer.partition(":")
    pid_text = rest.partition(":")[0]
    if os.name != "posix" or not sep or host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not _pid_exists(pid)


class Heartbeat:
    """Call ``renew`` every ``interval`` seconds on a thread until the block ends."""

    def __init__(self, renew: Callable[[], None], interval: float) -> None:
        self._renew = renew
        self._interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="driftline-lease", daemon=True)

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            self._renew()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

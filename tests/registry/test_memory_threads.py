"""The in-memory registry (``sqlite://``) used from several threads at once."""

from __future__ import annotations

import threading

import pytest
from registry_helpers import checksum

import driftline as dl

THREADS = 8
PER_THREAD = 12


@pytest.mark.timeout(120)
def test_threads_registering_on_an_in_memory_registry() -> None:
    # All threads share the one connection that holds the in-memory database: their
    # transactions must not interleave on it.
    reg = dl.Registry("sqlite://")
    admin = reg.session(reg.bootstrap("root"))
    carol = reg.session(admin.create_user("carol", role="contributor"))
    carol.create_model("m")
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                carol.register_version(
                    "m", artifact_uri=f"s3://b/{t}/{i}", checksum=checksum(t * 1000 + i)
                )
                carol.list_versions("m", limit=5)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = [v.version for v in carol.list_versions("m")]
    assert numbers == list(range(1, THREADS * PER_THREAD + 1))
    events = [e for e in reg.audit.events() if e.action == "version.register"]
    assert sorted(e.target for e in events) == sorted(f"version:m/{n}" for n in numbers)
    assert reg.audit.verify().ok
    reg.close()

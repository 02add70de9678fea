"""Faults: concurrent promotions from many processes, a process killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from registry_helpers import checksum, raw_engine

import driftline as dl

PROMOTER = """
import os, sys, time
import driftline as dl
from driftline.exceptions import ConflictError
reg = dl.Registry(os.environ["URL"])
session = reg.session(os.environ["TOKEN"])
start = float(os.environ["START"])
while time.time() < start:
    time.sleep(0.001)
session.promote("m", int(sys.argv[1]))
print("promoted", sys.argv[1])
"""


@pytest.mark.timeout(180)
def test_eight_processes_promoting_at_once(reg: dl.Registry, url: str, people) -> None:
    p = people
    p.carol.create_model("m")
    for i in range(1, 9):
        p.carol.register_version("m", artifact_uri=f"s3://b/{i}", checksum=checksum(i))
        p.carol.transition("m", i, "staging")
        p.alice.approve("m", i)
    env = {
        **os.environ,
        "URL": url,
        "TOKEN": p.tokens["carol"],
        "START": str(time.time() + 2.0),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROMOTER, str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(1, 9)
    ]
    outcomes = [proc.communicate(timeout=150) for proc in procs]
    for proc, (_out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
    stages = [v.stage for v in p.victor.list_versions("m")]
    assert stages.count("production") == 1
    assert stages.count("archived") == 7
    result = reg.audit.verify()
    assert result.ok, result.problems
    promotions = [
        e
        for e in reg.audit.events()
        if e.action == "transition" and e.after["stage"] == "production"
    ]
    assert len(promotions) == 8
    assert p.victor.get_model("m").production_version is not None


KILLED = """
import os, sys, time
import driftline as dl
import driftline.registry.audit as audit
reg = dl.Registry(os.environ["URL"])
session = reg.session(os.environ["TOKEN"])
for i in range(3):
    session.register_version(
        "m", artifact_uri=f"s3://b/{i}", checksum="sha256:" + "cd" * 32, tags={"i": str(i)}
    )
original = audit.append

def stalled(conn, **kw):
    # The version row and its tags are written, the audit event too: stop before commit.
    seq = original(conn, **kw)
    print("INSIDE", flush=True)
    time.sleep(120)
    return seq

audit.append = stalled
session.register_version(
    "m", artifact_uri="s3://b/killed", checksum="sha256:" + "ef" * 32, tags={"a": "1", "b": "2"}
)
print("NOT REACHED", flush=True)
"""


@pytest.mark.timeout(120)
def test_sigkill_mid_registration_leaves_no_half_version(
    reg: dl.Registry, url: str, people
) -> None:
    p = people
    p.carol.create_model("m")
    env = {**os.environ, "URL": url, "TOKEN": p.tokens["carol"]}
    with subprocess.Popen(
        [sys.executable, "-c", KILLED], env=env, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "INSIDE"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    reg.close()
    again = dl.Registry(url)
    carol = again.session(p.tokens["carol"])
    versions = carol.list_versions("m")
    assert [v.version for v in versions] == [1, 2, 3]
    assert all(v.tags == {"i": str(v.version - 1)} for v in versions)
    assert not any("killed" in v.artifact_uri for v in versions)
    with raw_engine(again).connect() as conn:
        orphans = conn.exec_driver_sql(
            "SELECT count(*) FROM version_tags WHERE version_id NOT IN (SELECT id FROM versions)"
        ).scalar()
        assert orphans == 0
    registered = [e for e in again.audit.events() if e.action == "version.register"]
    assert [e.target for e in registered] == ["version:m/1", "version:m/2", "version:m/3"]
    assert again.audit.verify().ok
    # The registry carries on: the next version takes the free number.
    assert (
        carol.register_version("m", artifact_uri="s3://b/next", checksum=checksum(7)).version == 4
    )
    assert again.audit.verify().ok
    again.close()

"""The bearer-token cache: fewer registry reads, bounded staleness, no token kept."""

from __future__ import annotations

import time
from typing import Any

from driftline.exceptions import PermissionDenied
from driftline.server.auth import BearerCache


class _User:
    def __init__(self, name: str) -> None:
        self.name, self.role, self.kind, self.disabled = name, "viewer", "human", False


class _Registry:
    """Counts token checks; a token in ``revoked`` is refused."""

    def __init__(self) -> None:
        self.checks = 0
        self.revoked: set[str] = set()

    def session(self, token: str) -> Any:
        self.checks += 1
        if token in self.revoked:
            raise PermissionDenied("revoked")
        reg = self

        class _Session:
            def whoami(self) -> _User:
                if token in reg.revoked:
                    raise PermissionDenied("revoked")
                return _User("alice")

        return _Session()


TOKEN = "dlt_" + "a" * 32


def test_a_token_is_checked_once_per_ttl() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=60)
    for _ in range(5):
        p = cache.principal(reg, TOKEN)
        assert p is not None and p.name == "alice"
    assert reg.checks == 1


def test_a_revoked_token_stops_within_the_ttl() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=0.2)
    assert cache.principal(reg, TOKEN) is not None
    reg.revoked.add(TOKEN)
    time.sleep(0.25)
    assert cache.principal(reg, TOKEN) is None


def test_clear_forgets_at_once_and_refusals_are_not_cached() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=60)
    assert cache.principal(reg, TOKEN) is not None
    reg.revoked.add(TOKEN)
    cache.clear()
    assert cache.principal(reg, TOKEN) is None
    reg.revoked.clear()
    assert cache.principal(reg, TOKEN) is not None  # a refusal was not remembered


def test_the_token_itself_is_not_kept() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=60)
    cache.principal(reg, TOKEN)
    assert all(TOKEN.encode() not in key for key in cache._entries)
    assert all(len(key) == 32 for key in cache._entries)


def test_zero_ttl_checks_every_time() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=0)
    cache.principal(reg, TOKEN)
    cache.principal(reg, TOKEN)
    assert reg.checks == 2


def test_cached_never_reads_the_registry() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=60)
    assert cache.cached(TOKEN) is None
    assert reg.checks == 0
    p = cache.principal(reg, TOKEN)
    assert cache.cached(TOKEN) is p and reg.checks == 1
    cache.clear()
    assert cache.cached(TOKEN) is None


def test_cached_expires_with_the_ttl() -> None:
    reg, cache = _Registry(), BearerCache(ttl_seconds=0.1)
    cache.principal(reg, TOKEN)
    time.sleep(0.15)
    assert cache.cached(TOKEN) is None

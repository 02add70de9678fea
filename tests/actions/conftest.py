"""Fixtures of the action tests: a signed-webhook receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_receiver import Receiver, serve_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve_receiver()

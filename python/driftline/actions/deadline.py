"""An httpx transport whose every socket operation ends by a deadline.

httpx's timeouts bound each connect, read and write separately: a receiver that sends one
byte every second never trips a ten-second read timeout, and keeps a delivery (and the
dispatcher thread behind it) busy for as long as it likes. This transport gives each
operation the smaller of its own timeout and the time left until ``deadline`` (a
``time.monotonic()`` value the caller sets before each attempt), so that an attempt ends
by its deadline whatever the receiver does.
"""

from __future__ import annotations

import contextlib
import ssl
import time
import typing
from collections.abc import Iterable, Iterator

import httpcore
import httpx

__all__ = ["DeadlineTransport"]

_SocketOption = typing.Any  # httpcore's SOCKET_OPTION alias is not exported


class _Clock:
    def __init__(self) -> None:
        self.deadline = float("inf")

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise expired("the delivery's deadline has passed")
        return remaining if timeout is None else min(timeout, remaining)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, clock: _Clock) -> None:
        self._inner, self._clock = inner, clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._clock.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._clock.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._clock.left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, left), self._clock)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, clock: _Clock) -> None:
        self._inner, self._clock = httpcore.SyncBackend(), clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._clock.left(timeout, httpcore.ConnectTimeout)
        inner = self._inner.connect_tcp(host, port, left, local_address, socket_options)
        return _Stream(inner, self._clock)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - webhooks are http(s) URLs
        raise httpcore.UnsupportedProtocol("unix sockets are not used for webhooks")

    def sleep(self, seconds: float) -> None:  # pragma: no cover - no retries in the pool
        self._inner.sleep(seconds)


class _Body(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _mapped():
            yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """httpcore's errors as httpx's, which the webhook's retry loop catches."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc)) from exc
    except (
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
        httpcore.ProxyError,
    ) as exc:
        raise httpx.TransportError(str(exc)) from exc


class DeadlineTransport(httpx.BaseTransport):
    """One connection at a time, with every socket operation cut off at ``deadline``.

    Set :attr:`deadline` (``time.monotonic()`` seconds) before each request.
    """

    def __init__(self) -> None:
        self._clock = _Clock()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=1,
            network_backend=_Backend(self._clock),
        )

    @property
    def deadline(self) -> float:
        """When the current request must have ended (``time.monotonic()`` seconds)."""
        return self._clock.deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        self._clock.deadline = value

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the pool (the httpx transport protocol)."""
        assert isinstance(request.stream, httpx.SyncByteStream)
        req = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped():
            resp = self._pool.handle_request(req)
        assert isinstance(resp.stream, Iterable)
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_Body(resp.stream),
            extensions=resp.extensions,
        )

    def close(self) -> None:
        """Close the pool's connection."""
        self._pool.close()

"""Signed webhooks (Standard Webhooks) with bounded retries and refused internal addresses.

The request carries ``webhook-id`` (the idempotency key, the same on every retry and after
a restart), ``webhook-timestamp`` (seconds, the time of this attempt) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` for each
secret, space separated, so that a receiver rotating from one secret to the next accepts
either. Secrets are ``whsec_`` followed by base64 bytes (https://www.standardwebhooks.com).

Known limits: the address check resolves the host before connecting and the connection
resolves it again, so a DNS server answering differently the second time (rebinding) is
not caught; pin the receiver by IP or use an egress proxy where that matters. Name
resolution itself is bounded by the system resolver's timeouts, not by ``timeout``.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import ipaddress
import math
import numbers
import random
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from driftline.actions.base import DeliveryError, PermanentDeliveryError
from driftline.actions.deadline import DeadlineTransport
from driftline.actions.payload import dumps
from driftline.exceptions import InvalidParameter

__all__ = ["Webhook", "check_address", "redact", "sign"]

_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    ipaddress.ip_address("fe80::a9fe:a9fe"),  # OpenStack IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
# The backoff doubles per attempt up to 2**62 times its start (past any sensible
# max_backoff); an uncapped 2**attempt overflows (int to float) after ~1024 attempts.
_MAX_EXPONENT = 62


def redact(url: str) -> str:
    """``url`` without its userinfo (``user:password@``), for names, reprs and errors.

    Examples
    --------
    >>> redact("https://bot:hunter2@example.com/hooks")
    'https://example.com/hooks'
    >>> redact("https://example.com/hooks")
    'https://example.com/hooks'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _secret_key(secret: str) -> bytes:
    if not secret.startswith("whsec_"):
        raise ValueError("a webhook secret starts with 'whsec_' followed by base64 bytes")
    try:
        key = base64.b64decode(secret[len("whsec_") :], validate=True)
    except ValueError as exc:
        raise ValueError("the webhook secret after 'whsec_' is not valid base64") from exc
    if len(key) < 16:
        raise ValueError("a webhook secret must hold at least 16 bytes")
    return key


def sign(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one ``v1,<base64>`` per secret, space separated.

    Examples
    --------
    >>> sign(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "msg_p5jXN8AQM9LWM0D4loKWxJek",
    ...      1614265330, b'{"test": 2432232314}')
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    """
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    sigs = [
        base64.b64encode(hmac.new(_secret_key(s), to_sign, hashlib.sha256).digest()).decode()
        for s in secrets
    ]
    return " ".join(f"v1,{s}" for s in sigs)


def check_address(url: str, *, allow_private: bool = False, allow_loopback: bool = False) -> None:
    """Refuse URLs whose host resolves to a private, link-local or metadata address.

    Raises
    ------
    PermanentDeliveryError
        When the scheme is not http(s), the host does not resolve, or an address is refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDeliveryError(f"webhook URL must be http(s)://host/...: {redact(url)!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DeliveryError(f"cannot resolve {parts.hostname!r}: {exc}") from exc
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip in _METADATA:
            raise PermanentDeliveryError(f"{parts.hostname} resolves to a metadata address {ip}")
        # Connecting to 0.0.0.0 or :: reaches this host's own services, as loopback does.
        if ip.is_loopback or ip.is_unspecified:
            if not allow_loopback:
                raise PermanentDeliveryError(f"{parts.hostname} resolves to loopback {ip}")
            continue
        if (ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast) and not (
            allow_private
        ):
            raise PermanentDeliveryError(f"{parts.hostname} resolves to a private address {ip}")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date); None
    when absent or unusable, so that the caller falls back to its own backoff."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # RFC 9110 allows only a non-negative integer; "nan", "inf" or "-1" from a broken
        # receiver must not crash the retry loop (sleep(nan) raises) nor stop it early.
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _check_url(url: Any) -> None:
    # The address itself is checked at each delivery (DNS answers change); the shape of
    # the URL cannot change, so a typo is refused when the webhook is built.
    if not isinstance(url, str):
        raise InvalidParameter(f"Webhook url must be a string, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port outside 0-65535
    except ValueError as exc:
        raise InvalidParameter(f"Webhook url {redact(url)!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameter(f"Webhook url must be http(s)://host/..., got {redact(url)!r}")


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameter(f"Webhook {name} must be an integer >= 1, got {value!r}")


def _check_seconds(name: str, value: Any, *, positive: bool) -> None:
    # Checked here, not at the first delivery: a bad bound would otherwise surface as a
    # dead letter (random.uniform or sleep failing) long after the monitor was built.
    bound = "> 0" if positive else ">= 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameter(f"Webhook {name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InvalidParameter(f"Webhook {name} must be finite and {bound}, got {value!r}")


class Webhook:
    """POST each trigger as a signed JSON body to ``url``.

    Parameters
    ----------
    url
        The receiver (http or https). Redirects are never followed. Credentials in the
        URL (``https://user:password@host/``) are sent as Basic auth and left out of the
        name, the repr and the errors.
    secret
        A ``whsec_...`` secret, or several during a rotation (each signs the request).
    name
        Outbox name of this action (default ``webhook:<url>``, without credentials).
    max_attempts, timeout, backoff, max_backoff, max_elapsed
        Retries on 408/425/429/5xx, connection errors, timeouts and names that do not
        resolve: exponential backoff with full jitter from ``backoff`` seconds, each wait
        capped at ``max_backoff``, the receiver's ``Retry-After`` honoured (giving up when
        it points past the deadline). Each attempt ends within ``timeout`` seconds and all
        of them within ``max_elapsed``, however slowly the receiver answers (its response
        body is never read).
    allow_private, allow_loopback
        Allow private (RFC 1918, ULA, link-local) or loopback receivers; cloud metadata
        addresses are always refused.

    Examples
    --------
    >>> hook = Webhook("https://example.com/hooks", secret="whsec_" + "QUJDREVGR0hJSktMTU5PUA==")
    >>> hook.name
    'webhook:https://example.com/hooks'
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | Sequence[str],
        name: str | None = None,
        max_attempts: int = 8,
        timeout: float = 10.0,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_elapsed: float = 120.0,
        allow_private: bool = False,
        allow_loopback: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check_url(url)
        self.url = url
        self.secrets = [secret] if isinstance(secret, str) else list(secret)
        if not self.secrets:
            raise ValueError("Webhook needs at least one secret")
        for s in self.secrets:
            _secret_key(s)
        _check_count("max_attempts", max_attempts)
        _check_seconds("timeout", timeout, positive=True)
        _check_seconds("backoff", backoff, positive=False)
        _check_seconds("max_backoff", max_backoff, positive=False)
        _check_seconds("max_elapsed", max_elapsed, positive=True)
        self.name = name or f"webhook:{redact(url)}"
        self._safe_url = redact(url)
        # Texts an error might echo back (an exception quoting the request): the userinfo,
        # and the password alone when long enough not to garble every message.
        userinfo = urlsplit(url).netloc.rpartition("@")[0]
        password = userinfo.partition(":")[2]
        self._secrets_in_url = sorted(
            {t for t in (userinfo, password, unquote(password)) if len(t) >= 4}, key=len
        )[::-1]
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_elapsed = max_elapsed
        self.allow_private = allow_private
        self.allow_loopback = allow_loopback
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Webhook({self._safe_url!r}, secrets={len(self.secrets)})"

    def _scrub(self, text: str) -> str:
        for secret in self._secrets_in_url:
            text = text.replace(secret, "***")
        return text

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Send the payload, retrying within the bounds; raise on final failure."""
        # Strict JSON (non-finite floats as null): receivers parse with RFC 8259 parsers.
        body = dumps(
            {"type": "driftline.trigger", "timestamp": payload.get("fired_at"), "data": payload},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        deadline = time.monotonic() + self.max_elapsed
        last = "no attempt"
        transport = DeadlineTransport()
        with httpx.Client(transport=transport, follow_redirects=False, trust_env=False) as client:
            for attempt in range(self.max_attempts):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                transport.deadline = time.monotonic() + min(self.timeout, remaining)
                done, last, wait = self._attempt(client, body, delivery_id, remaining)
                if done:
                    return
                if attempt + 1 >= self.max_attempts:
                    break
                cap = min(self.max_backoff, self.backoff * 2.0 ** min(attempt, _MAX_EXPONENT))
                delay = random.uniform(0, cap) if wait is None else wait
                if time.monotonic() + delay >= deadline:
                    break
                self._sleep(delay)
        raise DeliveryError(self._scrub(f"{self._safe_url}: gave up after retries, last: {last}"))

    def _attempt(
        self, client: httpx.Client, body: bytes, delivery_id: str, remaining: float
    ) -> tuple[bool, str, float | None]:
        """One attempt: (delivered, what went wrong, the receiver's Retry-After)."""
        try:
            # Inside the retry loop: a name that does not resolve may be a DNS outage,
            # retried like a refused connection. A refused address raises
            # PermanentDeliveryError and ends the delivery: policy is not transient.
            check_address(
                self.url, allow_private=self.allow_private, allow_loopback=self.allow_loopback
            )
        except PermanentDeliveryError as exc:
            raise PermanentDeliveryError(self._scrub(str(exc))) from None
        except DeliveryError as exc:
            return False, self._scrub(str(exc)), None
        ts = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "driftline-webhook",
            "webhook-id": delivery_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(self.secrets, delivery_id, ts, body),
        }
        try:
            # Streamed, and the body never read: only the status and headers matter, and
            # a receiver dripping (or flooding) a body must not hold the dispatcher.
            with client.stream(
                "POST",
                self.url,
                content=body,
                headers=headers,
                timeout=min(self.timeout, remaining),
            ) as r:
                status, retry_after = r.status_code, r.headers.get("retry-after")
        except httpx.TimeoutException as exc:
            return False, self._scrub(f"timeout: {exc}"), None
        except httpx.TransportError as exc:
            return False, self._scrub(f"connection error: {exc}"), None
        if 200 <= status < 300:
            return True, "", None
        if status not in _RETRY_STATUS:
            raise PermanentDeliveryError(
                f"{self._safe_url} answered {status}"
                + (" (redirects are not followed)" if 300 <= status < 400 else "")
            )
        return False, f"HTTP {status}", _retry_after(retry_after)

"""What every action shares: the interface, the trigger it receives and delivery errors."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Action", "DeliveryError", "PermanentDeliveryError", "Suppressed"]


class DeliveryError(Exception):
    """A delivery failed; the outbox may try again later."""


class PermanentDeliveryError(DeliveryError):
    """A delivery failed in a way retrying cannot fix (4xx, refused address): dead letter."""


class Suppressed(Exception):
    """The action decided not to run (the model is suspended): recorded, never retried."""


@runtime_checkable
class Action(Protocol):
    """An action run for each trigger, through the outbox.

    ``name`` identifies the action in the outbox across restarts (two actions of one
    monitor must have different names). ``deliver`` receives the trigger as a JSON-ready
    dict and the delivery id (stable across retries and restarts: the idempotency key); it
    returns on success and raises :class:`DeliveryError` otherwise.
    """

    name: str

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Run the action once for this trigger."""
        ...

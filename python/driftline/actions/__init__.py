"""Actions run when a policy fires, always through the durable :class:`Outbox`.

``Webhook`` (signed, retried, dead-lettered), ``Command`` (a program, the trigger on
stdin), ``Call`` (a Python callable), ``RequestRetraining`` (an audited request on the
model in the registry, refused while it is suspended) and ``Log``.
"""

from __future__ import annotations

from driftline.actions.base import Action, DeliveryError, PermanentDeliveryError, Suppressed
from driftline.actions.call import Call
from driftline.actions.command import Command
from driftline.actions.log import Log
from driftline.actions.outbox import Delivery, Dispatcher, Outbox
from driftline.actions.retraining import RequestRetraining
from driftline.actions.webhook import Webhook, sign

__all__ = [
    "Action",
    "Call",
    "Command",
    "Delivery",
    "DeliveryError",
    "Dispatcher",
    "Log",
    "Outbox",
    "PermanentDeliveryError",
    "RequestRetraining",
    "Suppressed",
    "Webhook",
    "sign",
]

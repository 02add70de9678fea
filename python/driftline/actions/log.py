"""Log each trigger (logger ``driftline.triggers``)."""

from __future__ import annotations

import logging
from typing import Any

from driftline.actions.payload import dumps

__all__ = ["Log"]


class Log:
    """Write each trigger to a logger at ``level``.

    Examples
    --------
    >>> Log().name
    'log'
    """

    def __init__(self, *, logger: str = "driftline.triggers", level: int = logging.WARNING):
        self.name = "log"
        self.logger = logging.getLogger(logger)
        self.level = level

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Log the trigger."""
        self.logger.log(self.level, "trigger %s: %s", delivery_id, dumps(payload))

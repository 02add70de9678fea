"""driftline's command line: ``driftline demo|profile|drift|registry|audit|validate ...``.

The CLI calls only the public Python API. Each command group lives in its own module and
registers itself on :data:`app`.
"""

from __future__ import annotations

from driftline.cli.app import app, main

__all__ = ["app", "main"]

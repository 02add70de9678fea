"""The ``driftline demo`` scenario: synthetic data and the steps that walk through it.

The scenario is a list of :class:`~driftline.demo.steps.Step` objects run in order over a
shared :class:`~driftline.demo.steps.DemoContext`; later capabilities (registry, drift,
monitors) append their own steps to :data:`~driftline.demo.steps.DEFAULT_STEPS`.
"""

from __future__ import annotations

from driftline.demo.data import SALES_SCHEMA, sales_batches, sales_table
from driftline.demo.steps import DEFAULT_STEPS, DemoContext, Step, run_demo

__all__ = [
    "DEFAULT_STEPS",
    "SALES_SCHEMA",
    "DemoContext",
    "Step",
    "run_demo",
    "sales_batches",
    "sales_table",
]

"""The inline monitor: observe traffic, close windows, judge them, fire triggers.

``observe`` costs a lock-free append for one-row input (a dict of values or a one-row
batch); the rows are profiled in bulk every few thousand rows and at window close.
Million-row batches are profiled on the calling thread without holding any monitor lock.
A window closes on the thread whose rows complete it (or on ``close_window`` / ``poll``);
its triggers go to the durable outbox, and a background dispatcher runs the actions, so
no receiver can block ``observe``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftline._arrow import to_table, to_table_like
from driftline.actions.base import Action
from driftline.actions.outbox import Dispatcher, Outbox
from driftline.exceptions import SchemaError
from driftline.monitor.accumulate import WindowAccumulator
from driftline.monitor.quality import (
    batch_plan,
    check_unique_columns,
    checked_table,
    reference_kinds,
    segment_key_problem,
)
from driftline.monitor.records import records_to_window_table
from driftline.monitor.result import WindowResult, check_policy_metrics, drift_options, judge
from driftline.monitor.state import StateStore
from driftline.monitor.window import EventTimeWindows, make_windows
from driftline.policies import Policy

__all__ = ["Monitor", "WindowResult"]

log = logging.getLogger("driftline.monitor")


def _as_list(v: str | Sequence[str] | None) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


class Monitor:
    """Watch a model's traffic against its reference.

    Parameters
    ----------
    reference
        Reference data (anything :func:`driftline.profile` reads), Parquet path(s), or a
        :class:`~driftline.Profile` (profiled with ``bins=`` for exact binned drift).
    features
        Feature columns (default: every reference column but the outcome columns), each
        once (a repeated column, here or in ``sensitive``, raises
        :class:`~driftline.exceptions.InvalidParameter`).
    prediction, label, score, sensitive
        Outcome columns: with a label, windows get ``performance`` on their labelled rows;
        with sensitive columns, ``fairness``.
    segment_by
        Key column (``"sku"``, ``"store"``): windows also keep a profile per key value,
        and per-key performance when labelled (``WindowResult.segments``,
        ``segment_performance``, ``worst_segments``). Every batch must carry it; a float
        key is refused (a :class:`~driftline.exceptions.SchemaError`: bin it first).
    window
        Rows per window (``10_000``) or a duration (``"1h"``); with ``event_time`` the
        duration tumbles on that column, closing after ``lateness``.
    policies, actions
        What fires triggers, and what runs for each (through the outbox).
    state
        SQLite path for durable state (policy states, window counters) and, by default,
        the outbox; without it both live in memory.
    outbox
        SQLite path of the outbox (default: ``state``).
    name
        Names the monitor in trigger ids and state (one per model and deployment).
    methods, thresholds
        Passed to :func:`driftline.compare`, merged with each
        :class:`~driftline.policies.Drift` policy's ``method`` and ``feature_threshold``
        (for its ``columns``, or every feature). A float ``thresholds`` is that threshold
        for every feature; a mapping may only name features. Settings that disagree on a
        column, or name a column the monitor does not watch, raise
        :class:`~driftline.exceptions.InvalidParameter` here.
    on_schema_error
        ``"raise"`` (a :class:`~driftline.exceptions.SchemaError`, the monitor unchanged)
        or ``"record"`` (the batch is dropped and a ``schema`` quality finding recorded).
    registry, model
        A registry session and model name: while the model is suspended, triggers are
        recorded as suppressed and nothing is dispatched.
    dispatch
        ``"background"`` (a dispatcher thread), ``"inline"`` (at window close, on the
        closing thread) or ``"manual"`` (call :meth:`dispatch`).

    Examples
    --------
    >>> import pyarrow as pa, driftline as dl
    >>> ref = pa.table({"x": [float(i % 10) for i in range(1000)]})
    >>> mon = dl.Monitor(ref, window=500)
    >>> mon.observe({"x": 3.0})
    >>> mon.observe(pa.table({"x": [1.0] * 499}))
    >>> [(w.window, w.rows) for w in mon.history]
    [('w00000000', 500)]
    """

    def __init__(
        self,
        reference: Any,
        *,
        features: Sequence[str] | None = None,
        prediction: str | None = None,
        label: str | None = None,
        score: str | None = None,
        sensitive: str | Sequence[str] | None = None,
        segment_by: str | None = None,
        task: str = "binary",
        window: int | str | float = 10_000,
        event_time: str | None = None,
        lateness: float | str = 0.0,
        policies: Iterable[Policy] = (),
        actions: Iterable[Action] = (),
        state: str | Path | None = None,
        outbox: str | Path | Outbox | None = None,
        name: str = "monitor",
        methods: Any = None,
        thresholds: Any = None,
        bins: int = 10,
        on_schema_error: str = "raise",
        registry: Any = None,
        model: str | None = None,
        dispatch: str = "background",
        history: int = 100,
        clock: Callable[[], float] = time.time,
        flush_rows: int = 4096,
    ) -> None:
        from driftline.drift.inputs import reference_edges
        from driftline.profile import Profile, profile

        if on_schema_error not in ("raise", "record"):
            raise ValueError("on_schema_error is 'raise' or 'record'")
        if dispatch not in ("background", "inline", "manual"):
            raise ValueError("dispatch is 'background', 'inline' or 'manual'")
        self.name = name
        self.prediction, self.label, self.score = prediction, label, score
        self.sensitive = _as_list(sensitive)
        check_unique_columns(features=features, sensitive=self.sensitive)
        self.segment_by = segment_by
        self.task = task
        outcome = [c for c in (prediction, label, score) if c] + self.sensitive
        if isinstance(reference, Profile):
            self.reference = reference
        elif isinstance(reference, str | Path):
            from driftline.parquet import profile_parquet

            # Two streaming passes: the sketch gives the bins, the second counts on them.
            first = profile_parquet(reference, progress=False)
            edges = reference_edges(first, bins)
            self.reference = profile_parquet(reference, edges=edges, progress=False)
        else:
            ref = to_table_like(reference)
            self.reference = profile(ref, bins=bins)
        cols = self.reference.columns
        skip = set(outcome) | {c for c in (event_time, segment_by) if c}
        self.features = (
            list(features) if features is not None else [c for c in cols if c not in skip]
        )
        missing = [c for c in self.features if c not in cols]
        if missing:
            raise SchemaError(f"features not in the reference: {missing}")
        if segment_by is not None and segment_by in cols:
            problem = segment_key_problem(segment_by, self.reference[segment_by].dtype)
            if problem:
                raise SchemaError(problem)
        self._profiled = self.features + [c for c in (prediction, score) if c and c in cols]
        key = [segment_by] if segment_by else []
        self._required = list(dict.fromkeys(self.features + key))
        self._feature_set = frozenset(self._required)
        self._kinds = reference_kinds(self.reference, self._profiled)
        self._edges = {
            c: e for c, e in reference_edges(self.reference, bins).items() if c in self._profiled
        }
        # Each column once (a sensitive column may also be the segment key).
        self._outcomes = list(dict.fromkeys(outcome + key)) if (label or self.sensitive) else []
        self._keep = list(dict.fromkeys(self._profiled + self._outcomes + key))
        # Every kept column the reference knows, not only the profiled ones: a window's
        # batches are concatenated at its close, so a label or group column of another
        # kind than the reference's is refused when it arrives, not when the window closes.
        self._checked_kinds = {
            **reference_kinds(self.reference, [c for c in self._keep if c in cols]),
            **self._kinds,
        }
        self.on_schema_error = on_schema_error
        self.policies = list(policies)
        # The Drift policies' method and feature_threshold join compare's options here,
        # so that a conflict is refused now rather than at every window.
        self.methods, self.thresholds = drift_options(
            self.features, self._kinds, methods, thresholds, self.policies
        )
        check_policy_metrics(self.policies, task)
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ValueError(f"policy names must be unique: {names}")
        self.actions = list(actions)
        anames = [a.name for a in self.actions]
        if len(set(anames)) != len(anames):
            raise ValueError(f"action names must be unique: {anames}")
        self.registry, self.model = registry, model
        self._clock = clock
        self._flush_rows = flush_rows
        self._windows = make_windows(window, event_time=event_time, lateness=lateness, clock=clock)
        self._lock = threading.Lock()
        self._closing = threading.Lock()
        self._accs: dict[str, WindowAccumulator] = {}
        self._pending_quality: list[dict[str, Any]] = []
        self._last_key: str | None = None
        # Most recent first. Not a dict: hashing a 25-field pa.Schema costs about 11 us,
        # more than the rest of a one-row observe; `is` and `equals` cost 50 ns.
        self._plans: list[tuple[pa.Schema, tuple[list[str], list[str] | None]]] = []
        self.history: deque[WindowResult] = deque(maxlen=history)
        self.rows_observed = 0
        self.triggers_fired = 0
        self._store = StateStore(state) if state is not None else None
        if isinstance(outbox, Outbox):
            self.outbox = outbox
        else:
            path = outbox if outbox is not None else (state if state is not None else ":memory:")
            self.outbox = Outbox(path)
        self._load_state()
        self._dispatch_mode = dispatch
        self._dispatcher = (
            Dispatcher(self.outbox, self.actions) if dispatch == "background" else None
        )
        if self._dispatcher is not None:
            self._dispatcher.notify()  # deliver what a previous process left pending

    # -- state -----------------------------------------------------------------------
    def _load_state(self) -> None:
        if self._store is not None:
            self._store.restore(self.name, self.policies, self._windows)

    def _save_state(self) -> None:
        if self._store is not None:
            self._store.persist(self.name, self.policies, self._windows)

    # -- observe ---------------------------------------------------------------------
    def _observe_record(self, record: dict[str, Any]) -> None:
        # The hot path of a service: one short lock around an append; the records are
        # turned into columns and profiled every ``flush_rows`` rows, outside the lock.
        if not self._feature_set <= record.keys():
            self._schema_error([f"missing columns {sorted(self._feature_set - record.keys())}"])
            return
        self._append_one(record)

    def _append_one(self, record: dict[str, Any] | pa.Table) -> None:
        """One row (a dict, or a one-row table already checked against the schema) into
        its window's pending records."""
        windows = self._windows
        assert not isinstance(windows, EventTimeWindows)  # observe() routes those as tables
        with self._lock:
            key, filled = windows.assign_one()
            acc = self._accs.get(key)
            if acc is None:
                acc = self._acc(key)
            records = acc.records
            records.append(record)
            self.rows_observed += 1
            take = None
            if len(records) >= self._flush_rows:
                take, acc.records = records, []
            moved = key != self._last_key
            self._last_key = key
            if take is None and not filled and not moved:
                return
            acc.inflight += 1
        try:
            if take:
                acc.add_table(self._to_table(take, acc.quality))
        finally:
            self._done([acc], 0)

    def _to_table(
        self, records: list[dict[str, Any] | pa.Table], quality: list[dict[str, Any]]
    ) -> pa.Table:
        """The pending records of a window as one table; those that do not fit the
        reference are dropped as a finding in the window's ``quality``
        (:mod:`driftline.monitor.records`)."""
        table, dropped = records_to_window_table(
            records, self._required, self._keep, self._checked_kinds
        )
        if dropped is not None:
            with self._lock:
                quality.append({"check": "schema", "problems": [dropped]})
        return table

    def _profile(self, table: pa.Table, window_rows: int | None = None) -> Any:
        from driftline.profile import profile

        names = set(table.column_names)
        cols = [c for c in self._profiled if c in names]
        edges = {c: self._edges[c] for c in cols if c in self._edges}
        # Small batches on the calling thread: waking the pool costs more than the work,
        # and concurrent observers already run in parallel.
        threads = 1 if table.num_rows < 8_192 else None
        key = self.segment_by
        if key is not None:
            # Segmented in the same native pass; partial profiles merge by key.
            table = table.select(list(dict.fromkeys([*cols, key])))
            return profile(
                table,
                columns=cols,
                edges=edges,
                threads=threads,
                segment_by=key,
                expected_rows=window_rows,
            )
        return profile(table.select(cols), edges=edges, threads=threads, expected_rows=window_rows)

    def _acc(self, key: str) -> WindowAccumulator:
        acc = self._accs.get(key)
        if acc is None:
            acc = WindowAccumulator(
                key, self._profile, self._to_table, self._outcomes, flush_rows=self._flush_rows
            )
            acc.quality.extend(self._pending_quality)
            self._pending_quality.clear()
            self._accs[key] = acc
        return acc

    def _schema_error(self, problems: list[str]) -> None:
        msg = "batch does not match the reference: " + "; ".join(problems)
        if self.on_schema_error == "raise":
            raise SchemaError(msg)
        log.warning("%s: %s (batch dropped)", self.name, msg)
        with self._lock:
            self._pending_quality.append({"check": "schema", "problems": problems})

    def observe(self, batch: Any) -> None:
        """Add a batch (Arrow data, a pandas or polars frame) or one record (a dict).

        Thread-safe. Closes the windows the batch completes (on this thread). A batch
        that does not fit the reference (a feature missing, of another kind, or a column
        it reads appearing twice) is a :class:`~driftline.exceptions.SchemaError` (see
        ``on_schema_error``); Arrow data whose buffers do not hold what its offsets and
        lengths declare is a :class:`~driftline.exceptions.DataError`, the monitor
        unchanged.
        """
        if isinstance(batch, dict) and not isinstance(self._windows, EventTimeWindows):
            self._observe_record(batch)
            return
        if isinstance(batch, dict):
            batch = {k: [v] for k, v in batch.items()}
        table = self._table(batch)
        problems, keep = self._schema_plan(table.schema)
        if problems:
            self._schema_error(problems)
            return
        if keep is not None:
            table = table.select(keep)
        if table.num_rows == 1 and not isinstance(self._windows, EventTimeWindows):
            # A service's one-row batch takes the records' path: one short lock.
            self._append_one(table)
            return
        pieces = self._assign(table)
        try:
            for acc, piece in pieces:
                acc.add_table(piece)
        finally:
            self._done([a for a, _ in pieces], table.num_rows)

    def _schema_plan(self, schema: pa.Schema) -> tuple[list[str], list[str] | None]:
        # Checked once per distinct schema: a service sends the same schema every time.
        plans = self._plans
        for known, plan in plans:
            if known is schema or known.equals(schema):
                return plan
        w = self._windows
        plan = batch_plan(
            schema,
            features=self.features,
            kinds=self._checked_kinds,
            keep=self._keep,
            segment_by=self.segment_by,
            event_time=w.column if isinstance(w, EventTimeWindows) else None,
        )
        # A copy replaces the list, so concurrent readers never see it mid-change.
        self._plans = [(schema, plan), *plans[:7]]
        return plan

    def _table(self, batch: Any) -> pa.Table:
        return checked_table(to_table(batch))

    def _assign(self, table: pa.Table) -> list[tuple[WindowAccumulator, pa.Table]]:
        w = self._windows
        if isinstance(w, EventTimeWindows):
            try:
                with self._lock:
                    parts = w.buckets(table)
            except KeyError:
                raise SchemaError(f"the event-time column {w.column!r} is missing") from None
            pieces = [(k, table if m is None else table.filter(m)) for k, m in parts]
            with self._lock:
                out = [(self._acc(k), t) for k, t in pieces]
                for acc, _ in out:
                    acc.inflight += 1
            return out
        rows = table.num_rows
        with self._lock:
            out = [
                (self._acc(k), table if o == 0 and n == rows else table.slice(o, n))
                for k, o, n in w.assign(rows)
            ]
            for acc, _ in out:
                acc.inflight += 1
        return out

    def _done(self, accs: list[WindowAccumulator], rows: int) -> None:
        due: list[WindowAccumulator] = []
        with self._lock:
            self.rows_observed += rows
            for acc in accs:
                acc.inflight -= 1
            for key, acc in list(self._accs.items()):
                if acc.inflight == 0 and not acc.closing and self._windows.is_full(key):
                    acc.closing = True
                    del self._accs[key]
                    due.append(acc)
        for acc in due:
            self._close(acc)

    # -- closing ---------------------------------------------------------------------
    def poll(self) -> list[WindowResult]:
        """Close the windows that are complete by time (call it from a timer when traffic
        may stop)."""
        n = len(self.history)
        self._done([], 0)
        return list(self.history)[n:]

    def close_window(self, *, key: str | None = None) -> WindowResult | None:
        """Close the open window now (None when it holds no rows).

        A window whose every record was dropped is still closed and kept in ``history``
        with its ``schema`` finding; it holds no rows, so this returns None for it.

        ``key`` renames the window (``driftline watch`` names each file's window after the
        file, so that reprocessing a file after a crash decides the same trigger ids).
        """
        with self._lock:
            w = self._windows
            if not isinstance(w, EventTimeWindows) and w.current in self._accs:
                w.advance()
            keys = list(self._accs)
        results = []
        deadline = time.monotonic() + 60
        while keys and time.monotonic() < deadline:
            with self._lock:
                ready = [k for k in keys if k in self._accs and self._accs[k].inflight == 0]
                accs = []
                for k in ready:
                    acc = self._accs.pop(k)
                    acc.closing = True
                    accs.append(acc)
            for acc in accs:
                if key is not None:
                    acc.key = key if len(accs) == 1 else f"{key}/{acc.key}"
                r = self._close(acc)
                if r is not None and (r.rows or r.errors):
                    results.append(r)
            keys = [k for k in keys if k in self._accs]
            if keys:
                time.sleep(0.001)
        return results[-1] if results else None

    def _close(self, acc: WindowAccumulator) -> WindowResult | None:
        from driftline.profile import merge

        t0 = time.perf_counter()
        # The window is out of ``_accs`` already: a failure here must end in a result
        # that says so, never lose the window nor reach the observer that closed it.
        prof, outcomes, error = None, None, None
        try:
            profiles, outcomes = acc.finish()
            if profiles:
                prof = merge(profiles) if len(profiles) > 1 else profiles[0]
        except Exception as exc:
            error = f"close: {type(exc).__name__}: {exc}"
            log.exception("%s: window %s failed to close", self.name, acc.key)
        if prof is None and error is None and not acc.quality:
            return None
        rows = prof.row_count if prof is not None else acc.rows_added
        result = WindowResult(
            acc.key, rows, prof, quality=list(acc.quality), segment_by=self.segment_by
        )
        if error is not None:
            result.errors.append(error)
        elif prof is not None:
            # A window whose every record was dropped keeps its schema finding, with no
            # profile to compare.
            self._judge(result, outcomes)
        with self._closing:  # policies and state change one window at a time
            now = self._clock()
            for p in self.policies:
                try:
                    t = p.evaluate(result, monitor=self.name, now=now)
                except Exception as exc:  # a policy bug must not stop the monitor
                    result.errors.append(f"policy {p.name}: {type(exc).__name__}: {exc}")
                    continue
                if t is not None:
                    result.triggers.append(t)
            if result.triggers and self._suspended():
                result.suppressed, result.triggers = result.triggers, []
            for t in result.triggers:
                self.outbox.put(t.id, t.to_dict(), [a.name for a in self.actions])
            self._save_state()
            self.triggers_fired += len(result.triggers)
            result.closed_at = now
            result.latency = time.perf_counter() - t0
            self.history.append(result)
        if result.triggers:
            if self._dispatcher is not None:
                self._dispatcher.notify()
            elif self._dispatch_mode == "inline":
                self.dispatch()
        return result

    def _judge(self, result: WindowResult, outcomes: pa.Table | None) -> None:
        judge(
            result,
            outcomes,
            reference=self.reference,
            features=self.features,
            methods=self.methods,
            thresholds=self.thresholds,
            prediction=self.prediction,
            label=self.label,
            score=self.score,
            sensitive=self.sensitive,
            task=self.task,
            segment_by=self.segment_by,
        )

    def _suspended(self) -> bool:
        if self.registry is None or self.model is None:
            return False
        try:
            return bool(self.registry.get_model(self.model).suspended)
        except Exception:  # unreachable registry: fail safe, do not fire
            log.exception("%s: cannot read model %r; triggers suppressed", self.name, self.model)
            return True

    # -- delivery --------------------------------------------------------------------
    def dispatch(self) -> dict[str, int]:
        """Deliver pending triggers now, on this thread."""
        return self.outbox.dispatch(self.actions)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the background dispatcher has drained the outbox."""
        if self._dispatcher is None:
            self.dispatch()
            return True
        self._dispatcher.notify()
        return self._dispatcher.wait_idle(timeout)

    def close(self) -> None:
        """Stop the dispatcher (pending deliveries stay in the outbox)."""
        if self._dispatcher is not None:
            self._dispatcher.stop()
            self._dispatcher = None

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Monitor({self.name!r}, features={len(self.features)}, windows={len(self.history)})"

    def metrics_snapshot(self) -> dict[str, float]:
        """Counters for exporters: rows observed, windows closed, triggers fired."""
        return {
            "rows_observed": float(self.rows_observed),
            "windows_closed": float(len(self.history)),
            "triggers_fired": float(self.triggers_fired),
        }

    def metrics_collector(self) -> Any:
        """A prometheus-client collector of this monitor's ``driftline_*`` metrics."""
        from driftline.monitor.metrics import MonitorCollector

        return MonitorCollector(self)

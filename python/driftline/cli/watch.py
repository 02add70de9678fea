"""``driftline watch CONFIG``: monitor Parquet files as they land in a folder.

Each file is processed once: its name, size and modification time are recorded in the
state database after its window closed (and its triggers reached the outbox), so a restart
skips it, and a crash midway reprocesses it with the same trigger ids (no repeat).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Annotated

import typer

from driftline.cli.app import app

__all__ = ["ProcessedFiles", "watch_cmd"]


class ProcessedFiles:
    """Which files a monitor already processed (in its state database)."""

    def __init__(self, path: Path, monitor: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.monitor = monitor
        self._conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS watch_files (monitor TEXT NOT NULL, name TEXT NOT NULL,"
            " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, rows INTEGER NOT NULL,"
            " processed_at REAL NOT NULL, PRIMARY KEY (monitor, name))"
        )

    def seen(self, f: Path) -> bool:
        """True when this file (same name, size and mtime) was processed."""
        st = f.stat()
        row = self._conn.execute(
            "SELECT size, mtime_ns FROM watch_files WHERE monitor = ? AND name = ?",
            (self.monitor, f.name),
        ).fetchone()
        return row is not None and tuple(row) == (st.st_size, st.st_mtime_ns)

    def mark(self, f: Path, rows: int) -> None:
        """Record the file as processed."""
        st = f.stat()
        self._conn.execute(
            "INSERT OR REPLACE INTO watch_files VALUES (?, ?, ?, ?, ?, ?)",
            (self.monitor, f.name, st.st_size, st.st_mtime_ns, rows, time.time()),
        )

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _process(mon: object, f: Path, per_file: bool) -> int:
    import pyarrow.parquet as pq

    rows = 0
    pf = pq.ParquetFile(f)
    for batch in pf.iter_batches(batch_size=65_536):
        mon.observe(batch)  # type: ignore[attr-defined]
        rows += batch.num_rows
    if per_file:
        mon.close_window(key=f.name)  # type: ignore[attr-defined]
    return rows


@app.command("watch")
def watch_cmd(
    config: Annotated[
        Path, typer.Argument(help=r"TOML file: \[monitor], \[watch], policies, actions.")
    ],
    once: Annotated[bool, typer.Option("--once", help="Process what is there, then exit.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus /metrics on this port (127.0.0.1).")
    ] = None,
) -> None:
    """Process new Parquet files in the configured folder, each once."""
    from rich.console import Console
    from rich.progress import Progress

    from driftline.monitor.config import load_config

    console = Console(stderr=True)
    try:
        cfg = load_config(config)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    mon = cfg.build_monitor(dispatch="inline")
    done = ProcessedFiles(cfg.state, mon.name)
    if metrics_port is not None:
        from driftline.monitor.metrics import serve

        serve(mon, metrics_port)
    try:
        mon.dispatch()  # what an earlier run decided but did not deliver
        while True:
            now = time.time()
            files = sorted(
                (p for p in cfg.folder.glob(cfg.pattern) if p.is_file()),
                key=lambda p: (p.stat().st_mtime_ns, p.name),
            )
            new = [p for p in files if now - p.stat().st_mtime >= cfg.settle and not done.seen(p)]
            with Progress(console=console, disable=not progress or not new) as bar:
                task = bar.add_task("files", total=len(new))
                for f in new:
                    bar.update(task, description=f.name)
                    try:
                        rows = _process(mon, f, cfg.per_file)
                    except Exception as exc:  # a bad or half-written file: next scan
                        console.print(f"[yellow]skipped {f.name}:[/yellow] {exc}")
                        bar.advance(task)
                        continue
                    done.mark(f, rows)
                    last = mon.history[-1] if mon.history else None
                    if last is not None and last.triggers:
                        names = ", ".join(t.policy for t in last.triggers)
                        console.print(f"{f.name}: {rows} rows, [red]fired {names}[/red]")
                    bar.advance(task)
            if once:
                break
            time.sleep(cfg.interval)
    except KeyboardInterrupt:
        pass
    finally:
        if not cfg.per_file:
            mon.close_window()
        mon.dispatch()
        mon.close()
        done.close()

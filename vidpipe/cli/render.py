"""Output: Rich tables for people, ``--json`` for scripts; both built from the same plain rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

STATUS_STYLES = {
    "SUCCEEDED": "green",
    "REJECTED": "yellow",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "ABORTED": "red",
    "RUNNING": "cyan",
    "RECEIVED": "cyan",
    "PENDING_REDRIVE": "cyan",
    "redriven": "green",
    "restarted": "green",
    "skipped": "dim",
    "would-redrive": "cyan",
    "would-restart": "cyan",
    "moved": "green",
}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def to_json(data: Any) -> str:
    """Stable, indented JSON (datetimes as ISO 8601)."""
    return json.dumps(data, indent=2, sort_keys=False, default=_default, ensure_ascii=False)


def print_json(data: Any) -> None:
    """JSON on stdout, without Rich markup or wrapping, so that it pipes into ``jq``."""
    console.file.write(to_json(data) + "\n")
    console.file.flush()


def styled(value: Any) -> str:
    """A cell, coloured when it is a status or an action."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = "-" if value is None or value == "" else str(value)
    style = STATUS_STYLES.get(text)
    escaped = text.replace("[", r"\[")
    return f"[{style}]{escaped}[/]" if style else escaped


def table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    empty: str = "nothing",
    no_wrap: Sequence[str] = ("job_id", "job", "status", "action", "state", "name"),
) -> None:
    """Print ``rows`` as a table of ``columns`` (keys of the rows; the header is the key in upper case).

    Identifiers and statuses never wrap (they are copied and pasted); free text folds instead.
    """
    rows = list(rows)
    if not rows:
        console.print(f"[dim]{empty}[/]")
        return
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column.replace("_", " ").upper(), overflow="fold", no_wrap=column in no_wrap)
    for row in rows:
        grid.add_row(*(styled(row.get(c)) for c in columns))
    console.print(grid)


def fields(pairs: Iterable[tuple[str, Any]], title: str | None = None) -> None:
    """Print ``name: value`` lines (one record), skipping empty values."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in pairs:
        if value is None or value == "" or value == []:
            continue
        grid.add_row(name, styled(value))
    if title:
        console.print(f"[bold]{title}[/]")
    console.print(grid)


def note_limit(shown: int, limit: int) -> None:
    """Say on stderr that a listing stopped at ``--limit`` (the table alone cannot tell)."""
    if shown >= limit:
        err_console.print(f"[dim]first {limit} shown; see more with --limit[/]")

"""Output of every command: Rich tables for people, JSON for scripts, from the same data.

Conventions (those of the AWS CLI where it has one):

* ``--output table|json`` (``--json`` is short for ``--output json``) and ``--query`` (a JMESPath
  expression applied to the JSON data, in either format): :class:`Output` and :func:`emit`. A command
  builds its data once and passes a function that draws the table; ``emit`` decides.
* JSON carries data, not display strings: times are ISO 8601 UTC with a ``Z`` (:func:`to_data`), durations
  are seconds; the same time format is used in tables.
* Every string is shown literally: consoles never read Rich markup or emoji codes, and cells are
  :class:`rich.text.Text` (a key ``x[/]y.mp4`` or ``fire:fire:.mp4`` prints as it is).
* Output that is not a terminal (a pipe, a file) is neither wrapped nor padded: lines are as long as their
  content and carry no trailing spaces (an explicit ``COLUMNS`` still sets a width).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from vidpipe.cli.durations import iso
from vidpipe.cli.errors import BadArgument

PIPE_WIDTH = 4096  # the width when the output is not a terminal: wide enough that nothing wraps


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def make_console(stderr: bool = False, stream: IO[str] | None = None) -> Console:
    """A console that prints literally; unbounded (no wrapping) when its stream is not a terminal."""
    target = stream or (sys.stderr if stderr else sys.stdout)
    piped = not _is_terminal(target) and not os.environ.get("COLUMNS")
    return Console(
        file=stream,
        stderr=stderr,
        highlight=False,
        markup=False,
        emoji=False,
        width=PIPE_WIDTH if piped else None,
        soft_wrap=piped,
    )


console = make_console()
err_console = make_console(stderr=True)

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
    "cannot-redrive": "red",
    "would-redrive": "cyan",
    "would-restart": "cyan",
    "moved": "green",
}


# -- printing -----------------------------------------------------------------------------------------------
def show(renderable: RenderableType, err: bool = False, soft_wrap: bool | None = None) -> None:
    """Print on stdout (stderr with ``err``); without trailing spaces when the stream is not a terminal.

    ``soft_wrap=True`` leaves long lines to the terminal (log lines: copied whole, never cut by Rich).
    """
    target = err_console if err else console
    if target.is_terminal:
        target.print(renderable, soft_wrap=soft_wrap)
        return
    with target.capture() as captured:
        target.print(renderable, soft_wrap=soft_wrap)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    target.file.write("".join(f"{line}\n" for line in lines))
    target.file.flush()


def say(*parts: str | tuple[str, str] | Text, err: bool = False) -> None:
    """One line of literal text (a part may be ``(text, style)`` or a :class:`Text`), never cut by Rich:
    a terminal wraps it, a pipe gets it whole (an error is one line whatever its length)."""
    show(Text.assemble(*parts), err=err, soft_wrap=True)


def error_line(message: str) -> None:
    """The one line of an expected failure, on stderr."""
    say(("Error:", "bold red"), " ", message, err=True)


def note(message: str) -> None:
    """A dim remark on stderr (what a listing cannot say itself)."""
    say((message, "dim"), err=True)


def styled(value: Any) -> Text:
    """A cell: the value as literal text, coloured when it is a status or an action; times in ISO 8601."""
    if isinstance(value, datetime):
        value = iso(value)
    text = "-" if value is None or value == "" else str(value)
    return Text(text, style=STATUS_STYLES.get(text, ""))


def table(
    rows: Iterable[Mapping[str, Any]],
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
        say((empty, "dim"))
        return
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column.replace("_", " ").upper(), overflow="fold", no_wrap=column in no_wrap)
    for row in rows:
        grid.add_row(*(styled(row.get(c)) for c in columns))
    show(grid)


def fields(pairs: Iterable[tuple[str, Any]], title: str | None = None) -> None:
    """Print ``name  value`` lines (one record), skipping empty values."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in pairs:
        if value is None or value == "" or value == []:
            continue
        grid.add_row(name, styled(value))
    if title:
        say((title, "bold"))
    show(grid)


def note_limit(shown: int, limit: int) -> None:
    """Say on stderr that a listing stopped at ``--limit`` (the table alone cannot tell)."""
    if shown >= limit:
        note(f"first {limit} shown; see more with --limit")


# -- data ---------------------------------------------------------------------------------------------------
def to_data(value: Any) -> Any:
    """``value`` as plain JSON data: times in ISO 8601 UTC (``...Z``), durations in seconds, numbers as
    numbers (DynamoDB's Decimals), tuples and sets as lists."""
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_data(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def to_json(data: Any) -> str:
    """Stable, indented JSON of :func:`to_data`."""
    return json.dumps(to_data(data), indent=2, ensure_ascii=False)


def json_line(data: Any) -> str:
    """Compact one-line JSON of :func:`to_data` (JSON Lines, for output that streams)."""
    return json.dumps(to_data(data), ensure_ascii=False, separators=(",", ":"))


def print_json(data: Any) -> None:
    """JSON on stdout, without Rich markup or wrapping, so that it pipes into ``jq``."""
    console.file.write(to_json(data) + "\n")
    console.file.flush()


# -- --output / --query -------------------------------------------------------------------------------------
class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


OutputOption = Annotated[
    Format | None, typer.Option("--output", "-o", help="table (default) or json.", case_sensitive=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Short for --output json.")]
QueryOption = Annotated[
    str | None,
    typer.Option(help="JMESPath expression applied to the JSON data, as the AWS CLI's --query."),
]


@dataclass(frozen=True)
class Output:
    """How a command prints: the format and the compiled ``--query``."""

    format: Format = Format.TABLE
    query: Any = None  # a compiled JMESPath expression
    query_text: str | None = None

    @classmethod
    def of(cls, output: Format | None = None, as_json: bool = False, query: str | None = None) -> Output:
        """From the command's ``--output``, ``--json`` and ``--query``.

        Raises:
            BadArgument: for ``--json`` with ``--output table``, or a malformed JMESPath expression.
        """
        if as_json and output is Format.TABLE:
            raise BadArgument("--json and --output table contradict each other")
        compiled = None
        if query is not None:
            import jmespath
            from jmespath.exceptions import JMESPathError

            try:
                compiled = jmespath.compile(query)
            except JMESPathError as exc:
                raise BadArgument(f"bad --query {query!r}: {' '.join(str(exc).split())}") from None
        chosen = Format.JSON if as_json else (output or Format.TABLE)
        return cls(chosen, compiled, query)

    @property
    def is_json(self) -> bool:
        return self.format is Format.JSON

    def select(self, data: Any) -> Any:
        """The JSON data, narrowed by ``--query`` when there is one.

        Raises:
            BadArgument: when the expression cannot be applied to this data (a type error).
        """
        plain = to_data(data)
        if self.query is None:
            return plain
        from jmespath.exceptions import JMESPathError

        try:
            return self.query.search(plain)
        except JMESPathError as exc:
            raise BadArgument(f"--query {self.query_text!r}: {' '.join(str(exc).split())}") from None


def emit(out: Output, data: Any, draw: Callable[[], None]) -> None:
    """Print ``data``: as JSON, or with ``draw`` (the command's table view) unless ``--query`` narrowed
    it, in which case the result is drawn as a generic table (:func:`show_value`)."""
    if out.is_json:
        print_json(out.select(data))
    elif out.query is not None:
        show_value(out.select(data))
    else:
        draw()


def show_value(value: Any) -> None:
    """Any JSON value as text: a list of objects as a table, an object as fields, scalars one per line."""
    if value is None:
        return
    if isinstance(value, dict):
        fields((str(k), _scalar(v)) for k, v in value.items())
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = list(dict.fromkeys(k for v in value for k in v))
        table([{k: _scalar(v.get(k)) for k in columns} for v in value], columns)
    elif isinstance(value, list):
        for item in value:
            show(styled(_scalar(item)))
    else:
        show(styled(_scalar(value)))


def _scalar(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list | bool) else value

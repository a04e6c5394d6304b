"""The templates (Jinja2, autoescaped everywhere) and their filters, shared by the console and the
self-contained results page of ``vidpipe results --html`` (which needs no web server)."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2

from vidpipe.console.redact import pretty
from vidpipe.console.results_view import clock

STATUS_ICONS = {
    "SUCCEEDED": ("succeeded", "✓"),
    "FAILED": ("failed", "✗"),
    "TIMED_OUT": ("failed", "⏱"),
    "ABORTED": ("failed", "■"),
    "RUNNING": ("running", "●"),
    "PENDING_REDRIVE": ("running", "↻"),
    "RECEIVED": ("running", "…"),
    "REJECTED": ("caught", "⊘"),
}


def environment() -> jinja2.Environment:
    """The template environment, shared by the console and ``vidpipe results --html``."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vidpipe.console", "templates"),
        autoescape=True,  # every template, .svg fragments included: user strings are always escaped
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, clock=clock, pretty=pretty, status_css=status_css, status_icon=status_icon)
    return env


def when(value: datetime | str | jinja2.Undefined | None) -> str:
    """One time format on every page: ISO 8601 in UTC, to the second; "-" for no time (a running
    execution's stopDate is absent from DescribeExecution)."""
    from vidpipe.cli.durations import parse_time

    if isinstance(value, jinja2.Undefined):
        return "-"
    moment = parse_time(value) if not isinstance(value, datetime) else value
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def status_css(status: str | None) -> str:
    return STATUS_ICONS.get(str(status), ("not-reached", ""))[0]


def status_icon(status: str | None) -> str:
    return STATUS_ICONS.get(str(status), ("", "•"))[1]

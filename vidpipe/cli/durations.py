"""Durations such as ``30m``, ``2h``, ``7d`` (``--since``) and the timestamps they are compared with."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from vidpipe.cli.errors import BadArgument

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PART = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``7d``, ``1h30m``, ``90s``, ``2w`` -> a positive :class:`timedelta`.

    Raises:
        BadArgument: for anything else (with the accepted forms), or a zero duration.
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise BadArgument(
            f"bad duration {text!r}: use a number and a unit s, m, h, d or w (30m, 2h, 7d, 1h30m)"
        )
    delta = sum((timedelta(**{_UNITS[unit]: int(number)}) for number, unit in parts), timedelta())
    if delta <= timedelta(0):
        raise BadArgument(f"bad duration {text!r}: must be more than zero")
    return delta


def since_cutoff(text: str | None, now: datetime | None = None) -> datetime | None:
    """The UTC instant ``text`` ago, or None when no ``--since`` was given."""
    if text is None:
        return None
    return (now or datetime.now(UTC)) - parse_duration(text)


def parse_time(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 timestamp (``...Z`` from Step Functions, or ``+00:00``) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """The job table's timestamp format: ``2026-11-23T03:40:00.123Z`` (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def human_delta(delta: timedelta | None) -> str:
    """``1.2s``, ``3m04s``, ``2h05m``: short enough for a table column."""
    if delta is None:
        return "-"
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"

"""``--since`` values (``30m``, ``1.5h``, ``7d``, or an ISO 8601 time) and the one time format of the CLI.

Every time the CLI shows, in tables and in JSON, is ISO 8601 UTC with milliseconds and a ``Z``
(:func:`iso`: ``2026-12-01T08:52:46.482Z``), the format the job table and Step Functions already use.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from vidpipe.cli.errors import BadArgument

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhdw])")
_LOOKS_LIKE_A_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_MAX_SECONDS = Decimal(int(timedelta.max.total_seconds()))
EARLIEST = datetime.min.replace(tzinfo=UTC)
SINCE_FORMS = "a duration such as 30m, 1.5h, 7d, 1h30m, or an ISO 8601 time such as 2026-12-01T08:00:00Z"


def parse_duration(text: str) -> timedelta:
    """``30m``, ``1.5h``, ``7d``, ``1h30m``, ``90s``, ``2w`` -> a positive :class:`timedelta`.

    A duration longer than :class:`timedelta` can hold (``99999999999w``) is :attr:`timedelta.max`: it
    reaches back before any job anyway.

    Raises:
        BadArgument: for anything else (with the accepted forms), or a zero duration.
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise BadArgument(f"bad duration {text!r}: use {SINCE_FORMS}")
    seconds = sum((Decimal(number) * _SECONDS[unit] for number, unit in parts), Decimal(0))
    if seconds <= 0:
        raise BadArgument(f"bad duration {text!r}: must be more than zero")
    if seconds >= _MAX_SECONDS:
        return timedelta.max
    return timedelta(seconds=float(seconds))


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 date or time (``2026-12-01``, ``2026-12-01T08:00:00Z``, ``...+01:00``) as aware UTC, or
    None when ``text`` does not look like a date. A time without an offset is UTC.

    Raises:
        BadArgument: when it looks like a date but is not a valid one.
    """
    text = text.strip()
    if not _LOOKS_LIKE_A_DATE.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadArgument(f"bad time {text!r}: use {SINCE_FORMS}") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def since_cutoff(text: str | None, now: datetime | None = None) -> datetime | None:
    """The UTC instant ``--since`` names (a time, or a duration ago), or None when it was not given.

    A duration that reaches back further than the calendar does is the earliest representable instant.

    Raises:
        BadArgument: for a value that is neither a duration nor an ISO 8601 time.
    """
    if text is None:
        return None
    moment = parse_moment(text)
    if moment is not None:
        return moment
    delta = parse_duration(text)
    now = now or datetime.now(UTC)
    return EARLIEST if delta >= now - EARLIEST else now - delta


def parse_time(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 timestamp (``...Z`` from Step Functions, or ``+00:00``) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """The CLI's one time format, also the job table's: ``2026-11-23T03:40:00.123Z`` (sorts as text)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


def seconds(delta: timedelta | None) -> float | None:
    """A duration as seconds (to the millisecond) for JSON."""
    return None if delta is None else round(delta.total_seconds(), 3)

"""``--since`` (durations and ISO 8601 times, hostile values included) and the one time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vidpipe.cli.durations import EARLIEST, human_delta, iso, parse_duration, parse_time, since_cutoff
from vidpipe.cli.errors import BadArgument


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("90s", timedelta(seconds=90)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 2H ", timedelta(hours=2)),
        ("1.5h", timedelta(minutes=90)),
        (".5d", timedelta(hours=12)),
        ("1.5h30m", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "3x", "h", "10", "-5m", "1..5h", "0m", "0.0h", "5 minutes", "2h-"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(BadArgument, match="bad duration"):
        parse_duration(text)


def test_since_cutoff() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert since_cutoff(None, now) is None
    assert since_cutoff("2h", now) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert since_cutoff("1.5h", now) == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["1000000w", "99999999999w", "99999999999999999999999d"])
def test_since_longer_than_the_calendar_reaches_the_earliest_instant(text: str) -> None:
    """Once an OverflowError traceback ("1000000w") or "int too large" ("99999999999w")."""
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert since_cutoff(text, now) == EARLIEST
    assert iso(EARLIEST) == "0001-01-01T00:00:00.000Z"  # still sorts before every job's updated_at
    assert since_cutoff("1000w", now) == now - timedelta(weeks=1000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01T09:00:00+01:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01T08:00:00.250Z", datetime(2026, 12, 1, 8, 0, 0, 250000, tzinfo=UTC)),
        ("2026-12-01T08:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),  # no offset: UTC
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_since_accepts_iso_8601_times(text: str, expected: datetime) -> None:
    assert since_cutoff(text) == expected


@pytest.mark.parametrize("text", ["2026-13-01", "2026-12-01T25:00:00Z", "2026-12-01 garbage"])
def test_bad_iso_time(text: str) -> None:
    with pytest.raises(BadArgument, match="bad time"):
        since_cutoff(text)


def test_iso_round_trip_and_sorting() -> None:
    moment = datetime(2026, 11, 23, 3, 40, 0, 123456, tzinfo=UTC)
    assert iso(moment) == "2026-11-23T03:40:00.123Z"
    assert parse_time(iso(moment)) == moment.replace(microsecond=123000)
    assert parse_time("2026-11-23T03:40:00+00:00") == moment.replace(microsecond=0)
    assert parse_time("not a time") is None
    assert iso(moment) > "2026-11-23T03:39:59.999Z"


def test_human_delta() -> None:
    assert human_delta(None) == "-"
    assert human_delta(timedelta(seconds=1.25)) == "1.2s"
    assert human_delta(timedelta(seconds=184)) == "3m04s"
    assert human_delta(timedelta(hours=2, minutes=5)) == "2h05m"

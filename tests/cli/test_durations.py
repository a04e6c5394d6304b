"""Durations (``--since``) and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vidpipe.cli.durations import human_delta, iso, parse_duration, parse_time, since_cutoff
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
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "3x", "h", "10", "-5m", "1.5h", "0m", "5 minutes", "2h-"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(BadArgument, match="bad duration"):
        parse_duration(text)


def test_since_cutoff() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert since_cutoff(None, now) is None
    assert since_cutoff("2h", now) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


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

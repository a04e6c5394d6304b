"""Timestamps in job records: ISO 8601 UTC with milliseconds and a ``Z``, the form of ``$$.State.EnteredTime``,
so that the ones written by the state machine and by Python sort and compare as strings."""

from __future__ import annotations

from datetime import UTC, datetime


def format_time(moment: datetime) -> str:
    """``2026-11-23T10:15:00.123Z`` for an aware datetime."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    """The current time in the job-record form."""
    return format_time(datetime.now(UTC))


def parse_time(text: str) -> datetime:
    """Parse a job-record timestamp (or any ISO 8601 form with an offset or ``Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

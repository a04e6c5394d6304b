"""Conclude: succeed, fail the execution after the whole batch, or send a redriven execution back to Prepare."""

from __future__ import annotations

import pytest

from tasks.conclude import conclude
from tasks.errors import AnalysisFailed, RerunFailedJobs

OK = {"job_id": "a" * 24, "outcome": "SUCCEEDED"}
FAILED_FIRST_RUN = {"job_id": "b" * 24, "outcome": "FAILED", "error": "States.TaskFailed", "redrive_count": 0}


def test_no_failure_succeeds_with_the_counts() -> None:
    skipped = [{"message_id": "m", "outcome": "duplicate", "reason": "r"}]
    out = conclude({"outcomes": [OK], "skipped": skipped, "redrive_count": 0})
    assert out == {"outcomes": [OK], "skipped": skipped, "counts": {"SUCCEEDED": 1, "duplicate": 1}}


def test_a_failed_job_fails_the_execution_naming_it() -> None:
    with pytest.raises(AnalysisFailed, match=rf"1 of 2 job\(s\) failed: {'b' * 24}: States.TaskFailed"):
        conclude({"outcomes": [OK, FAILED_FIRST_RUN], "skipped": [], "redrive_count": 0})


def test_run_again_by_a_redrive_it_sends_the_execution_back_to_prepare() -> None:
    with pytest.raises(RerunFailedJobs, match="redrive 1: re-running 1 failed job"):
        conclude({"outcomes": [OK, FAILED_FIRST_RUN], "skipped": [], "redrive_count": 1})


def test_a_failure_after_the_redrive_fails_again_instead_of_looping() -> None:
    failed_again = {**FAILED_FIRST_RUN, "redrive_count": 1}
    with pytest.raises(AnalysisFailed):
        conclude({"outcomes": [failed_again], "skipped": [], "redrive_count": 1})


def test_an_empty_batch_succeeds() -> None:
    assert conclude({"outcomes": [], "skipped": [], "redrive_count": 0}) == {
        "outcomes": [],
        "skipped": [],
        "counts": {},
    }

"""Replay decisions: the redrive eligibility rules and the skip rules, as a table of cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from vidpipe.cli.replay import Decision, Facts, Mode, decide, redrive_blocker, replay_name

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FAILED = Facts(
    job_status="FAILED",
    execution_status="FAILED",
    execution_name="e1",
    start_date=NOW - timedelta(hours=2),
    stop_date=NOW - timedelta(hours=1),
    history_events=40,
    now=NOW,
)


@pytest.mark.parametrize(
    ("change", "blocker"),
    [
        ({}, None),
        ({"execution_status": "TIMED_OUT"}, None),
        ({"execution_status": "ABORTED"}, None),
        ({"state_machine_type": "EXPRESS"}, "EXPRESS executions cannot be redriven"),
        ({"execution_status": "SUCCEEDED"}, "SUCCEEDED execution cannot be redriven"),
        ({"stop_date": NOW - timedelta(days=14, minutes=1)}, "more than 14 days"),
        ({"stop_date": NOW - timedelta(days=13, hours=23)}, None),
        ({"history_events": 24_999}, "fewer than 24,999"),
        ({"history_events": 24_998}, None),
        ({"start_date": datetime(2023, 11, 14, 23, 59, tzinfo=UTC)}, "before 2023-11-15"),
        ({"start_date": datetime(2023, 11, 15, tzinfo=UTC)}, None),
        (
            {"redrive_status": "NOT_REDRIVABLE", "redrive_status_reason": "Execution is RUNNING"},
            "Execution is",
        ),
        ({"redrive_status": "REDRIVABLE"}, None),
    ],
)
def test_redrive_eligibility(change: dict, blocker: str | None) -> None:
    found = redrive_blocker(replace(FAILED, **change))
    if blocker is None:
        assert found is None
    else:
        assert found is not None and blocker in found


@pytest.mark.parametrize(
    ("change", "mode", "action", "reason"),
    [
        ({}, Mode.AUTO, "redrive", "continues from the failed state"),
        ({}, Mode.REDRIVE, "redrive", "continues from the failed state"),
        ({}, Mode.RESTART, "restart", "restart requested"),
        ({"state_machine_type": "EXPRESS"}, Mode.AUTO, "restart", "EXPRESS"),
        ({"state_machine_type": "EXPRESS"}, Mode.REDRIVE, "skip", "cannot redrive: EXPRESS"),
        ({"stop_date": NOW - timedelta(days=20)}, Mode.AUTO, "restart", "more than 14 days"),
        ({"history_events": 30_000}, Mode.REDRIVE, "skip", "cannot redrive"),
        ({"job_status": "SUCCEEDED"}, Mode.AUTO, "skip", "already SUCCEEDED"),
        ({"job_status": "SUCCEEDED"}, Mode.RESTART, "skip", "already SUCCEEDED"),
        ({"job_status": "REJECTED"}, Mode.RESTART, "skip", "already REJECTED"),
        ({"job_status": "RUNNING"}, Mode.AUTO, "skip", "job is RUNNING"),
        ({"job_status": "RECEIVED"}, Mode.RESTART, "skip", "job is RECEIVED"),
        ({"running_replay": "replay-x-1"}, Mode.RESTART, "skip", "already being replayed by replay-x-1"),
        ({"execution_status": "RUNNING"}, Mode.AUTO, "skip", "is RUNNING"),
        ({"execution_status": "UNKNOWN"}, Mode.RESTART, "skip", "no execution recorded"),
        ({"job_status": None}, Mode.AUTO, "redrive", "failed state"),
        ({"job_status": None, "execution_status": "SUCCEEDED"}, Mode.RESTART, "skip", "SUCCEEDED"),
        ({"execution_status": "SUCCEEDED"}, Mode.AUTO, "restart", "SUCCEEDED execution cannot be redriven"),
        ({"execution_status": "ABORTED"}, Mode.AUTO, "restart", "without a slot"),
        ({"execution_status": "TIMED_OUT"}, Mode.AUTO, "restart", "without a slot"),
        ({"execution_status": "ABORTED"}, Mode.REDRIVE, "redrive", "continues from the failed state"),
    ],
)
def test_decide(change: dict, mode: Mode, action: str, reason: str) -> None:
    decision = decide(replace(FAILED, **change), mode)
    assert decision.action == action
    assert reason in decision.reason, decision


def test_decision_is_a_value() -> None:
    assert decide(FAILED, Mode.RESTART) == Decision("restart", "restart requested: new execution, same input")


def test_replay_names_are_unique_valid_execution_names() -> None:
    names = {replay_name("a" * 24) for _ in range(50)}
    assert len(names) == 50
    assert all(n.startswith("replay-" + "a" * 24 + "-") and len(n) <= 80 for n in names)


def test_impossible_redrive_is_marked_as_such() -> None:
    assert decide(replace(FAILED, history_events=30_000), Mode.REDRIVE).impossible
    assert not decide(replace(FAILED, job_status="SUCCEEDED"), Mode.REDRIVE).impossible
    assert not decide(replace(FAILED, history_events=30_000), Mode.AUTO).impossible


class _Answers:
    """A Step Functions client whose RedriveExecution answers with one given error (AWS error codes that no
    local endpoint produces: the probe's reading of each is pure logic)."""

    def __init__(self, code: str, status: int) -> None:
        self.code, self.status, self.calls = code, status, []

    def redrive_execution(self, **kwargs: str) -> None:
        from botocore.exceptions import ClientError

        self.calls.append(kwargs)
        error = {
            "Error": {"Code": self.code, "Message": "m"},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }
        raise ClientError(error, "RedriveExecution")  # type: ignore[arg-type]


SM = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"


@pytest.mark.parametrize(
    ("code", "status", "local", "expected"),
    [
        ("ExecutionDoesNotExist", 400, False, None),  # AWS, and any endpoint that implements it
        ("UnknownOperationException", 400, True, "redrive is not implemented by this endpoint"),
        ("500", 500, True, "redrive is not implemented by this endpoint"),  # plain moto: NotImplementedError
        ("AccessDeniedException", 400, False, "redrive is not allowed (AccessDeniedException: m)"),
    ],
)
def test_probe_reads_the_answer_to_a_redrive_of_nothing(
    code: str, status: int, local: bool, expected: str | None
) -> None:
    from vidpipe.cli.replay import probe_redrive

    sfn = _Answers(code, status)
    assert probe_redrive(sfn, SM, local) == expected
    [call] = sfn.calls
    assert call["executionArn"].startswith(
        f"{SM.replace(':stateMachine:', ':execution:')}:vidpipe-redrive-probe-"
    )


def test_probe_does_not_guess_on_other_answers() -> None:
    from botocore.exceptions import ClientError

    from vidpipe.cli.replay import probe_redrive

    with pytest.raises(ClientError):
        probe_redrive(_Answers("ThrottlingException", 400), SM, local=False)

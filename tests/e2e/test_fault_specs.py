"""Fast checks of the fault specifications (``--fault NAME[@SCOPE][:COUNT]``), the fault set's counting and
the ``local up`` option errors, and the schedule periods."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from vidpipe.cli.errors import BadArgument
from vidpipe.cli.main import app
from vidpipe.local.faults import FaultError, FaultName, FaultSet, ddb_scope_matches, parse_fault
from vidpipe.local.injection import FaultInjector
from vidpipe.local.schedules import ScheduleError, ScheduleSettings, rate_seconds


@pytest.mark.parametrize(
    ("text", "name", "scope", "count"),
    [
        ("worker-crash", FaultName.WORKER_CRASH, None, None),
        ("worker-crash:3", FaultName.WORKER_CRASH, None, 3),
        ("runtask-failure@FARGATE:2", FaultName.RUNTASK_FAILURE, "FARGATE", 2),
        ("ecs-throttle@fargate_spot", FaultName.ECS_THROTTLE, "FARGATE_SPOT", None),
        ("spot-interruption", FaultName.SPOT_INTERRUPTION, "FARGATE_SPOT", None),  # only Spot is reclaimed
        (
            "ddb-applied-then-error@slot/TransactWriteItems:1",
            FaultName.DDB_APPLIED_THEN_ERROR,
            "slot/TransactWriteItems",
            1,
        ),
        ("drop-status-event@aborted:1", FaultName.DROP_STATUS_EVENT, "ABORTED", 1),
    ],
)
def test_fault_specifications_parse(text: str, name: FaultName, scope: str | None, count: int | None) -> None:
    fault = parse_fault(text)
    assert (fault.name, fault.scope, fault.remaining) == (name, scope, count)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("worker-explode", "unknown fault 'worker-explode'"),
        ("worker-crash:0", "count must be at least 1"),
        ("worker-crash:many", "is not a whole number"),
        ("runtask-failure@EC2", "is not a capacity provider"),
        ("spot-interruption@FARGATE", "only FARGATE_SPOT tasks are reclaimed"),
        ("ddb-applied-then-error@results", "is not one of job, slot"),
        ("ddb-applied-then-error@job/Scan", "operation 'Scan' is not one of"),
        ("drop-status-event@RUNNING", "is not an execution status"),
        ("worker-crash@@", "expected NAME[@SCOPE][:COUNT]"),
    ],
)
def test_bad_fault_specifications_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FaultError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_fault(text)


def test_a_counted_fault_fires_that_often_then_goes() -> None:
    faults = FaultSet()
    fault = faults.add("runtask-failure", scope="FARGATE", count=2)
    on_demand = lambda scope: scope == "FARGATE"  # noqa: E731
    assert faults.take(FaultName.RUNTASK_FAILURE, lambda scope: scope == "FARGATE_SPOT") is None
    assert faults.take(FaultName.RUNTASK_FAILURE, on_demand) is fault
    assert faults.take(FaultName.RUNTASK_FAILURE, on_demand) is fault
    assert faults.take(FaultName.RUNTASK_FAILURE, on_demand) is None
    assert fault.fired == 2 and faults.fired("runtask-failure") == 2 and faults.active() == []


def test_an_uncounted_fault_fires_until_cleared() -> None:
    faults = FaultSet()
    faults.add("worker-crash")
    assert all(faults.take(FaultName.WORKER_CRASH) for _ in range(5))
    faults.clear("worker-crash")
    assert faults.take(FaultName.WORKER_CRASH) is None and faults.fired("worker-crash") == 5


def test_ddb_scopes_match_table_and_operation() -> None:
    assert ddb_scope_matches("slot", "slot", "UpdateItem")
    assert ddb_scope_matches("slot/TransactWriteItems", "slot", "TransactWriteItems")
    assert not ddb_scope_matches("slot/TransactWriteItems", "slot", "UpdateItem")
    assert not ddb_scope_matches("job", "slot", "UpdateItem")


def test_a_ddb_scope_the_stack_cannot_serve_is_refused() -> None:
    """A stack (e.g. a custom template) without a slot table cannot take slot faults; the job table's can."""
    injector = FaultInjector(FaultSet(), {"JobTableName": "jobs"})
    injector.check_scope(parse_fault("ddb-applied-then-error@job/UpdateItem"))
    with pytest.raises(FaultError, match="no SlotTableName output"):
        injector.check_scope(parse_fault("ddb-applied-then-error@slot"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "worker-explode"], "--fault: unknown fault 'worker-explode'"),
        (["--worker-options", "{noop}"], "--worker-options is not JSON"),
        (["--worker-options", "[1, 2]"], "--worker-options must be a JSON object, got list"),
        (["--worker-options", '{"noop": "yes"}'], "--worker-options: noop must be true or false"),
        (["--worker-options", '{"speed": 2}'], "--worker-options: unknown option 'speed'"),
        (["--redrive-iteration-start", "middle"], "--redrive-iteration-start must be one of"),
    ],
)
def test_local_up_refuses_bad_options_in_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["local", "up", "--port", "0", *args])
    assert result.exit_code == BadArgument.exit_code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_schedule_periods() -> None:
    assert rate_seconds("rate(5 minutes)") == 300.0
    assert rate_seconds("rate(1 hour)") == 3600.0
    assert rate_seconds("cron(0 12 * * ? *)") is None
    schedule = ScheduleSettings(
        "nightly", "cron(0 12 * * ? *)", "arn:aws:lambda:us-east-1:1:function:f", "{}"
    )
    assert schedule.period(2.0) == 2.0
    with pytest.raises(ScheduleError, match="pass --reconcile-seconds"):
        schedule.period(None)

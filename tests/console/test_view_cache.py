"""What the Execution page keeps of an ended execution, on real executions of patched moto (in process):
kept once ended, never while running, dropped by a redrive, never a history read before the end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.moto_patches._helpers import REGION, create_function, create_sm, patched_moto
from vidpipe.cli.executions import describe, history
from vidpipe.cli.timeline import build_timeline
from vidpipe.console import view_cache
from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

DEFINITION = {
    "StartAt": "Only",
    "States": {
        "Only": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "Only", "Payload.$": "$"},
            "End": True,
        }
    },
}


class Step:
    """The Lambda handler of state Only: fails while ``failing``; waits for ``release`` while ``holding``."""

    def __init__(self) -> None:
        self.failing = False
        self.holding = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, event: Any, context: Any) -> Any:
        self.entered.set()
        if self.holding and not self.release.wait(timeout=20):
            raise TimeoutError("the test never released the step")
        if self.failing:
            raise RuntimeError("Only failed")
        return event


@pytest.fixture
def sfn(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    view_cache.forget()
    try:
        with patched_moto(monkeypatch):
            yield boto3.client("stepfunctions", region_name=REGION)
    finally:
        view_cache.forget()


@pytest.fixture
def step() -> Step:
    create_function("Only")
    handler = Step()
    moto_patches.register_lambda_handler("Only", handler)
    return handler


def _view(sfn: Any, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    """One view as the page makes it: DescribeExecution, then the history unless it is kept."""
    execution = describe(sfn, arn)
    found = view_cache.kept(arn, execution)
    if found is not None:
        return execution, found.events, True
    events = history(sfn, arn)
    view_cache.keep(arn, execution, events, build_timeline(events))
    return execution, events, False


def test_an_ended_execution_is_kept_until_a_redrive(sfn: Any, step: Step) -> None:
    step.failing = True
    machine = create_sm(sfn, DEFINITION)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"n": 1}))["executionArn"]
    assert wait_for_execution(sfn, arn, timeout=20)["status"] == "FAILED"

    _execution, first, was_kept = _view(sfn, arn)
    assert not was_kept and first[-1]["type"] == "ExecutionFailed"
    _execution, again, was_kept = _view(sfn, arn)
    assert was_kept and again == first

    step.failing, step.holding = False, True
    step.entered.clear()  # set by the first run: await the redrive's own call
    sfn.redrive_execution(executionArn=arn)
    assert step.entered.wait(timeout=20)
    execution, running, was_kept = _view(sfn, arn)  # the redrive runs: read, and not kept
    assert execution["status"] == "RUNNING" and not was_kept
    assert [e["type"] for e in running].count("ExecutionRedriven") == 1
    assert view_cache.kept(arn, execution) is None
    step.release.set()
    assert wait_for_execution(sfn, arn, timeout=20)["status"] == "SUCCEEDED"

    execution, after, was_kept = _view(sfn, arn)  # a new key (status, redriveCount, redriveDate, stopDate)
    assert not was_kept and execution["redriveCount"] == 1
    assert after[: len(first)] == first and after[-1]["type"] == "ExecutionSucceeded"
    assert _view(sfn, arn)[1:] == (after, True)


def test_a_history_read_before_the_end_is_not_kept(sfn: Any, step: Step) -> None:
    step.holding = True
    machine = create_sm(sfn, DEFINITION)
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    assert step.entered.wait(timeout=20)
    early = history(sfn, arn)  # read while it runs (as a view's concurrent read may)
    step.release.set()
    ended = wait_for_execution(sfn, arn, timeout=20)
    assert ended["status"] == "SUCCEEDED"
    view_cache.keep(arn, describe(sfn, arn), early, build_timeline(early))
    assert view_cache.kept(arn, describe(sfn, arn)) is None
    assert _view(sfn, arn)[1][-1]["type"] == "ExecutionSucceeded"


def test_the_job_index_answers_an_execution_that_ended_before_its_last_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Claims are made while an execution runs: read REREAD_MARGIN after its end, the index has them all,
    and the Execution page reads only the records again; before that, it must read the table."""
    from tests.cli.cli_stack import STACK, provision_stack, put_job
    from tests.cli.cli_stack import wait_for_execution as wait_stand_in
    from vidpipe.cli.durations import parse_time
    from vidpipe.cli.lookup import job_store
    from vidpipe.cli.target import Target, TargetOptions
    from vidpipe.console.listing import REREAD_MARGIN, JobIndex
    from vidpipe.contract.names import Output
    from vidpipe.local.server import MotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    moto_patches.apply()
    server = MotoServer(port=0)
    try:
        stack = provision_stack(server.start())
        sfn = stack.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=stack.outputs[Output.STATE_MACHINE_ARN])["executionArn"]
        assert wait_stand_in(stack, arn) == "FAILED"
        mine = [put_job(stack, execution_arn=arn)["job_id"] for _ in range(2)]
        put_job(stack, execution_arn=arn.replace(":execution:", ":execution:x"))  # another execution's
        tgt = Target(TargetOptions(stack=STACK, endpoint_url=stack.endpoint_url))
        index = JobIndex()
        stopped = parse_time(describe(sfn, arn)["stopDate"])
        assert stopped is not None
        assert index.settled_claims(arn, stopped) is None  # never read
        assert sorted(j["job_id"] for j in index.get(tgt)[arn]) == sorted(mine)
        assert index.settled_claims(arn, stopped) is None  # read right after the end: a claim may be missing
        assert index.settled_claims(arn, None) is None  # still running
        long_ago = stopped - REREAD_MARGIN
        assert sorted(index.settled_claims(arn, long_ago) or []) == sorted(mine)
        records = job_store(tgt).get_many([*mine, "0" * 24])  # a missing id is left out
        assert [r["job_id"] for r in records] == mine
    finally:
        server.stop()

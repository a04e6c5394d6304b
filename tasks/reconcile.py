"""Reconcile: the scheduled repair of what the pipeline's own paths can still leak.

Every failure inside an execution is recorded by the execution itself, and aborted or timed-out executions by
the status-change rule; but that rule's events are best effort, and a hand-off's wake-up can be lost (a
Lambda that dies between handing a slot over and calling SendTaskSuccess). Run by an EventBridge Scheduler
schedule (every 5 minutes by default; ``--reconcile-seconds`` locally), this handler:

* releases the slots of executions that have ended (a dead waiter needs no sweep: the hand-off that reaches
  it finds its execution ended and passes the slot on);
* marks FAILED, with a cause that says it was reconciled, every job still RECEIVED or RUNNING whose execution
  has ended;
* wakes again a slot holder whose hand-off was not acknowledged (its job still RECEIVED
  ``rewake_after_seconds`` after the hand-off; a second SendTaskSuccess to a state that did wake is answered
  TaskTimedOut and changes nothing), and serves waiters while slots are free.

Bounded work per run: at most ``max_checks`` DescribeExecution calls, spent on the longest-held slots first,
then on the longest-unchanged RUNNING and RECEIVED jobs (a leak only gets older, so it reaches the front);
whatever is left waits for the next run. Work in progress is never touched: DescribeExecution decides
whether an execution has ended, and each repair is conditional on the state it read (and on the claim's
redrive count, so an execution redriven since is left alone). Its actions are logged and counted as
CloudWatch metrics (embedded metric format, namespace ``vidpipe``).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from tasks.clients import client
from tasks.errors import error_code
from tasks.job_table import JobTable
from tasks.log import logger as logger_for
from tasks.slots import SlotPool, job_of
from tasks.status_change import clean_up
from vidpipe.contract.names import JobStatus, SlotTable, TaskEnv
from vidpipe.contract.timestamps import format_time

logger = logger_for("vidpipe-reconcile")
metrics = Metrics(namespace="vidpipe", service="reconciler")

RECONCILED = "Reconciled by vidpipe: the execution had ended but this job was still in flight. "
DEFAULTS = {"rewake_after_seconds": 10, "max_checks": 100, "max_items": 500}


class Reconciler:
    """One run's repairs, with a budget of DescribeExecution calls (each execution described once)."""

    def __init__(self, sfn: Any, table: JobTable, pool: SlotPool, max_checks: int) -> None:
        self.sfn, self.table, self.pool = sfn, table, pool
        self.max_checks = max_checks
        self.described: dict[str, dict[str, Any] | None] = {}
        self.actions: Counter[str] = Counter()

    def describe(self, execution_arn: str) -> dict[str, Any] | None:
        """DescribeExecution once per run; None when the budget is spent."""
        if execution_arn in self.described:
            return self.described[execution_arn]
        if len(self.described) >= self.max_checks:
            self.actions["deferred"] += 1
            return None
        try:
            execution: dict[str, Any] | None = self.sfn.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
            execution = {"executionArn": execution_arn, "status": "ABORTED", "input": "null"}
        self.described[execution_arn] = execution
        return execution

    def ended(self, execution_arn: str) -> dict[str, Any] | None:
        """The execution if it has ended (described within budget), else None."""
        execution = self.describe(execution_arn)
        if execution is None or execution.get("status") in ("RUNNING", "PENDING_REDRIVE"):
            return None
        return execution

    def repair_execution(self, execution: dict[str, Any]) -> None:
        outcome = clean_up(execution, self.table, self.pool, cause_prefix=RECONCILED)
        self.actions["jobs_failed"] += len(outcome.get("failed_jobs", []))
        self.actions["slots_released"] += len(outcome.get("released_slots", []))
        if outcome.get("failed_jobs") or outcome.get("released_slots"):
            logger.info("reconciled an ended execution", extra=outcome)

    def sweep_holders(self, holders: list[dict[str, Any]], rewake_before: str) -> None:
        """Slots held by ended executions; hand-offs never acknowledged."""
        for member in holders:
            execution = self.ended(str(member["execution_arn"]))
            if execution is not None:
                before = self.actions["slots_released"]
                self.repair_execution(execution)
                if self.actions["slots_released"] == before:  # not in the execution's input: free it anyway
                    job_id = job_of(member[SlotTable.SORT_KEY])
                    if self.pool.release(job_id, str(member["execution_arn"])).value != "not_held":
                        self.actions["slots_released"] += 1
                continue
            if member.get("token") and str(member.get("since", "")) < rewake_before:
                job = self.table.get(job_of(member[SlotTable.SORT_KEY]))
                if job is not None and job.get("status") == JobStatus.RECEIVED and self.pool.rewake(member):
                    self.actions["wakeups_resent"] += 1
                    logger.info("woke a slot holder again", extra={"member": member[SlotTable.SORT_KEY]})

    def sweep_jobs(self, jobs: list[dict[str, Any]]) -> None:
        """Jobs RECEIVED or RUNNING whose execution has ended."""
        for job in jobs:
            if not job.get("execution_arn"):
                continue
            execution = self.ended(str(job["execution_arn"]))
            if execution is not None:
                self.repair_execution(execution)


def reconcile(
    sfn: Any,
    table: JobTable,
    pool: SlotPool,
    settings: dict[str, int] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One reconciliation run; returns the counts of what it did. ``settings`` override :data:`DEFAULTS`."""
    options = {**DEFAULTS, **(settings or {})}
    rewake_before = format_time(
        (now or datetime.now(UTC)) - timedelta(seconds=options["rewake_after_seconds"])
    )
    run = Reconciler(sfn, table, pool, options["max_checks"])
    run.sweep_holders(pool.holders(), rewake_before)
    run.sweep_jobs(table.in_flight(limit=options["max_items"]))
    run.actions["waiters_served"] += pool.repair()
    result = {"actions": dict(sorted(run.actions.items())), "executions_checked": len(run.described)}
    logger.info("reconciled", extra=result)
    return result


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (EventBridge Scheduler target). ``event`` may override the DEFAULTS."""
    dynamodb, sfn = client("dynamodb"), client("stepfunctions")
    settings = {k: int(v) for k, v in (event or {}).items() if k in DEFAULTS}
    result = reconcile(
        sfn,
        JobTable(dynamodb, os.environ[TaskEnv.TABLE]),
        SlotPool(dynamodb, sfn, os.environ[TaskEnv.SLOT_TABLE]),
        settings,
    )
    metrics.add_metric(name="Reconciler_runs", unit=MetricUnit.Count, value=1)
    for name, count in result["actions"].items():
        metrics.add_metric(name=f"Reconciler_{name}", unit=MetricUnit.Count, value=count)
    metrics.flush_metrics()
    return result

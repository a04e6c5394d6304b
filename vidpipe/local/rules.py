"""The execution status-change rule: "Step Functions Execution Status Change" events to the rule's targets.

moto emits no EventBridge events for executions, so a watcher thread learns of each execution that reached a
terminal status from a moto hook as it ends (:mod:`vidpipe.local.moto_patches.execution_end`), and as a
safety net lists the state machines' executions every ``full_poll`` seconds (a redriven execution ends again:
its redrive count tells the two ends apart). For each, it builds the event EventBridge would deliver
(source ``aws.states``, detail with executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause, redriveCount...), matches it
against the template's rule pattern (:mod:`.patterns`) and delivers it to the rule's Lambda targets as
EventBridge does: an asynchronous Invoke (``InvocationType=Event``). Lambda then owns the event: a function
error is retried by Lambda (twice, or the function's EventInvokeConfig ``MaximumRetryAttempts``) and ends at
the function's on-failure destination or is dropped (:mod:`vidpipe.local.moto_patches.lambda_async`).

The rule's ``RetryPolicy`` and ``DeadLetterConfig`` cover delivery only (an Invoke that fails: a missing
function, throttling): delivery is retried at later polls (every ``interval`` seconds while one is pending) up
to ``MaximumRetryAttempts``, then the event goes
to the target's dead-letter queue, if any. The ``drop-status-event`` fault (:mod:`.faults`) drops events,
as EventBridge's best-effort delivery of these events may.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from vidpipe.local import moto_patches
from vidpipe.local.background import BackgroundLoop
from vidpipe.local.faults import FaultName, FaultSet
from vidpipe.local.patterns import EventPattern, compile_pattern

log = logging.getLogger(__name__)

DETAIL_TYPE = "Step Functions Execution Status Change"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
DEFAULT_MAX_RETRIES = 185  # EventBridge's default MaximumRetryAttempts


@dataclass(frozen=True)
class LambdaTarget:
    """A rule's Lambda target: where to deliver, how often to retry delivery, where undeliverable events go."""

    arn: str
    max_retries: int = DEFAULT_MAX_RETRIES
    dead_letter_arn: str | None = None


@dataclass(frozen=True)
class RuleSettings:
    """One rule: its pattern and its Lambda targets (other target types are not emulated)."""

    name: str
    pattern: EventPattern
    targets: tuple[LambdaTarget, ...]

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> RuleSettings:
        targets = [
            LambdaTarget(
                str(t["Arn"]),
                int((t.get("RetryPolicy") or {}).get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
                (t.get("DeadLetterConfig") or {}).get("Arn"),
            )
            for t in properties.get("Targets", [])
            if ":lambda:" in str(t["Arn"])
        ]
        return cls(str(properties["Name"]), compile_pattern(properties["EventPattern"]), tuple(targets))


def _millis(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def status_change_event(execution: Mapping[str, Any], region: str, account_id: str) -> dict[str, Any]:
    """The EventBridge event of an execution's status change, from a DescribeExecution response."""
    detail: dict[str, Any] = {
        "executionArn": execution["executionArn"],
        "stateMachineArn": execution["stateMachineArn"],
        "name": execution["name"],
        "status": execution["status"],
        "startDate": _millis(execution.get("startDate")),
        "stopDate": _millis(execution.get("stopDate")),
        "input": execution.get("input"),
        "output": execution.get("output"),
        "inputDetails": {"included": True},
        "outputDetails": {"included": True},
        "error": execution.get("error"),
        "cause": execution.get("cause"),
        "redriveCount": execution.get("redriveCount", 0),
        "redriveStatus": execution.get("redriveStatus"),
    }
    if execution.get("redriveDate"):
        detail["redriveDate"] = _millis(execution["redriveDate"])
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.states",
        "account": account_id,
        "time": (execution.get("stopDate") or execution["startDate"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [execution["executionArn"]],
        "detail": detail,
    }


class StatusChangeWatcher(BackgroundLoop):
    """Delivers status-change events of ended executions to matching rules (see the module doc)."""

    def __init__(
        self,
        sfn: Any,
        lambda_client: Any,
        sqs: Any,
        state_machine_arns: Iterable[str],
        rules: Iterable[RuleSettings],
        region: str,
        account_id: str,
        faults: FaultSet | None = None,
        interval: float = 0.25,
        full_poll: float = 2.0,
    ) -> None:
        self._sfn = sfn
        self._lambda = lambda_client
        self._sqs = sqs
        self._state_machines = list(state_machine_arns)
        self._rules = list(rules)
        self._region = region
        self._account = account_id
        self._faults = faults or FaultSet()
        self._interval = interval
        self._full_poll = full_poll
        self._wake = threading.Event()
        self._ended_lock = threading.Lock()
        self._ended: list[str] = []  # told by the hook, not yet delivered
        self._seen: set[tuple[str, int]] = set()  # (execution ARN, redrive count) delivered or given up
        self._delivery_failures: dict[tuple[str, int, str], int] = {}
        super().__init__("status-change-rule")
        self.delivered: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []
        self.dead_lettered: list[dict[str, Any]] = []

    def start(self) -> None:
        moto_patches.set_execution_end_listener(self._execution_ended)
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        moto_patches.set_execution_end_listener(None)
        self._stop.set()
        self._wake.set()
        super().stop(timeout)

    def _execution_ended(self, execution_arn: str) -> None:
        """The hook's listener, in the ending execution's thread: queue it for the watcher's thread."""
        state_machine = execution_arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        if state_machine in self._state_machines:
            with self._ended_lock:
                self._ended.append(execution_arn)
            self._wake.set()

    def _loop(self) -> None:
        next_full = time.monotonic()
        while not self._stop.is_set():
            retrying = any(count > 0 for count in self._delivery_failures.values())
            wait = self._interval if retrying else max(0.0, next_full - time.monotonic())
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._deliver_ended()
                if retrying or time.monotonic() >= next_full:
                    self.poll_once()
                    next_full = time.monotonic() + self._full_poll
            except Exception:  # keep watching; the executions are looked at again at the next poll
                log.exception("status-change watcher: poll failed")

    def _deliver_ended(self) -> None:
        with self._ended_lock:
            ended, self._ended = self._ended, []
        for execution_arn in ended:
            self._deliver(execution_arn)

    def poll_once(self) -> None:
        """One look at every state machine's executions (also callable from tests)."""
        for arn in self._state_machines:
            for status in TERMINAL:
                paginator = self._sfn.get_paginator("list_executions")
                for page in paginator.paginate(stateMachineArn=arn, statusFilter=status):
                    for item in page["executions"]:
                        if (item["executionArn"], int(item.get("redriveCount", 0))) not in self._seen:
                            self._deliver(item["executionArn"])

    def _deliver(self, execution_arn: str) -> None:
        execution = self._sfn.describe_execution(executionArn=execution_arn)
        key = (execution_arn, int(execution.get("redriveCount", 0)))
        if key in self._seen:  # told by the hook and found by a full poll too
            return
        if execution["status"] not in TERMINAL:  # redriven since it was listed
            return
        event = status_change_event(execution, self._region, self._account)
        if self._faults.take(FaultName.DROP_STATUS_EVENT, lambda scope: scope == execution["status"]):
            log.info(
                "fault drop-status-event: the %s event of %s is not delivered",
                execution["status"],
                execution_arn,
            )
            self.dropped.append(event)
            self._seen.add(key)
            return
        pending = False
        for rule in self._rules:
            if not rule.pattern.matches_event(event):
                continue
            rule_pending = False
            for target in rule.targets:
                rule_pending |= not self._invoke(target, event, (*key, target.arn), rule.name)
            if not rule_pending:
                self.delivered.append(event)
            pending |= rule_pending
        if not pending:
            self._seen.add(key)

    def _invoke(
        self, target: LambdaTarget, event: dict[str, Any], key: tuple[str, int, str], rule: str
    ) -> bool:
        """Deliver ``event`` to ``target`` asynchronously; False when delivery must be tried again later."""
        if self._delivery_failures.get(key, 0) < 0:  # delivered or dead-lettered already
            return True
        try:
            self._lambda.invoke(
                FunctionName=target.arn, InvocationType="Event", Payload=json.dumps(event).encode()
            )
        except ClientError as exc:
            failures = self._delivery_failures[key] = self._delivery_failures.get(key, 0) + 1
            if failures <= target.max_retries:
                log.warning(
                    "rule %s: delivery to %s failed (attempt %d): %s", rule, target.arn, failures, exc
                )
                return False
            self._dead_letter(target, event, exc, rule)
        self._delivery_failures[key] = -1
        return True

    def _dead_letter(self, target: LambdaTarget, event: dict[str, Any], exc: ClientError, rule: str) -> None:
        """An undeliverable event goes to the target's DLQ with EventBridge's message attributes, or is dropped."""
        if not target.dead_letter_arn:
            log.error("rule %s: giving up delivering to %s (no dead-letter queue): %s", rule, target.arn, exc)
            return
        queue_url = self._sqs.get_queue_url(QueueName=target.dead_letter_arn.rsplit(":", 1)[-1])["QueueUrl"]
        error = exc.response.get("Error", {})
        attributes = {
            "RULE_ARN": f"arn:aws:events:{self._region}:{self._account}:rule/{rule}",
            "TARGET_ARN": target.arn,
            "ERROR_CODE": str(error.get("Code", "")),
            "ERROR_MESSAGE": str(error.get("Message", "")),
        }
        self._sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v or "-"} for k, v in attributes.items()
            },
        )
        self.dead_lettered.append(event)

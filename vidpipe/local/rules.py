"""The execution status-change rule: "Step Functions Execution Status Change" events to the rule's targets.

moto emits no EventBridge events for executions, so a watcher thread polls the state machines' executions
(list_executions, every ``interval`` seconds until the runtime stops) and, for each execution that reached a
terminal status since the last look, builds the event EventBridge would deliver (source ``aws.states``,
detail with executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause),
matches it against the template's rule pattern (:mod:`.patterns`) and invokes the rule's Lambda targets
through moto's Lambda (so the registered in-process handler runs with its function's environment).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vidpipe.local.background import BackgroundLoop
from vidpipe.local.patterns import EventPattern, compile_pattern

log = logging.getLogger(__name__)

DETAIL_TYPE = "Step Functions Execution Status Change"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
DEFAULT_MAX_RETRIES = 185  # EventBridge's default MaximumRetryAttempts


@dataclass(frozen=True)
class RuleSettings:
    """One rule: its pattern and its Lambda target ARNs (other target types are not emulated)."""

    name: str
    pattern: EventPattern
    lambda_targets: tuple[str, ...]
    max_retries: int = DEFAULT_MAX_RETRIES

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> RuleSettings:
        targets = [t for t in properties.get("Targets", []) if ":lambda:" in str(t["Arn"])]
        retries = [int(t["RetryPolicy"]["MaximumRetryAttempts"]) for t in targets if "RetryPolicy" in t]
        return cls(
            str(properties["Name"]),
            compile_pattern(properties["EventPattern"]),
            tuple(str(t["Arn"]) for t in targets),
            min(retries) if retries else DEFAULT_MAX_RETRIES,
        )


def _millis(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def status_change_event(execution: Mapping[str, Any], region: str, account_id: str) -> dict[str, Any]:
    """The EventBridge event of an execution's status change, from a DescribeExecution response."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.states",
        "account": account_id,
        "time": (execution.get("stopDate") or execution["startDate"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [execution["executionArn"]],
        "detail": {
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
        },
    }


class StatusChangeWatcher(BackgroundLoop):
    """Polls executions and delivers status-change events of terminal executions to matching rules."""

    def __init__(
        self,
        sfn: Any,
        lambda_client: Any,
        state_machine_arns: Iterable[str],
        rules: Iterable[RuleSettings],
        region: str,
        account_id: str,
        interval: float = 0.25,
        on_end: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._sfn = sfn
        self._lambda = lambda_client
        self._state_machines = list(state_machine_arns)
        self._rules = list(rules)
        self._region = region
        self._account = account_id
        self._interval = interval
        self._on_end = on_end  # sees every execution that ended (DescribeExecution), before the rules
        self._seen: set[str] = set()
        self._failures: dict[str, int] = {}
        super().__init__("status-change-rule")
        self.delivered: list[dict[str, Any]] = []

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll_once()
            except Exception:  # keep watching; the executions are looked at again at the next poll
                log.exception("status-change watcher: poll failed")

    def poll_once(self) -> None:
        """One look at every state machine's executions (also callable from tests)."""
        for arn in self._state_machines:
            for status in TERMINAL:
                paginator = self._sfn.get_paginator("list_executions")
                for page in paginator.paginate(stateMachineArn=arn, statusFilter=status):
                    for item in page["executions"]:
                        if item["executionArn"] not in self._seen:
                            self._deliver(item["executionArn"])

    def _deliver(self, execution_arn: str) -> None:
        execution = self._sfn.describe_execution(executionArn=execution_arn)
        if self._on_end is not None and execution_arn not in self._failures:
            self._on_end(execution)
        event = status_change_event(execution, self._region, self._account)
        for rule in self._rules:
            if not rule.pattern.matches_event(event):
                continue
            for target in rule.lambda_targets:
                response = self._lambda.invoke(FunctionName=target, Payload=json.dumps(event).encode())
                if response.get("FunctionError"):
                    # EventBridge retries up to the target's MaximumRetryAttempts, then uses the rule's DLQ;
                    # locally the event is retried at the next poll, then dropped with an error in the log.
                    failures = self._failures[execution_arn] = self._failures.get(execution_arn, 0) + 1
                    detail = response["Payload"].read().decode("utf-8", "replace")
                    if failures <= rule.max_retries:
                        log.warning(
                            "rule %s: target %s failed (attempt %d): %s", rule.name, target, failures, detail
                        )
                        return
                    log.error(
                        "rule %s: giving up on %s after %d attempts", rule.name, execution_arn, failures
                    )
            self.delivered.append(event)
        self._seen.add(execution_arn)

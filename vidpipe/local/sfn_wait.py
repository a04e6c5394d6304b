"""Wait for a Step Functions execution to finish, with a deadline (no bare sleeps in tests)."""

from __future__ import annotations

import time
from typing import Any

TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class ExecutionWaitTimeout(TimeoutError):
    """The execution was still running at the deadline; ``last`` is the last DescribeExecution answer."""

    def __init__(self, execution_arn: str, timeout: float, last: dict[str, Any]) -> None:
        super().__init__(f"execution {execution_arn} still {last.get('status')} after {timeout:.1f}s")
        self.execution_arn = execution_arn
        self.last = last


def wait_for_execution(
    client: Any, execution_arn: str, timeout: float = 30.0, poll_interval: float = 0.05
) -> dict[str, Any]:
    """Poll ``describe_execution`` until the execution ends; return that DescribeExecution response.

    Raises :class:`ExecutionWaitTimeout` after ``timeout`` seconds. ``client`` is a boto3 ``stepfunctions``
    client (moto in-process or any endpoint). Thread-safe (no shared state).
    """
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = client.describe_execution(executionArn=execution_arn)
        if described["status"] in TERMINAL_STATUSES:
            return described
        if time.monotonic() >= deadline:
            raise ExecutionWaitTimeout(execution_arn, timeout, described)
        time.sleep(poll_interval)

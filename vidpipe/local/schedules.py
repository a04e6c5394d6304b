"""Scheduled Lambda functions: the template's ``AWS::Scheduler::Schedule`` and scheduled ``AWS::Events::Rule``.

Both invoke a Lambda target asynchronously on AWS ("When you set up EventBridge Scheduler with Lambda,
EventBridge Scheduler invokes your Lambda function asynchronously", Lambda developer guide, "Using Lambda with
Amazon EventBridge Scheduler"; EventBridge rules invoke Lambda asynchronously too), so a schedule here is a
loop that makes an ``InvocationType=Event`` Invoke every period: Lambda's retries and destinations then apply
(:mod:`vidpipe.local.moto_patches.lambda_async`).

The payload: a schedule's ``Target.Input`` (EventBridge Scheduler sends it as is; ``{}`` when absent); a rule's
target ``Input`` or else the "Scheduled Event" event EventBridge sends. The period: ``rate(N unit)`` from the
template, or the runtime's ``--reconcile-seconds`` which replaces every schedule's period locally (a cron
expression needs it: it is not evaluated here).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vidpipe.local.background import BackgroundLoop

log = logging.getLogger(__name__)

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """A schedule the local runtime cannot run (a cron expression without a local period)."""


def rate_seconds(expression: str) -> float | None:
    """``rate(5 minutes)`` -> 300.0; None for other expressions (cron, at)."""
    match = _RATE.match(expression.strip())
    if not match:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


@dataclass(frozen=True)
class ScheduleSettings:
    """One scheduled Lambda invocation."""

    name: str
    expression: str
    function_arn: str
    payload: str
    enabled: bool = True

    @classmethod
    def from_schedule(cls, properties: Mapping[str, Any]) -> ScheduleSettings | None:
        """From resolved ``AWS::Scheduler::Schedule`` properties; None when the target is not a Lambda."""
        target = properties.get("Target") or {}
        if ":lambda:" not in str(target.get("Arn", "")):
            return None
        raw_input = target.get("Input", "{}")
        return cls(
            str(properties["Name"]),
            str(properties["ScheduleExpression"]),
            str(target["Arn"]),
            raw_input if isinstance(raw_input, str) else json.dumps(raw_input),
            str(properties.get("State", "ENABLED")) == "ENABLED",
        )

    @classmethod
    def from_rule(cls, properties: Mapping[str, Any], region: str, account_id: str) -> list[ScheduleSettings]:
        """From resolved scheduled ``AWS::Events::Rule`` properties: one per Lambda target."""
        found = []
        for target in properties.get("Targets", []):
            if ":lambda:" not in str(target.get("Arn", "")):
                continue
            payload = target.get("Input")
            found.append(
                cls(
                    f"{properties['Name']}/{target.get('Id', 'target')}",
                    str(properties["ScheduleExpression"]),
                    str(target["Arn"]),
                    payload if isinstance(payload, str) else _scheduled_event(properties, region, account_id),
                    str(properties.get("State", "ENABLED")) == "ENABLED",
                )
            )
        return found

    def period(self, override: float | None) -> float:
        """Seconds between invocations locally.

        Raises:
            ScheduleError: for a non-rate expression without ``override``.
        """
        if override is not None:
            return override
        seconds = rate_seconds(self.expression)
        if seconds is None:
            raise ScheduleError(
                f"schedule {self.name}: {self.expression!r} is not a rate(); pass --reconcile-seconds to run it"
            )
        return seconds


def _scheduled_event(properties: Mapping[str, Any], region: str, account_id: str) -> str:
    """The payload of EventBridge's "Scheduled Event" (``time`` and ``id`` are refreshed per invocation)."""
    return json.dumps(
        {
            "version": "0",
            "id": "",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account_id,
            "time": "",
            "region": region,
            "resources": [f"arn:aws:events:{region}:{account_id}:rule/{properties['Name']}"],
            "detail": {},
        }
    )


class ScheduledInvoker(BackgroundLoop):
    """Invokes one schedule's Lambda target asynchronously every ``period`` seconds until stopped."""

    def __init__(self, settings: ScheduleSettings, lambda_client: Any, period: float) -> None:
        if period <= 0:
            raise ScheduleError(f"schedule {settings.name}: the period must be positive, got {period}")
        self.settings = settings
        self.period = period
        self._lambda = lambda_client
        super().__init__(f"schedule-{settings.name}")
        self.invocations = 0

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.invoke_once()
            except Exception:  # the next period tries again, as a schedule would
                log.exception("schedule %s: invocation failed", self.settings.name)

    def invoke_once(self) -> None:
        payload = self.settings.payload
        if '"detail-type": "Scheduled Event"' in payload:
            event = json.loads(payload)
            event.update(id=str(uuid.uuid4()), time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            payload = json.dumps(event)
        self._lambda.invoke(
            FunctionName=self.settings.function_arn, InvocationType="Event", Payload=payload.encode()
        )
        self.invocations += 1

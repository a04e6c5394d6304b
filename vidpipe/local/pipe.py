"""The local EventBridge Pipe: SQS source -> filter -> batch -> Step Functions StartExecution.

Settings come from the template's ``AWS::Pipes::Pipe`` (source queue, FilterCriteria, BatchSize,
MaximumBatchingWindowInSeconds, target state machine, FIRE_AND_FORGET). Like the real pipe:

* the target receives a JSON array of records in the Pipes SQS shape (``messageId``, ``receiptHandle``,
  ``body`` as a string, ``attributes``, ``messageAttributes``, ``md5OfBody``, ``eventSource``, ...);
* filters see the body parsed as JSON when it is JSON (patterns can match ``body.Records.eventName``);
* messages that match no filter are deleted (they never reach the target; stated by third parties, not in
  AWS's docs);
* matching messages are deleted only after StartExecution succeeded. A failed start leaves them in the
  queue: they come back after the visibility timeout and move to the DLQ after ``maxReceiveCount``.

Each execution gets a unique name (the pipe cannot name executions on AWS either; moto needs one).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vidpipe.local.background import BackgroundLoop
from vidpipe.local.patterns import EventPattern, compile_pattern, matches_any

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 1  # short enough that stop() returns quickly; SQS allows up to 20
MAX_RECEIVE = 10  # SQS ReceiveMessage maximum


@dataclass(frozen=True)
class PipeSettings:
    """The pipe's behaviour, read from the template's resolved ``AWS::Pipes::Pipe`` properties."""

    name: str
    queue_arn: str
    queue_url: str
    target_arn: str
    filters: tuple[EventPattern, ...]
    batch_size: int
    batching_window_seconds: float
    invocation_type: str

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any], queue_url: str) -> PipeSettings:
        source = properties.get("SourceParameters", {})
        sqs = source.get("SqsQueueParameters", {})
        filters = source.get("FilterCriteria", {}).get("Filters", [])
        target = properties.get("TargetParameters", {}).get("StepFunctionStateMachineParameters", {})
        return cls(
            name=str(properties["Name"]),
            queue_arn=str(properties["Source"]),
            queue_url=queue_url,
            target_arn=str(properties["Target"]),
            filters=tuple(compile_pattern(f["Pattern"]) for f in filters),
            batch_size=int(sqs.get("BatchSize", 10)),
            batching_window_seconds=float(sqs.get("MaximumBatchingWindowInSeconds", 0)),
            invocation_type=str(target.get("InvocationType", "REQUEST_RESPONSE")),
        )


def pipe_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message in the shape EventBridge Pipes gives its target (and its filters)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": dict(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What filter patterns match against: the record with a JSON body parsed (Pipes' documented rule)."""
    try:
        body: Any = json.loads(record["body"])
    except (TypeError, ValueError):
        body = record["body"]
    return {**record, "body": body}


class Pipe(BackgroundLoop):
    """Runs one pipe on a daemon thread until :meth:`stop`."""

    def __init__(self, settings: PipeSettings, sqs: Any, sfn: Any, region: str) -> None:
        if settings.invocation_type != "FIRE_AND_FORGET":
            raise ValueError(f"pipe {settings.name}: a STANDARD state machine target needs FIRE_AND_FORGET")
        self.settings = settings
        self._sqs = sqs
        self._sfn = sfn
        self._region = region
        super().__init__(f"pipe-{settings.name}")
        self.started_executions: list[str] = []
        self.filtered_out = 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._collect()
                if batch:
                    self._deliver(batch)
            except Exception:  # keep polling, as the managed pipe does; undeleted messages come back
                log.exception(
                    "pipe %s: delivery failed; the messages will be redelivered", self.settings.name
                )
                self._stop.wait(1.0)

    def _receive(self, wait_seconds: int, max_messages: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.settings.queue_url,
            MaxNumberOfMessages=max(1, min(MAX_RECEIVE, max_messages)),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def _collect(self) -> list[dict[str, Any]]:
        """Long-poll, filter, and fill a batch up to the batch size or the end of the batching window."""
        settings = self.settings
        batch: list[dict[str, Any]] = []
        window_ends: float | None = None
        while not self._stop.is_set():
            wait = LONG_POLL_SECONDS
            if window_ends is not None:
                remaining = window_ends - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(wait, max(0, int(remaining)))
            messages = self._receive(wait, MAX_RECEIVE)
            for message in messages:
                record = pipe_record(message, settings.queue_arn, self._region)
                if matches_any(settings.filters, filter_view(record)):
                    batch.append(record)
                else:
                    self.filtered_out += 1
                    self._sqs.delete_message(
                        QueueUrl=settings.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            if batch and window_ends is None:
                window_ends = time.monotonic() + settings.batching_window_seconds
            if len(batch) >= settings.batch_size or (batch and settings.batching_window_seconds <= 0):
                break
            if not messages and not batch:
                return []
        return batch

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        for start in range(0, len(batch), self.settings.batch_size):
            chunk = batch[start : start + self.settings.batch_size]
            name = f"pipe-{uuid.uuid4().hex}"
            arn = self._sfn.start_execution(
                stateMachineArn=self.settings.target_arn, name=name, input=json.dumps(chunk)
            )["executionArn"]
            self.started_executions.append(arn)
            for first in range(0, len(chunk), MAX_RECEIVE):  # DeleteMessageBatch takes 10 entries
                self._sqs.delete_message_batch(
                    QueueUrl=self.settings.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                        for i, r in enumerate(chunk[first : first + MAX_RECEIVE])
                    ],
                )

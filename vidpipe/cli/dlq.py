"""``vidpipe dlq show|redrive``: the upload notifications that never started an execution.

Messages land in the dead-letter queue when the pipe failed to start an execution ``maxReceiveCount``
times. ``redrive`` moves them back with receive / send / delete rather than SQS ``StartMessageMoveTask``:
moto does not implement the move task, and receive/send/delete works the same on AWS (at least once: a
message is deleted from the DLQ only after the main queue accepted its copy).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote_plus

import typer

from vidpipe.cli import render
from vidpipe.cli.context import target
from vidpipe.cli.durations import parse_time
from vidpipe.cli.errors import UserError
from vidpipe.cli.target import Target

app = typer.Typer(
    help="Dead-letter queue: the uploads that never started an execution.", no_args_is_help=True
)

SHOW_COLUMNS = ("message_id", "key", "event", "event_time", "receives", "sent")
REDRIVE_COLUMNS = ("message_id", "key", "action")
_PEEK_ROUNDS = 3  # receive calls without a new message before a peek stops


def summarize(body: str) -> dict[str, Any]:
    """What an operator needs from a message body: the object key and the event (S3 notification JSON).

    A body that is not an S3 notification (a poisoned message) is summarised as such, never an error.
    """
    try:
        document = json.loads(body)
    except ValueError:
        return {"key": None, "event": "not JSON", "event_time": None}
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list) or not records:
        event = document.get("Event") if isinstance(document, dict) else None
        return {"key": None, "event": event or "no Records", "event_time": None}
    first = records[0] if isinstance(records[0], dict) else {}
    s3 = first.get("s3") or {}
    key = (s3.get("object") or {}).get("key")
    bucket = (s3.get("bucket") or {}).get("name")
    more = f" (+{len(records) - 1})" if len(records) > 1 else ""
    return {
        "key": (f"s3://{bucket}/{unquote_plus(key)}" if bucket else unquote_plus(key)) + more
        if key
        else None,
        "event": first.get("eventName"),
        "event_time": first.get("eventTime"),
    }


def _row(message: dict[str, Any]) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    return {
        "message_id": message["MessageId"],
        **summarize(message.get("Body", "")),
        "receives": int(attributes.get("ApproximateReceiveCount", 0)),
        "sent": datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        "body": message.get("Body", ""),
    }


def peek(sqs: Any, queue_url: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` messages of a queue, left in place (received with a zero visibility timeout).

    SQS returns a sample of the queue per call, so calls repeat until ``limit`` distinct messages were seen
    or several calls brought nothing new.
    """
    seen: dict[str, dict[str, Any]] = {}
    idle = 0
    while len(seen) < limit and idle < _PEEK_ROUNDS:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, limit - len(seen)),
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        ).get("Messages", [])
        new = [m for m in messages if m["MessageId"] not in seen]
        idle = 0 if new else idle + 1
        if not messages:
            break
        seen.update((m["MessageId"], _row(m)) for m in new)
    return list(seen.values())[:limit]


def redrive(
    sqs: Any, dlq_url: str, queue_url: str, limit: int, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Move up to ``limit`` messages from the DLQ back to the main queue (send first, then delete).

    With ``dry_run`` the messages are only listed (peeked), nothing moves.
    """
    if dry_run:
        return [{**row, "action": "would-move"} for row in peek(sqs, dlq_url, limit)]
    moved: list[dict[str, Any]] = []
    while len(moved) < limit:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, limit - len(moved)),
            VisibilityTimeout=60,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        entries = [{"Id": str(i), "MessageBody": m["Body"], **_attributes(m)} for i, m in enumerate(messages)]
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        ok = {int(e["Id"]) for e in sent.get("Successful", [])}
        for index, message in enumerate(messages):
            if index in ok:
                sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
                moved.append({**_row(message), "action": "moved"})
        if not ok:
            failure = (sent.get("Failed") or [{}])[0]
            raise UserError(f"the main queue refused the messages: {failure}")
    return moved


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    attributes = message.get("MessageAttributes")
    return {"MessageAttributes": attributes} if attributes else {}


def show_messages(tgt: Target, limit: int) -> list[dict[str, Any]]:
    return peek(tgt.client("sqs"), tgt.resources.dlq_url, limit)


def _with_times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the S3 event time as a datetime (shown in the CLI's one time format)."""
    return [{**row, "event_time": parse_time(row.get("event_time")) or row.get("event_time")} for row in rows]


@app.command("show")
def show_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many messages.")] = 50,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """List the DLQ's messages without removing them (JSON has their bodies)."""
    out = render.Output.of(output, as_json, query)
    rows = _with_times(show_messages(target(ctx), limit))
    render.emit(out, rows, lambda: render.table(rows, SHOW_COLUMNS, empty="the dead-letter queue is empty"))


@app.command("redrive")
def redrive_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Move at most this many messages.")] = 1000,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would move; move nothing.")] = False,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Move the DLQ's messages back to the main queue, so that the pipe starts their executions."""
    out = render.Output.of(output, as_json, query)
    tgt = target(ctx)
    rows = _with_times(
        redrive(tgt.client("sqs"), tgt.resources.dlq_url, tgt.resources.queue_url, limit, dry_run)
    )
    render.emit(
        out, rows, lambda: render.table(rows, REDRIVE_COLUMNS, empty="the dead-letter queue is empty")
    )

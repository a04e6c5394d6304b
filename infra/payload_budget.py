"""How many records of the pipe's batch fit into the payload limits they pass through.

One batch of ``pipeBatchSize`` SQS records travels as one payload twice:

1. EventBridge Pipes sends the JSON array of records to the state machine. For a Step Functions target the
   whole batch is limited by its total size, 262,144 characters
   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html), and the
   execution input and Prepare's Lambda input by Step Functions' 262,144 bytes (UTF-8) for the input or
   output of a task, state or execution (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html).
2. Prepare returns one entry per record (a job, or a skipped record with the job it would have been and the
   reason), inside the ``lambda:invoke`` result, which is held to the same 262,144 bytes.

A record that exceeds either limit fails the execution before any job is claimed, so the whole batch would
be lost: the bound must hold for the worst record S3 can produce, not for a typical one. The worst case is
built from the real samples in ``tests/events/`` with every variable field at its maximum, and measured
(``tests/infra/test_infra_limits.py`` rebuilds it, runs the real Prepare on moto and checks that these
constants cover what it measures, within a few percent):

* An SQS record carrying one S3 event is about 2 KB with an ordinary key. The key may be 1,024 bytes of
  UTF-8 and S3 URL-encodes it, so it can take 3 characters per byte: 3,072. The version id may be 1,024
  bytes, the receipt handle is budgeted at 1,024 characters (SQS documents no maximum), the notification id
  at 255 and the principal ids, request ids and the X-Ray trace header at 128 each. The body is JSON inside a
  JSON string (each quote escaped). Measured: 7,471 characters, all ASCII (so also 7,471 bytes).
* Prepare's entry is largest for a record whose object is missing and whose 1,024-byte key is made of
  control characters (allowed in S3 keys): JSON escapes each as ``\\u00XX`` (6 bytes per key byte, more than
  any other character costs in any JSON encoding), and the entry carries the key in the job's ``key`` and
  ``object_uri`` and again in the reason, next to the 1,024-byte version id. Measured: 27,405 bytes.

With ordinary ASCII keys a record is about 5 KB of Prepare output; the worst case is ~5x that.
"""

from __future__ import annotations

PIPE_TARGET_PAYLOAD_CHARS = 262_144
"""EventBridge Pipes: total size of a batch sent to a Step Functions target, in characters."""
STATE_PAYLOAD_BYTES = 262_144
"""Step Functions: input or output of a task, state or execution, in bytes of UTF-8."""

WORST_RECORD_CHARS = 7_600
"""One SQS record with one S3 event, every field at its maximum (measured 7,471), as the pipe sends it."""
WORST_PREPARE_ENTRY_BYTES = 28_000
"""Prepare's output for one such record, its worst outcome (measured 27,405)."""
LAMBDA_REQUEST_ENVELOPE_BYTES = 1_024
"""Prepare's Lambda input besides the records: ``{"records": [...], "execution_arn": "<ARN>"}``."""
LAMBDA_RESULT_ENVELOPE_BYTES = 2_048
"""The ``lambda:invoke`` result besides the Payload (StatusCode, ExecutedVersion, SdkHttpMetadata headers)."""


def max_records_in_pipe_payload() -> int:
    """Records per batch that fit the pipe's payload and Prepare's input, each at its worst (+1 for a comma)."""
    limit = min(PIPE_TARGET_PAYLOAD_CHARS, STATE_PAYLOAD_BYTES) - LAMBDA_REQUEST_ENVELOPE_BYTES
    return limit // (WORST_RECORD_CHARS + 1)


def max_records_in_prepare_output() -> int:
    """Records per batch whose worst-case Prepare output fits a state's output."""
    return (STATE_PAYLOAD_BYTES - LAMBDA_RESULT_ENVELOPE_BYTES) // (WORST_PREPARE_ENTRY_BYTES + 1)

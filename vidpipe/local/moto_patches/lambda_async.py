"""Asynchronous Lambda invocation (``InvocationType=Event``) of registered in-process handlers (defect 22).

moto runs an Event invocation synchronously, inside the Invoke request, once, and forgets a function error.
AWS (Lambda developer guide, "Error handling and automatic retries in asynchronous invocation"; "Capturing
records of Lambda asynchronous invocations"): Invoke queues the event and returns 202 at once; a function
error is retried twice more (the function's EventInvokeConfig ``MaximumRetryAttempts``, 0-2), one minute
after the first attempt and two minutes after the second; an event older than ``MaximumEventAgeInSeconds``
(default 6 hours) is not retried; then the event goes to the on-failure destination
(``DestinationConfig.OnFailure``) as an invocation record, or is dropped. A success goes to the on-success
destination, if any. EventBridge rules and EventBridge Scheduler invoke Lambda this way.

Locally the retry delays are :func:`set_retry_delays` (default AWS's 60 s and 120 s; the local runtime
shortens them), attempts run on one dispatcher thread in due order, and destinations of type SQS are
delivered (others are logged and dropped). :func:`invocations` lists what happened, for tests.
Applied through :mod:`.awslambda`'s invoke patch, which hands Event invocations to :func:`submit`.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LOG = logging.getLogger(__name__)

AWS_RETRY_DELAYS = (60.0, 120.0)  # seconds before the second and the third attempt
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE = 6 * 3600


@dataclass
class AsyncInvocation:
    """One queued event and what became of it."""

    function_name: str
    function_arn: str
    payload: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    queued_at: float = field(default_factory=time.monotonic)
    attempts: int = 0
    outcome: str | None = None  # "Success", "RetriesExhausted", "EventAgeExceeded" once done
    destination: str | None = None  # where the invocation record went
    errors: list[str] = field(default_factory=list)  # the errorType of each failed attempt


_LOCK = threading.Condition()
_queue: list[tuple[float, int, AsyncInvocation, Any, Any]] = []  # (due, seq, invocation, fn, registration)
_sequence = itertools.count()
_retry_delays: tuple[float, ...] = AWS_RETRY_DELAYS
_history: deque[AsyncInvocation] = deque(maxlen=10_000)
_dispatcher: threading.Thread | None = None


def set_retry_delays(delays: Sequence[float]) -> None:
    """Seconds to wait before each retry (the last one repeats); AWS: 60 and 120."""
    global _retry_delays
    with _LOCK:
        _retry_delays = tuple(float(d) for d in delays) or AWS_RETRY_DELAYS


def invocations() -> list[AsyncInvocation]:
    """Every Event invocation since the last :func:`reset` (the live objects; read them, do not change them)."""
    with _LOCK:
        return list(_history)


def reset() -> None:
    """Drop queued events and the history (a new runtime starts clean); the AWS delays come back."""
    global _retry_delays
    with _LOCK:
        _queue.clear()
        _history.clear()
        _retry_delays = AWS_RETRY_DELAYS
        _LOCK.notify_all()


def wait_idle(timeout: float) -> bool:
    """Wait until no event is queued or running; False at the deadline."""
    deadline = time.monotonic() + timeout
    with _LOCK:
        while _queue or any(i.outcome is None for i in _history):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            _LOCK.wait(min(remaining, 0.1))
    return True


def submit(fn: Any, registration: Any, body: Any) -> None:
    """Queue an Event invocation of moto function ``fn`` (its registered handler runs later)."""
    payload = body if isinstance(body, bytes) else (body or "").encode("utf-8")
    invocation = AsyncInvocation(fn.function_name, fn.function_arn, payload)
    with _LOCK:
        _history.append(invocation)
        heapq.heappush(_queue, (time.monotonic(), next(_sequence), invocation, fn, registration))
        _ensure_dispatcher()
        _LOCK.notify_all()


def _ensure_dispatcher() -> None:
    global _dispatcher
    if _dispatcher is None or not _dispatcher.is_alive():
        _dispatcher = threading.Thread(target=_dispatch, name="lambda-async", daemon=True)
        _dispatcher.start()


def _dispatch() -> None:
    while True:
        with _LOCK:
            while not _queue or _queue[0][0] > time.monotonic():
                _LOCK.wait(0.1 if not _queue else max(0.0, min(0.5, _queue[0][0] - time.monotonic())))
            _, _, invocation, fn, registration = heapq.heappop(_queue)
        try:
            _attempt(invocation, fn, registration)
        except Exception:  # never let the dispatcher die
            LOG.exception("async invocation of %s failed unexpectedly", invocation.function_name)
        with _LOCK:
            _LOCK.notify_all()


def _config(fn: Any) -> dict[str, Any]:
    configs = getattr(fn, "event_invoke_config", None) or []
    return dict(configs[-1].config) if configs else {}


def _attempt(invocation: AsyncInvocation, fn: Any, registration: Any) -> None:
    from vidpipe.local.moto_patches.awslambda import invoke_registered_handler

    config = _config(fn)
    invocation.attempts += 1
    response, errored = invoke_registered_handler(fn, registration, invocation.payload)
    if not errored:
        _finish(invocation, fn, config, "Success", response, None)
        return
    try:
        invocation.errors.append(str(json.loads(response).get("errorType", "Unknown")))
    except ValueError:
        invocation.errors.append("Unknown")
    max_retries = int(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES))
    max_age = float(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE))
    if invocation.attempts > max_retries:
        _finish(invocation, fn, config, "RetriesExhausted", response, "Unhandled")
        return
    with _LOCK:
        delays = _retry_delays
    delay = delays[min(invocation.attempts - 1, len(delays) - 1)]
    if time.monotonic() + delay - invocation.queued_at > max_age:
        _finish(invocation, fn, config, "EventAgeExceeded", response, "Unhandled")
        return
    LOG.warning("async invocation of %s failed (attempt %d); retrying in %.0fs", fn.function_name,
                invocation.attempts, delay)  # fmt: skip
    with _LOCK:
        heapq.heappush(_queue, (time.monotonic() + delay, next(_sequence), invocation, fn, registration))


def invocation_record(
    invocation: AsyncInvocation, condition: str, response: bytes, function_error: str | None
) -> dict[str, Any]:
    """The record Lambda sends to a destination ("Capturing records of Lambda asynchronous invocations")."""
    try:
        request_payload: Any = json.loads(invocation.payload or b"null")
    except ValueError:
        request_payload = invocation.payload.decode("utf-8", "replace")
    try:
        response_payload: Any = json.loads(response or b"null")
    except ValueError:
        response_payload = response.decode("utf-8", "replace")
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response_context["functionError"] = function_error
    timestamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {
            "requestId": invocation.request_id,
            "functionArn": f"{invocation.function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": invocation.attempts,
        },
        "requestPayload": request_payload,
        "responseContext": response_context,
        "responsePayload": response_payload,
    }


def _finish(
    invocation: AsyncInvocation,
    fn: Any,
    config: dict[str, Any],
    condition: str,
    response: bytes,
    function_error: str | None,
) -> None:
    destinations = config.get("DestinationConfig") or {}
    target = (destinations.get("OnSuccess" if condition == "Success" else "OnFailure") or {}).get(
        "Destination"
    )
    if target:
        record = invocation_record(invocation, condition, response, function_error)
        if _send(str(target), record):
            invocation.destination = str(target)
    elif condition != "Success":
        LOG.error("async invocation of %s dropped after %d attempts (%s)", invocation.function_name,
                  invocation.attempts, condition)  # fmt: skip
    with _LOCK:
        invocation.outcome = condition
        _LOCK.notify_all()


def _send(destination_arn: str, record: dict[str, Any]) -> bool:
    """Deliver an invocation record to an SQS destination in moto; other destination types are not emulated."""
    parts = destination_arn.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        LOG.error("destination %s is not an SQS queue: not emulated locally, record dropped", destination_arn)
        return False
    from moto.sqs.models import sqs_backends

    region, account, queue = parts[3], parts[4], parts[5]
    try:
        sqs_backends[account][region].send_message(queue, json.dumps(record))
    except Exception as exc:  # AWS counts DestinationDeliveryFailures; here: the log
        LOG.error("could not deliver the invocation record to %s: %s", destination_arn, exc)
        return False
    return True

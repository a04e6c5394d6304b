"""A Lambda handler's log lines, kept where Lambda keeps them: CloudWatch Logs (moto's logs backend).

On AWS the Lambda runtime sends what a function logs to the function's log group (``LoggingConfig.LogGroup``,
by default ``/aws/lambda/<function>``), in streams named ``YYYY/MM/DD/[$LATEST]<id>``, each invocation framed
by ``START``, ``END`` and ``REPORT`` lines. Locally the handlers run in this process (see
:mod:`vidpipe.local.moto_patches.awslambda`), so :func:`captured_logs` collects the Python logging records
that the handler's own thread emits during the call (Powertools' JSON lines among them, formatted by the
logger's own formatter) and :func:`write_invocation_log` writes them, framed the same way, to one stream per
invocation. Records of other threads (the moto server's, the pipe's) are not the function's and are left
out, so the logs of two invocations never mix. What a handler ``print``s is not captured (the project's
handlers log); the lines still reach the runtime's terminal as before.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The Python runtime's format for the root logger (the request id stands in its place).
_ROOT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t{request_id}\t%(message)s"


def stream_name(version: str = "$LATEST", now: datetime | None = None) -> str:
    """``2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef``: Lambda's naming of a log stream."""
    day = (now or datetime.now(UTC)).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{uuid.uuid4().hex}"


@dataclass
class Captured:
    """The lines one invocation logged: (epoch milliseconds, text)."""

    lines: list[tuple[int, str]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    # A record travels from its logger up to the root: the first capture that sees it (the most specific
    # logger's, with that logger's formatter) keeps it.
    seen: weakref.WeakSet[logging.LogRecord] = field(default_factory=weakref.WeakSet)


class _ThreadCapture(logging.Handler):
    """Keeps the records of one thread, formatted as the logger it is attached to formats them."""

    def __init__(self, thread: int, formatter: logging.Formatter, into: Captured) -> None:
        super().__init__()
        self._thread = thread
        self._into = into
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread or record in self._into.seen:
            return
        self._into.seen.add(record)
        try:
            self._into.lines.append((int(record.created * 1000), self.format(record)))
        except Exception:  # a record that cannot be formatted must not fail the handler
            self.handleError(record)


def _loggers_with_own_output() -> list[logging.Logger]:
    """Every logger that prints through handlers of its own (Powertools' loggers), and the root logger:
    together they see every record that is printed anywhere."""
    loggers = [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
        and any(not isinstance(h, logging.NullHandler) for h in logger.handlers)
    ]
    return [*loggers, logging.getLogger()]


@contextlib.contextmanager
def captured_logs(request_id: str) -> Iterator[Captured]:
    """Collect what this thread logs while the block runs."""
    captured = Captured()
    thread = threading.get_ident()
    root_formatter = logging.Formatter(_ROOT_FORMAT.format(request_id=request_id), "%Y-%m-%dT%H:%M:%S")
    root_formatter.converter = time.gmtime
    attached: list[tuple[logging.Logger, _ThreadCapture]] = []
    for logger in _loggers_with_own_output():
        own = next((h.formatter for h in logger.handlers if h.formatter is not None), None)
        own = None if logger is logging.getLogger() else own  # the root's lines as Lambda formats them
        capture = _ThreadCapture(thread, own or root_formatter, captured)
        logger.addHandler(capture)
        attached.append((logger, capture))
    try:
        yield captured
    finally:
        for logger, capture in attached:
            logger.removeHandler(capture)


def invocation_lines(
    captured: Captured, request_id: str, memory_mb: int, error: BaseException | None = None
) -> list[dict[str, Any]]:
    """The invocation's log events as Lambda writes them: START, the lines, the error, END, REPORT."""
    start = int(captured.started * 1000)
    end = max(int(time.time() * 1000), start)
    elapsed = max(end - start, 0)
    events: list[dict[str, Any]] = [
        {"timestamp": start, "message": f"START RequestId: {request_id} Version: $LATEST"}
    ]
    events += [{"timestamp": max(stamp, start), "message": text} for stamp, text in captured.lines]
    if error is not None:
        events.append({"timestamp": end, "message": f"[ERROR] {type(error).__name__}: {error}"})
    events.append({"timestamp": end, "message": f"END RequestId: {request_id}"})
    events.append(
        {
            "timestamp": end,
            "message": (
                f"REPORT RequestId: {request_id}\tDuration: {elapsed:.2f} ms\t"
                f"Billed Duration: {max(math.ceil(elapsed), 1)} ms\tMemory Size: {memory_mb} MB"
            ),
        }
    )
    events.sort(key=lambda e: e["timestamp"])
    return events


def write_invocation_log(logs_backend: Any, group: str, stream: str, events: list[dict[str, Any]]) -> None:
    """Write one invocation's events to ``group``/``stream`` of moto's logs backend (the group is created
    when missing, as Lambda creates its default group). Best effort: logging never fails an invocation."""
    try:
        logs_backend.ensure_log_group(group)
        logs_backend.create_log_stream(group, stream)
        logs_backend.put_log_events(group, stream, events)
    except Exception as exc:
        logging.getLogger(__name__).warning("could not write the log of %s to %s: %s", stream, group, exc)

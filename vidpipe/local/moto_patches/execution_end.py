"""A hook on moto 5.2.5's Step Functions executions: a listener told when an execution ends.

Not a defect: the local runtime's stand-in for EventBridge's execution status-change events
(:class:`vidpipe.local.rules.StatusChangeWatcher`) found ended executions by listing every state machine's
executions four times a second, a cost that grew with the executions kept (py-spy with ``--gil``: 23% of the
runtime's interpreter time in the 60-upload slot benchmark). On AWS the events are pushed. With this hook the
watcher is told at once, in the ending execution's thread, and lists only as a safety net. Applied by
:func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Called with the ARN of an execution that has just ended (any terminal status, redriven runs included).
ExecutionEndListener = Callable[[str], None]

_LOCK = threading.Lock()
_listener: ExecutionEndListener | None = None


def set_execution_end_listener(listener: ExecutionEndListener | None) -> None:
    """Tell ``listener`` of every execution that ends from now on (None: nobody). Thread-safe. The listener
    runs in the execution's thread as it ends: it must return at once (queue the work)."""
    global _listener
    with _LOCK:
        _listener = listener


def _patch_execution_end_listener() -> None:
    """The worker communication's ``terminated`` (where moto sets an ended execution's status and stop date)
    tells the listener afterwards."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    @functools.wraps(original)
    def terminated(self: Any) -> None:
        original(self)
        with _LOCK:
            listener = _listener
        if listener is not None:
            try:
                listener(str(self.execution.exec_arn))
            except Exception:  # the execution has ended either way; its listener's failure is its own
                log.exception("execution end listener failed for %s", self.execution.exec_arn)

    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (_patch_execution_end_listener,)

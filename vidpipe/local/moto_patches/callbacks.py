"""Patches of moto 5.2.5's task tokens and waits (``.sync`` and ``.waitForTaskToken`` tasks).

Defects 4 (a retried task reuses its first token), 14 (a stopped execution ends FAILED, its ``.sync`` wait
dies) and 23 (a ``.waitForTaskToken`` wait outlives its stopped execution). Applied by
:func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

# ---------------------------------------------------------------------------------------------------------
# (4) fresh task token per attempt
# ---------------------------------------------------------------------------------------------------------


def _patch_fresh_token_per_attempt() -> None:
    """Defect 4: a retried ``.sync``/``.waitForTaskToken`` task reuses attempt 1's callback endpoint.

    moto creates the token once per state entry (``_eval_body``) but retries re-run only ``_eval_execution``;
    attempt 1 interrupted that endpoint, so attempt 2 ends at once with ``States.Timeout``.
    AWS: every attempt is a new task with its own task token.
    Patch: on attempts after the first (``$$.State.RetryCount > 0``) generate a new token in the attempt's
    frame and register its endpoint before evaluating, so parameters (``$$.Task.Token``) see the new token.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )

    def _eval_execution(self: Any, env: Any) -> None:
        uses_token = (
            self._is_integration_pattern()
            and ResourceCondition.WaitForTaskToken in self._supported_integration_patterns
        )
        state_data = env.states.context_object.context_object_data.get("State", {})
        if uses_token and state_data.get("RetryCount", 0) > 0:
            token = env.states.context_object.update_task_token()
            env.callback_pool_manager.add(token)
        StateTaskService._eval_execution(self, env)

    StateTaskServiceCallback._eval_execution = _eval_execution  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (14) a stopped execution stays ABORTED
# ---------------------------------------------------------------------------------------------------------


def _patch_stopped_execution_stays_aborted() -> None:
    """StopExecution during an inline Map ends the execution FAILED (``States.Runtime``), not ABORTED.

    Stopping the execution stops the Map's iteration frames; moto's iteration worker then reports the
    stopped frame as a failure whose details are a plain string, unwinding the states raises
    ``AttributeError: 'str' object has no attribute 'get'``, and ``Environment.set_error`` overwrites the
    stopped state with an error. On AWS a stopped execution is ABORTED and nothing that happens while its
    states unwind changes that (so the status-change rule sees ABORTED and the .sync ECS task is stopped).
    The patch makes ``set_error`` leave a stopped or timed-out program as it is.
    """
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped, ProgramTimedOut

    original = Environment.set_error

    def set_error(self: Any, error: Any) -> None:
        if isinstance(self._program_state, ProgramStopped | ProgramTimedOut):
            return
        original(self, error)

    Environment.set_error = set_error  # type: ignore[method-assign]

    # The stop also leaves the .sync task's callback thread popping a dict (not its timeout) off the
    # evaluation stack, so that thread dies with a TypeError. A stopped wait is an interrupted wait: end it.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_module,
    )

    service_callback = callback_module.StateTaskServiceCallback
    original_wait = service_callback._wait_for_task_token_timeout

    def wait_for_task_token_timeout(self: Any, timeout_seconds: Any, callback_endpoint: Any) -> Any:
        if timeout_seconds is not None and not isinstance(timeout_seconds, int | float):
            return None
        return original_wait(self, timeout_seconds, callback_endpoint)

    service_callback._wait_for_task_token_timeout = wait_for_task_token_timeout


# ---------------------------------------------------------------------------------------------------------
# (23) a callback wait ends with its execution
# ---------------------------------------------------------------------------------------------------------

WAIT_SLICE_SECONDS = 60.0
"""Longest a waiting callback task sleeps before it looks at its execution again. Its execution's end wakes it
at once (the wake-up is an event that stays set, so an end between the look and the sleep is not missed);
the slice bounds the wait should moto end an environment by some way other than the four it has today."""

_WAITERS: dict[int, set[Any]] = {}  # id(environment) -> callback endpoints waiting in it
_WAITERS_LOCK = threading.Lock()


def _wake_waiters(env: Any) -> None:
    with _WAITERS_LOCK:
        endpoints = list(_WAITERS.get(id(env), ()))
    for endpoint in endpoints:
        endpoint._notify_event.set()  # the wait then finds its execution no longer running


def _patch_callback_wait_ends_with_the_execution() -> None:
    """StopExecution (or the execution's timeout) while a ``.waitForTaskToken`` task waits: the execution stays
    RUNNING until the token arrives or the task's TimeoutSeconds (default 99999999 s) passes.

    moto's wait blocks on the token's event alone, and the state's thread waits for that wait; nothing tells it
    that the execution stopped. On AWS StopExecution aborts the execution at once. Patch: the end of the
    task's environment (stopped, failed, timed out, ended; moto passes each to every frame of the execution)
    wakes the wait, which then gives up (the task is abandoned: its late SendTaskSuccess is refused, as on
    AWS, because only running executions accept tokens). The wait sleeps until then, not in slices: 300
    waiters that each looked 4 times a second were 1,200 thread wake-ups a second, all competing for the
    interpreter lock with the hand-offs they wait for. An abandoned task (callback or ``.sync``) records no
    TaskSucceeded event: moto recorded one, with ``null`` output, in aborted histories.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackOutcomeSuccess,
        CallbackOutcomeTimedOut,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original_wait = StateTaskServiceCallback._eval_wait_for_task_token

    def _eval_wait_for_task_token(
        self: Any, env: Any, timeout_seconds: Any, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        if heartbeat_endpoint is not None or not isinstance(timeout_seconds, int | float):
            return original_wait(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        deadline = time.monotonic() + timeout_seconds
        with _WAITERS_LOCK:
            _WAITERS.setdefault(id(env), set()).add(callback_endpoint)
        try:
            while True:
                if not env.is_running():
                    return CallbackOutcomeSuccess(callback_id=callback_endpoint.callback_id, output="null")
                outcome = callback_endpoint.wait(
                    timeout=min(WAIT_SLICE_SECONDS, max(0.0, deadline - time.monotonic()))
                )
                if outcome is not None:
                    return outcome
                if not env.is_running():
                    return CallbackOutcomeSuccess(callback_id=callback_endpoint.callback_id, output="null")
                if callback_endpoint._notify_event.is_set():  # interrupted (the .sync job ended): as moto did
                    return CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)
                if time.monotonic() >= deadline:
                    return CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)
        finally:
            with _WAITERS_LOCK:
                waiting = _WAITERS.get(id(env), set())
                waiting.discard(callback_endpoint)
                if not waiting:
                    _WAITERS.pop(id(env), None)

    def ending(name: str) -> Callable[..., None]:
        original = getattr(Environment, name)

        @functools.wraps(original)
        def end(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            _wake_waiters(self)

        return end

    for name in ("set_stop", "set_error", "set_timed_out", "set_ended"):
        setattr(Environment, name, ending(name))

    original_after = StateTaskService._after_eval_execution

    def _after_eval_execution(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        if not env.is_running():  # abandoned: the execution stopped, failed or timed out meanwhile
            return
        original_after(self, env, *args, **kwargs)

    StateTaskServiceCallback._eval_wait_for_task_token = _eval_wait_for_task_token
    StateTaskService._after_eval_execution = _after_eval_execution


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_stopped_execution_stays_aborted,
    _patch_fresh_token_per_attempt,
    _patch_callback_wait_ends_with_the_execution,
)

"""Step Functions Local's mock config (``SFN_MOCK_CONFIG``, ``<stateMachineArn>#<TestCase>``) on moto 5.2.5.

moto carries the evaluation code of mocked responses but its loader returns None and StartExecution refuses
``#TestCase`` ARNs (M1); a mocked ``Throw`` of a ``States.*`` error crashes (M2). The config itself is
registered with :mod:`vidpipe.local.sfn_mocks`. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_PENDING_MOCK = threading.local()


def _patch_mock_test_case_start() -> None:
    """M1: ``<arn>#TestCase`` is rejected and the mock config loader returns None.

    AWS Step Functions Local accepts ``<stateMachineArn>#<TestCase>`` and runs that test case of the mock
    config (SFN_MOCK_CONFIG).
    Patch: split ``#TestCase`` off the ARN, build the test case from the config registered with
    :mod:`vidpipe.local.sfn_mocks` and hand it to the execution worker (moto already evaluates mocked
    responses when the worker has one). The execution ARN is that of the plain state machine.
    """
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from vidpipe.local import sfn_mocks

    original_start = StepFunctionsParserBackend.start_execution
    original_worker = Execution._get_start_execution_worker

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: str | None = None,
    ) -> Any:
        base_arn, _, test_case = state_machine_arn.partition("#")
        mock_test_case = None
        if test_case:
            state_machine = self.describe_state_machine(base_arn)
            try:
                mock_test_case = sfn_mocks.load_test_case(state_machine.name, test_case)
            except sfn_mocks.MockConfigError as ex:
                raise ValidationException(str(ex)) from ex
        _PENDING_MOCK.value = mock_test_case
        try:
            return original_start(self, base_arn, name, execution_input, trace_header)
        finally:
            _PENDING_MOCK.value = None

    def _get_start_execution_worker(self: Any) -> Any:
        worker = original_worker(self)
        mock_test_case = getattr(_PENDING_MOCK, "value", None)
        if mock_test_case is not None:
            worker._mock_test_case = mock_test_case
        return worker

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    Execution._get_start_execution_worker = _get_start_execution_worker  # type: ignore[method-assign]


def _patch_mock_throw_states_errors() -> None:
    """M2: ``Throw`` of a ``States.*`` error (e.g. ``States.TaskFailed``) crashes moto.

    moto builds every thrown error as a ``CustomErrorName``, which refuses the ``States.`` prefix.
    AWS Step Functions Local throws ``States.*`` names as the predefined errors (so ``Retry`` on
    ``States.TaskFailed`` matches them the way it matches a real task failure).
    Patch: use ``StatesErrorName`` for known ``States.*`` names, ``CustomErrorName`` for everything else.
    """
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def _eval_mocked_response_throw(env: Any, mocked_response: Any) -> None:
        error = mocked_response.error
        try:
            error_name: Any = StatesErrorName.from_name(error) if error.startswith("States.") else None
        except ValueError:
            error_name = None
        if error_name is None:
            error_name = CustomErrorName(error) if not error.startswith("States.") else None
        if error_name is None:
            raise ValueError(f"Unknown States.* error name in mock config: {error!r}")
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=error_name,
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(
                    taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=mocked_response.cause)
                ),
            )
        )

    mock_eval_utils._eval_mocked_response_throw = _eval_mocked_response_throw


PATCHES: tuple[Callable[[], None], ...] = (_patch_mock_test_case_start, _patch_mock_throw_states_errors)

"""Patches of moto 5.2.5's Step Functions interpreter (the ASL parser moto vendors from LocalStack).

Each ``_patch_*`` function fixes one measured defect; its docstring names the defect, what AWS does and why
the patch is correct. Task tokens and waits are in :mod:`.callbacks`, the ECS integration's own defects in
:mod:`.ecs_integration`, the Step Functions Local mock config in :mod:`.mock_config`. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import datetime
import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any

import botocore.session

_ORIGINAL: dict[str, Any] = {}


def aws_timestamp(moment: datetime.datetime | str) -> str:
    """``2026-11-23T10:00:00.123Z``: how Step Functions writes times in the context object."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------------------
# (1) request/response name normalisation for service integrations
# ---------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _service_model(service_name: str) -> Any:
    return botocore.session.get_session().get_service_model(service_name)


_MODEL_LOCK = threading.Lock()


def _operation_model(service_name: str, snake_action: str) -> Any | None:
    """The botocore operation model of a service integration's action (cached). Under a lock: in a burst,
    every execution's first Task state asks at once, and each thread would load the service model itself."""
    with _MODEL_LOCK:
        return _find_operation_model(service_name, snake_action)


@functools.lru_cache(maxsize=512)
def _find_operation_model(service_name: str, snake_action: str) -> Any | None:
    from botocore import xform_name

    model = _service_model(service_name)
    for operation_name in model.operation_names:
        if xform_name(operation_name) == snake_action:
            return model.operation_model(operation_name)
    return None


def _normalise_parameters(
    self: Any, parameters: dict, boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    operation = _operation_model(
        self._get_boto_service_name(boto_service_name=boto_service_name),
        self._get_boto_service_action(service_action_name=service_action_name),
    )
    if operation is not None and operation.input_shape is not None:
        self._to_boto_request(parameters, operation.input_shape)


def _normalise_response(
    self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    operation = _operation_model(
        self._get_boto_service_name(boto_service_name=boto_service_name),
        self._get_boto_service_action(service_action_name=service_action_name),
    )
    if operation is not None and operation.output_shape is not None:
        self._from_boto_response(response, operation.output_shape)
    _timestamps_to_epoch_millis(response)


def _timestamps_to_epoch_millis(value: Any) -> Any:
    """Replace datetimes (botocore-parsed timestamps) in place with epoch milliseconds, as Step Functions
    shows them in task results (e.g. ``"StoppedAt": 1763869332057``), keeping the state JSON-serialisable."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _timestamps_to_epoch_millis(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _timestamps_to_epoch_millis(item)
    return value


def _patch_name_normalisation() -> None:
    """Defect 1: ``StateTaskService._normalise_parameters/_normalise_response`` are ``pass`` in 5.2.5.

    AWS: optimised integrations take PascalCase parameters (``Cluster``, ``TaskDefinition``,
    ``NetworkConfiguration.AwsvpcConfiguration.Subnets``, ``Overrides.ContainerOverrides[].Environment``) and
    map them onto the service API (camelCase for ECS), and return the response PascalCased (``TaskArn``,
    ``LastStatus``, ``Containers[].ExitCode``). The ``aws-sdk:`` integrations do the same.
    Patch: the upstream (LocalStack) implementation: walk the botocore operation's input/output shape with
    moto's own ``_to_boto_request``/``_from_boto_response`` helpers (matching names case-insensitively), so
    every service gets the casing its botocore model defines. PascalCase services (DynamoDB) are unchanged.
    Timestamps in responses become epoch milliseconds (moto left datetimes that broke DescribeExecution).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    StateTaskService._normalise_parameters = _normalise_parameters  # type: ignore[method-assign]
    StateTaskService._normalise_response = _normalise_response  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (2) JSONata
# ---------------------------------------------------------------------------------------------------------


def _eval_jsonata_python(expression: str) -> Any:
    import jsonata
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        return jsonata.Jsonata(expression).evaluate(None)
    except Exception as ex:
        raise JSONataException("UNKNOWN", str(ex)) from ex


def _patch_jsonata() -> None:
    """Defect 2: JSONata evaluation expects a JVM bridge and is ``None`` in moto 5.2.5.

    AWS: ``QueryLanguage: JSONata`` states evaluate ``{% %}`` expressions, ``Assign`` and ``$var``.
    Patch: moto already inlines variables into one self-contained expression and evaluates it with no input
    (``eval_jsonata_expression``); plug the pure-Python ``jsonata-python`` evaluator into that single function
    pointer (``_eval_jsonata``), wrapping its errors in moto's ``JSONataException`` as the JVM bridge did.
    """
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    moto_jsonata._eval_jsonata = _eval_jsonata_python


# ---------------------------------------------------------------------------------------------------------
# (3) definite JSONPath with an index
# ---------------------------------------------------------------------------------------------------------


def _is_definite(expr: Any) -> bool:
    """True if a parsed jsonpath_ng expression selects at most one node (fields and single indices only)."""
    from jsonpath_ng.jsonpath import Child, Fields, Index, Root, This

    if isinstance(expr, Root | This):
        return True
    if isinstance(expr, Child):
        return _is_definite(expr.left) and _is_definite(expr.right)
    if isinstance(expr, Fields):
        return len(expr.fields) == 1 and expr.fields[0] != "*"
    if isinstance(expr, Index):
        return len(expr.indices) == 1
    return False


def _extract_json(path: str, data: Any) -> Any:
    from jsonpath_ng.ext import parse
    from moto.stepfunctions.parser.asl.utils import json_path

    expr = parse(path)
    if not _is_definite(expr):
        return _ORIGINAL["extract_json"](path, data)
    matches = expr.find(data)
    if not matches:
        raise json_path.NoSuchJsonPathError(json_path=path, data=data)
    return matches[0].value


_EXTRACT_JSON_USERS = (
    "moto.stepfunctions.parser.asl.utils.json_path",
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.boolean_equals",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.numeric",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.string_operators",
)


def _patch_definite_jsonpath() -> None:
    """Defect 3: ``$.a[0].b`` returns ``[value]`` instead of ``value`` (moto's issue-7825 heuristic).

    AWS: a *definite* path (only field names and single indices) yields the one value; only indefinite paths
    (wildcards, slices, filters, unions, recursive descent) yield an array.
    Patch: decide on the parsed expression tree: definite paths return the single match, everything else
    keeps moto's original behaviour. Rebinds ``extract_json`` in every moto module that imported it.
    """
    import importlib

    from moto.stepfunctions.parser.asl.utils import json_path

    _ORIGINAL.setdefault("extract_json", json_path.extract_json)
    for module_name in _EXTRACT_JSON_USERS:
        module = importlib.import_module(module_name)
        if getattr(module, "extract_json", None) is _ORIGINAL["extract_json"]:
            module.extract_json = _extract_json  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------
# (6) executions started without a name
# ---------------------------------------------------------------------------------------------------------


def _patch_unnamed_executions() -> None:
    """Defect 6: StartExecution without ``name`` names every execution ``None`` (the second one then fails
    with ExecutionAlreadyExists).

    AWS: StartExecution without ``name`` generates a UUID name.
    Patch: default the name to ``uuid4()``.
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: str | None = None,
    ) -> Any:
        return original_start(
            self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
        )

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (7) JSONata rejection poisoning later definitions
# ---------------------------------------------------------------------------------------------------------


def _patch_definition_validation_state() -> None:
    """Defect 7: after one invalid JSONata definition is rejected, valid JSONPath definitions are rejected.

    Cause: ``Preprocessor._query_language_per_scope`` is a *class-level* list shared by every parse (and every
    thread); a parse that raises leaves the failed definition's ``JSONata`` scope on it, so later definitions
    are checked as JSONata. Concurrent parses also share it.
    AWS: each CreateStateMachine/UpdateStateMachine is validated independently.
    Patch: give every ``Preprocessor`` instance its own scope list (one instance is made per parse).
    """
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original_init = Preprocessor.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._query_language_per_scope = []

    Preprocessor.__init__ = __init__  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (8) logging noise
# ---------------------------------------------------------------------------------------------------------


def _patch_error_logging() -> None:
    """Defect 8: every task error (even one a Retry/Catch handles) is logged at ERROR, once per component.

    AWS: a handled error is an ordinary history event, not an operator-facing error.
    Patch: log ``FailureEventException`` and propagating exceptions at DEBUG in ``EvalComponent``; an
    execution that really fails is still visible (DescribeExecution, history, moto's program-level log).
    """
    from moto.stepfunctions.parser.asl.component import eval_component

    def _log_failure_event_exception(self: Any, failure_event_exception: Any) -> None:
        event = failure_event_exception.failure_event
        eval_component.LOG.debug(
            "FailureEventException Error=%s at '%s'",
            getattr(event.error_name, "error_name", None),
            repr(self),
        )

    def _log_exception(self: Any, exception: Exception) -> None:
        eval_component.LOG.debug(
            "Exception=%s %s at '%s'", type(exception).__name__, exception.args, repr(self)
        )

    eval_component.EvalComponent._log_failure_event_exception = _log_failure_event_exception  # type: ignore[method-assign]
    eval_component.EvalComponent._log_exception = _log_exception  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (11) a failed Map iteration keeps its States.* error name
# ---------------------------------------------------------------------------------------------------------


def _patch_map_iteration_error_names() -> None:
    """A Map iteration that fails with a ``States.*`` error fails the execution with ``States.Runtime``.

    moto wraps the iteration's error name in ``CustomErrorName``, which refuses names starting with
    ``States.``: an iteration ending in ``States.TaskFailed`` (retries of an ECS task exhausted) becomes
    ``States.Runtime`` "Custom Error Names MUST NOT begin with the prefix 'States.'" and the task's cause is
    lost. On AWS the Map state, and so the execution, fails with the iteration's own error and cause. The
    patch builds a ``StatesErrorName`` for the ``States.*`` names and keeps ``CustomErrorName`` for others.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker

    def error_name_of(error_name: str | None) -> Any:
        if error_name is not None and error_name.startswith("States."):
            try:
                return StatesErrorName.from_name(error_name)
            except (KeyError, ValueError):
                pass
        return CustomErrorName(error_name=error_name)

    iteration_worker.CustomErrorName = error_name_of  # type: ignore[attr-defined,assignment]


# ---------------------------------------------------------------------------------------------------------
# (13) $$.State.EnteredTime in the AWS format
# ---------------------------------------------------------------------------------------------------------


def _patch_entered_time_format() -> None:
    """``$$.State.EnteredTime`` is ``2026-11-23T10:00:00.123456+00:00`` in moto.

    AWS gives milliseconds and a ``Z`` (``2026-11-23T10:00:00.123Z``). Timestamps written by a state machine
    (``created_at``, ``started_at`` of a job) then sort and compare differently from the ones Python code
    writes in the AWS form. The patch formats the value as AWS does where moto builds the context object.
    """
    from moto.stepfunctions.parser.asl.component.state import state as state_module

    original = state_module.StateData

    def state_data(**fields: Any) -> Any:
        entered = fields.get("EnteredTime")
        if isinstance(entered, str):
            fields["EnteredTime"] = aws_timestamp(entered)
        return original(**fields)

    state_module.StateData = state_data  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------------------
# (14b) a stop inside a Map unwinds quietly
# ---------------------------------------------------------------------------------------------------------


def _patch_stopped_map_error_output() -> None:
    """Defect 14b: after StopExecution inside a Map, moto logs ``Stepfunctions computation ended with
    exception 'AttributeError('str' object has no attribute 'get')'`` at ERROR.

    The stopped iteration's failure event carries a plain string (or None) as its details, and
    ``ExecutionState._construct_error_output_value`` calls ``.get`` on it while the states unwind. Patch 14
    already keeps the execution ABORTED; nothing is wrong, yet the runtime's terminal shows an error for
    every abort. The patch reads non-dict details as "no error, no cause" (what AWS binds when a failure
    names neither), so the unwinding raises nothing.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    original = ExecutionState._construct_error_output_value

    def construct_error_output_value(failure_event: Any) -> Any:
        details = list(failure_event.event_details.values())
        if details and not isinstance(details[0], dict):
            return {"Error": str(details[0] or ""), "Cause": ""}
        return original(failure_event)

    ExecutionState._construct_error_output_value = staticmethod(construct_error_output_value)


# ---------------------------------------------------------------------------------------------------------
# (15) $$.Execution as AWS gives it: StartTime format and RedriveCount
# ---------------------------------------------------------------------------------------------------------


def _patch_execution_context() -> None:
    """``$$.Execution.StartTime`` is a Python datetime in moto and ``$$.Execution.RedriveCount`` is missing.

    AWS: ``StartTime`` is an ISO 8601 string with milliseconds and ``Z``; ``RedriveCount`` is the number of
    times the execution was redriven (0 until then), the field a state uses to tell a redrive from the first
    run. The patch formats ``StartTime`` and adds ``RedriveCount`` (0 unless the execution's details carry a
    ``redrive_count``) where moto builds the context object.
    """
    from moto.stepfunctions.parser.backend import execution_worker

    original = execution_worker.ExecutionData

    def execution_data(**fields: Any) -> Any:
        if fields.get("StartTime") is not None:
            fields["StartTime"] = aws_timestamp(fields["StartTime"])
        fields.setdefault("RedriveCount", 0)
        return original(**fields)

    execution_worker.ExecutionData = execution_data  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------------------
# (25) StopExecution right after StartExecution
# ---------------------------------------------------------------------------------------------------------

STOP_WAIT_SECONDS = 5.0  # how long a stop waits for the execution's thread to build its environment


def _patch_stop_before_the_worker_started() -> None:
    """StopExecution at once after StartExecution: moto's worker builds its environment on its own thread,
    so a stop that comes first fails with ``AttributeError: 'NoneType' object has no attribute
    'set_stop'`` (an HTTP 500 from the server). AWS stops an execution whatever it has done so far.
    Patch: the stop waits (up to 5 s) for the environment, then stops it.
    """
    import time

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker.stop

    @functools.wraps(original)
    def stop(self: Any, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while getattr(self, "env", None) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        original(self, stop_date, error, cause)

    ExecutionWorker.stop = stop  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_stop_before_the_worker_started,
    _patch_stopped_map_error_output,
    _patch_entered_time_format,
    _patch_execution_context,
    _patch_map_iteration_error_names,
    _patch_name_normalisation,
    _patch_jsonata,
    _patch_definite_jsonpath,
    _patch_unnamed_executions,
    _patch_definition_validation_state,
    _patch_error_logging,
)

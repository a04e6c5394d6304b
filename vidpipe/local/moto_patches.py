"""Every patch vidpipe applies to moto, in one place, for exactly moto 5.2.5.

Call :func:`apply` once (it is idempotent and thread-safe) before creating moto backends or starting a
``ThreadedMotoServer``. Each ``_patch_*`` function fixes one measured defect of moto 5.2.5's Step Functions
interpreter, ECS or Lambda (see ``docs/moto-patches.md`` and ``/work/shared/notes/local-emulation.md``); its
docstring names the defect, what AWS does and why the patch is correct.

Public hooks for the local runtime:

* Lambda: :func:`register_lambda_handler`, :func:`unregister_lambda_handler`, :func:`clear_lambda_handlers`
  run a Python handler in-process whenever moto's Lambda is invoked (by a state machine or by boto3).
* ECS (local Fargate agent): :func:`set_ecs_task_listener` is told about every task ``RunTask`` creates and
  keeps those tasks RUNNING; :func:`stop_ecs_task` reports the container's exit code and the stop code.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import json
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import moto

LOG = logging.getLogger(__name__)

EXPECTED_MOTO_VERSION = "5.2.5"

_APPLY_LOCK = threading.Lock()
_applied = False


class UnsupportedMotoVersionError(RuntimeError):
    """Raised by :func:`apply` when the installed moto is not the exact version these patches were written for."""


def check_moto_version(version: str | None = None) -> None:
    """Raise :class:`UnsupportedMotoVersionError` unless ``version`` (default: installed moto) is 5.2.5."""
    found = moto.__version__ if version is None else version
    if found != EXPECTED_MOTO_VERSION:
        raise UnsupportedMotoVersionError(
            f"vidpipe.local.moto_patches targets moto=={EXPECTED_MOTO_VERSION} exactly, found moto=={found}. "
            "The patches replace moto internals; re-check every defect (tests/moto_patches) before "
            "changing the pin in pyproject.toml and constraints.txt."
        )


def apply() -> None:
    """Apply every patch once. Idempotent; refuses (raises) on any moto other than 5.2.5."""
    global _applied
    with _APPLY_LOCK:
        if _applied:
            return
        check_moto_version()
        for patch in _PATCHES:
            patch()
        _applied = True


def is_applied() -> bool:
    """True once :func:`apply` has run."""
    return _applied


# ---------------------------------------------------------------------------------------------------------
# (1) request/response name normalisation for service integrations
# ---------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _service_model(service_name: str) -> Any:
    return botocore.session.get_session().get_service_model(service_name)


@functools.lru_cache(maxsize=512)
def _operation_model(service_name: str, snake_action: str) -> Any | None:
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


#: RunTask request fields the Step Functions ECS integration passes through that moto 5.2.5's list lacks.
ECS_RUN_TASK_EXTRA_PARAMETERS = frozenset(
    {"CapacityProviderStrategy", "EnableECSManagedTags", "ReferenceId", "Tags", "VolumeConfigurations"}
)


def _patch_ecs_run_task_parameters() -> None:
    """Defect 1b: ``ecs:runTask`` silently drops ``CapacityProviderStrategy`` (and Tags, ...).

    moto filters the evaluated Parameters through a per-integration allow-list; its RunTask list lacks
    ``CapacityProviderStrategy``, so a FARGATE_SPOT task is submitted with neither launch type nor strategy
    (moto then looks for EC2 instances: ``No instances found in cluster``).
    AWS: the optimised ECS integration accepts the RunTask request fields, including CapacityProviderStrategy.
    Patch: add the missing RunTask fields to moto's allow-list.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_ecs

    state_task_service_ecs._SUPPORTED_API_PARAM_BINDINGS["runtask"].update(ECS_RUN_TASK_EXTRA_PARAMETERS)


def ecs_error_name(error_code: str) -> str:
    """Step Functions' name for an ECS API error: ``ECS.<Code>`` for errors the ECS model defines
    (``ECS.InvalidParameterException``, ``ECS.ClusterNotFoundException``), else ``ECS.AmazonECSException``
    (e.g. throttling: ``Rate exceeded``), as the Java SDK used by Step Functions reports them."""
    modelled = {shape.name for shape in _service_model("ecs").error_shapes}
    return f"ECS.{error_code}" if error_code in modelled else "ECS.AmazonECSException"


def _patch_ecs_client_errors() -> None:
    """Defect 1c: an ECS API error (RunTask on a missing cluster, a bad parameter, throttling) becomes
    ``States.Runtime`` with the Python exception text.

    AWS: the state fails with ``ECS.<ErrorCode>`` (``ECS.AmazonECSException`` for unmodelled codes such as
    throttling) and a Java-SDK style Cause, which Retry/Catch (and ``States.TaskFailed``/``States.ALL``) match.
    Patch: give the ECS integration a ``_from_error`` for botocore ``ClientError``, as moto has for Lambda and
    DynamoDB.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = StateTaskServiceEcs._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        code = ex.response["Error"].get("Code") or "AmazonECSException"
        error = ecs_error_name(code)
        meta = ex.response.get("ResponseMetadata", {})
        cause = (
            f"{ex.response['Error'].get('Message', '')} (Service: AmazonECS; Status Code: "
            f"{meta.get('HTTPStatusCode', 400)}; Error Code: {code}; Request ID: {meta.get('RequestId', '')}; "
            "Proxy: null)"
        )
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=cause,
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )

    StateTaskServiceEcs._from_error = _from_error  # type: ignore[method-assign]


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
# (5) ECS .sync fails on a non-zero / missing essential exit code
# ---------------------------------------------------------------------------------------------------------

#: Stop codes that fail a ``.sync`` task whatever the exit code says.
FAILING_STOP_CODES = frozenset({"TaskFailedToStart", "SpotInterruption", "TerminationNotice"})


def ecs_task_failed(task: dict[str, Any], essential_containers: set[str] | None) -> bool:
    """Decide like ``ecs:runTask.sync`` whether a STOPPED task (PascalCase DescribeTasks object) failed.

    Failed when an essential container (all containers if ``essential_containers`` is None) has no exit code
    or a non-zero one, or the stop code is one of :data:`FAILING_STOP_CODES`.
    """
    if task.get("StopCode") in FAILING_STOP_CODES:
        return True
    containers = task.get("Containers") or []
    essential = [
        c for c in containers if essential_containers is None or c.get("Name") in essential_containers
    ]
    if not essential:
        return True
    return any(c.get("ExitCode") is None or c.get("ExitCode") != 0 for c in essential)


def _essential_container_names(ecs_client: Any, task_definition_arn: str | None) -> set[str] | None:
    if not task_definition_arn:
        return None
    try:
        definition = ecs_client.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    except Exception:  # the task definition may be deregistered: treat every container as essential
        return None
    return {c["name"] for c in definition.get("containerDefinitions", []) if c.get("essential", True)}


def _task_failed_exception(env: Any, state: Any, task: dict[str, Any]) -> Exception:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    error = StatesErrorNameType.StatesTaskFailed
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error.to_name(),
                    cause=to_json_str(task, separators=(",", ":")),
                    resource=state._get_sfn_resource(),
                    resourceType=state._get_sfn_resource_type(),
                )
            ),
        )
    )


def _patch_ecs_sync_failure() -> None:
    """Defect 5: ECS ``runTask.sync`` succeeds as soon as the task reads STOPPED, whatever the exit code.

    AWS: the state fails with ``States.TaskFailed`` when the essential container exits non-zero (or never
    ran: no exit code, stop code such as ``TaskFailedToStart``/``SpotInterruption``); ``Cause`` is the JSON
    DescribeTasks task object (PascalCase, with ``StopCode``, ``StoppedReason``, ``Containers[].ExitCode``).
    On success the output is that task object.
    Patch: replace the ECS sync resolver with one that, on STOPPED, PascalCases the task, looks up which
    containers are essential in its task definition and raises ``States.TaskFailed`` with that Cause.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    def _build_sync_resolver(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> Callable[[], Any]:
        ecs_client = boto_client_for(
            service="ecs", region=resource_runtime_part.region, state_credentials=state_credentials
        )
        submission = env.stack.pop()
        task_arn = submission["Tasks"][0]["TaskArn"]
        cluster_arn = submission["Tasks"][0]["ClusterArn"]

        def _sync_resolver() -> dict | None:
            described = ecs_client.describe_tasks(cluster=cluster_arn, tasks=[task_arn])
            described.pop("ResponseMetadata", None)
            if described["tasks"][0]["lastStatus"] != "STOPPED":
                return None
            self._normalise_response(response=described, service_action_name="describe_tasks")
            task = described["Tasks"][0]
            essential = _essential_container_names(ecs_client, task.get("TaskDefinitionArn"))
            if ecs_task_failed(task, essential):
                raise _task_failed_exception(env, self, task)
            return task

        return _sync_resolver

    StateTaskServiceEcs._build_sync_resolver = _build_sync_resolver  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (6) execution names + Step Functions Local mock config (``<arn>#TestCase``)
# ---------------------------------------------------------------------------------------------------------

_PENDING_MOCK = threading.local()


def _patch_start_execution() -> None:
    """Defects 6 and mock-config: unnamed executions are all called ``None``; ``<arn>#TestCase`` is rejected.

    AWS: StartExecution without ``name`` generates a UUID name. Step Functions Local accepts
    ``<stateMachineArn>#<TestCase>`` and runs that test case of the mock config (SFN_MOCK_CONFIG).
    Patch: default the name to ``uuid4()``; split ``#TestCase`` off the ARN, build the test case from the
    config registered with :mod:`vidpipe.local.sfn_mocks` and hand it to the execution worker (moto already
    evaluates mocked responses when the worker has one). The execution ARN is that of the plain state machine.
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
            return original_start(self, base_arn, name or str(uuid.uuid4()), execution_input, trace_header)
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
    """Mock config: ``Throw`` of a ``States.*`` error (e.g. ``States.TaskFailed``) crashes moto.

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
# (9) Lambda handlers in-process
# ---------------------------------------------------------------------------------------------------------

LambdaHandler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class LambdaRegistration:
    """A Python handler that stands in for a Lambda function, plus environment variables to add to it."""

    handler: LambdaHandler
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalLambdaContext:
    """The subset of the Lambda context object that handlers and Powertools use."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"local/{self.aws_request_id}"
        self._deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
            seconds=self.timeout_seconds
        )

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's configured timeout (never negative)."""
        remaining = self._deadline - datetime.datetime.now(datetime.UTC)
        return max(0, int(remaining.total_seconds() * 1000))


_LAMBDA_LOCK = threading.Lock()
_LAMBDA_HANDLERS: dict[str, LambdaRegistration] = {}
#: Serialises handler invocations: os.environ is process-global (see register_lambda_handler).
_LAMBDA_ENV_LOCK = threading.RLock()


def _function_key(function_name_or_arn: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:qualifier]`` or ``NAME`` -> ``NAME``."""
    if function_name_or_arn.startswith("arn:"):
        parts = function_name_or_arn.split(":")
        return parts[6]
    return function_name_or_arn


def register_lambda_handler(
    function_name_or_arn: str, handler: LambdaHandler, environment: dict[str, str] | None = None
) -> None:
    """Run ``handler(event, context)`` in-process whenever moto's Lambda function of that name is invoked.

    Applies to the state machine's ``lambda:invoke`` / ``arn:aws:lambda:...`` tasks and to boto3
    ``lambda.invoke`` alike (the function must exist in moto). The return value (JSON-serialised) is the
    Payload; an exception becomes a function error (``FunctionError: Unhandled``, Payload
    ``{"errorMessage", "errorType": <exception class name>, "stackTrace"}``), which Step Functions surfaces as
    error ``<errorType>`` with that JSON as Cause.

    Environment: the function's moto configuration variables, then ``environment``, then
    ``AWS_LAMBDA_FUNCTION_NAME``/``_VERSION``/``_MEMORY_SIZE`` are set in ``os.environ`` for the duration of
    the call and restored afterwards. Because ``os.environ`` is process-global, invocations are serialised by
    one process-wide re-entrant lock: handlers run one at a time (fine for short tasks; a handler must not
    wait for another thread's Lambda invocation). Other threads that copy ``os.environ`` (e.g. to start a
    subprocess) should use :func:`base_environ`, which leaves out the running handlers' variables.
    Thread-safe; re-registering replaces the handler.
    """
    key = _function_key(function_name_or_arn)
    with _LAMBDA_LOCK:
        _LAMBDA_HANDLERS[key] = LambdaRegistration(handler=handler, environment=dict(environment or {}))


def unregister_lambda_handler(function_name_or_arn: str) -> None:
    """Remove a registration (no error if absent); moto's own behaviour applies again."""
    with _LAMBDA_LOCK:
        _LAMBDA_HANDLERS.pop(_function_key(function_name_or_arn), None)


def clear_lambda_handlers() -> None:
    """Remove every registration."""
    with _LAMBDA_LOCK:
        _LAMBDA_HANDLERS.clear()


def _lookup_lambda(function_name: str) -> LambdaRegistration | None:
    with _LAMBDA_LOCK:
        return _LAMBDA_HANDLERS.get(function_name)


#: Guards os.environ mutations by handler invocations and the overlay stack (held only briefly).
_ENV_STATE_LOCK = threading.Lock()
#: Values each active (possibly nested) invocation replaced: name -> previous value (None = was unset).
_ENV_OVERLAYS: list[dict[str, str | None]] = []


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def _lambda_environment(variables: dict[str, str]) -> Iterator[None]:
    with _LAMBDA_ENV_LOCK:
        with _ENV_STATE_LOCK:
            saved = {name: os.environ.get(name) for name in variables}
            os.environ.update(variables)
            _ENV_OVERLAYS.append(saved)
        try:
            yield
        finally:
            with _ENV_STATE_LOCK:
                _ENV_OVERLAYS.remove(saved)
                _restore(saved)


def base_environ() -> dict[str, str]:
    """A copy of ``os.environ`` without the variables of Lambda handlers running at this moment.

    Use it (not ``os.environ``) in other threads that build environments, e.g. the Fargate agent's
    subprocess environment, so a handler's variables never leak into a worker. Thread-safe.
    """
    with _ENV_STATE_LOCK:
        environ = dict(os.environ)
        for saved in reversed(_ENV_OVERLAYS):  # innermost first; the outermost saved value wins
            for name, value in saved.items():
                if value is None:
                    environ.pop(name, None)
                else:
                    environ[name] = value
    return environ


def _function_error_payload(exc: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
        "requestId": "",
    }


def invoke_registered_handler(fn: Any, registration: LambdaRegistration, body: Any) -> tuple[bytes, bool]:
    """Run ``registration`` for moto LambdaFunction ``fn`` on raw request ``body``; return (payload, errored)."""
    event = json.loads(body) if body else {}
    variables = {str(k): str(v) for k, v in (fn.environment_vars or {}).items()}
    variables.update(registration.environment)
    variables.update(
        AWS_LAMBDA_FUNCTION_NAME=fn.function_name,
        AWS_LAMBDA_FUNCTION_VERSION=str(getattr(fn, "version", "$LATEST")),
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(fn.memory_size),
    )
    context = LocalLambdaContext(
        function_name=fn.function_name,
        function_version=str(getattr(fn, "version", "$LATEST")),
        invoked_function_arn=fn.function_arn,
        memory_limit_in_mb=int(fn.memory_size),
        timeout_seconds=int(fn.timeout),
    )
    try:
        with _lambda_environment(variables):
            result = registration.handler(event, context)
        return json.dumps(result).encode("utf-8"), False
    except Exception as exc:
        LOG.debug("local Lambda %s raised %s", fn.function_name, type(exc).__name__, exc_info=True)
        return json.dumps(_function_error_payload(exc)).encode("utf-8"), True


def _registered_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        fn = self.get_function(function_name, qualifier)  # raises ResourceNotFound as on AWS
        registration = _lookup_lambda(fn.function_name)
        if registration is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        payload, errored = invoke_registered_handler(fn, registration, body)
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        if (headers or {}).get("X-Amz-Invocation-Type", "RequestResponse") != "RequestResponse":
            payload = b""
        response_headers["Content-Length"] = str(len(payload))
        return payload

    return invoke


def _patch_lambda_invoke() -> None:
    """Defect 9: without Docker moto's Lambda never runs handler code (echo / canned results only).

    AWS: Invoke runs the handler with the function's environment; the return value is the Payload; an
    uncaught exception is a function error (``X-Amz-Function-Error: Unhandled``, Payload with ``errorType``).
    Patch: ``invoke`` of both Lambda backends (Docker and ``use_docker: False``) runs a handler registered
    with :func:`register_lambda_handler` in-process; functions without a registration keep moto's behaviour.
    """
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    LambdaBackend.invoke = _registered_invoke(LambdaBackend.invoke)  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = _registered_invoke(LambdaSimpleBackend.invoke)  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (10) ECS hooks for a local Fargate agent
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EcsTaskLaunch:
    """What moto's RunTask created, as the local Fargate agent needs it (ECS API casing: camelCase)."""

    account_id: str
    region: str
    cluster_arn: str
    task_arn: str
    task_definition_arn: str
    overrides: dict[str, Any]
    capacity_provider_strategy: list[dict[str, Any]]
    launch_type: str | None
    started_by: str
    group: str | None
    network_configuration: dict[str, Any] | None


EcsTaskListener = Callable[[EcsTaskLaunch], None]

_ECS_LOCK = threading.Lock()
_ecs_listener: EcsTaskListener | None = None
_ecs_hold_tasks = False


def set_ecs_task_listener(listener: EcsTaskListener | None, *, hold_tasks: bool = True) -> None:
    """Be told about every task moto's ``RunTask`` creates; ``None`` removes the listener.

    ``listener(launch)`` is called synchronously in the thread serving RunTask, after the tasks exist and
    before RunTask returns: it must be quick (enqueue the work) and should not raise; if it does, the task
    is stopped at once with ``stopCode=TaskFailedToStart`` and the exception text as ``stoppedReason``.
    With ``hold_tasks`` (default) those tasks stay ``RUNNING`` however often they are described, until
    :func:`stop_ecs_task` stops them. ECS ``StopTask`` on a held task only *requests* the stop (desiredStatus
    STOPPED, lastStatus STOPPING, stopCode UserInitiated): the agent should poll desiredStatus, kill the
    process and call :func:`stop_ecs_task` with its exit code. Without a listener moto's normal progression
    (RUNNING -> ... -> STOPPED over a few DescribeTasks, exit code 0) applies. Thread-safe.
    """
    global _ecs_listener, _ecs_hold_tasks
    with _ECS_LOCK:
        _ecs_listener = listener
        _ecs_hold_tasks = bool(hold_tasks and listener is not None)


def _find_ecs_task(task_arn: str, account_id: str | None = None, region: str | None = None) -> Any:
    from moto.ecs.models import ecs_backends

    parts = task_arn.split(":")
    region = region or parts[3]
    account_id = account_id or parts[4]
    backend = ecs_backends[account_id][region]
    task_id = task_arn.split("/")[-1]
    for cluster_tasks in backend.tasks.values():
        for arn, task in cluster_tasks.items():
            if arn == task_arn or arn.split("/")[-1] == task_id:
                return task
    raise KeyError(f"no ECS task {task_arn} in moto account {account_id} region {region}")


def stop_ecs_task(
    task_arn: str,
    *,
    exit_code: int | None,
    stop_code: str = "EssentialContainerExited",
    stopped_reason: str = "Essential container in task exited",
    container_reason: str | None = None,
    account_id: str | None = None,
    region: str | None = None,
) -> None:
    """Mark a moto ECS task STOPPED with the given exit code (None = the container never ran) and stop code.

    Sets every container's ``exitCode``/``lastStatus``/``reason`` and the task's ``lastStatus`` and
    ``desiredStatus`` (STOPPED), ``stopCode``, ``stoppedReason``, ``stoppedAt``/``executionStoppedAt``, and
    releases the hold. The next DescribeTasks (the ``.sync`` poll, every 0.5 s) sees it. Account and region
    default to those in the ARN. Must run in the moto process (in-process mock or ``ThreadedMotoServer``).
    Stop codes AWS uses: ``EssentialContainerExited``, ``TaskFailedToStart``, ``SpotInterruption``,
    ``UserInitiated``, ``ServiceSchedulerInitiated``, ``TerminationNotice``.
    """
    task = _find_ecs_task(task_arn, account_id, region)
    now = datetime.datetime.now(datetime.UTC)
    for container in task.containers:
        container.exitCode = exit_code
        container.last_status = "STOPPED"
        if container_reason is not None:
            container.reason = container_reason
    task.stop_code = stop_code
    task.stopped_reason = stopped_reason
    task.stopped_at = now
    task.execution_stopped_at = now
    task.stopping_at = now
    task.desired_status = "STOPPED"
    task._vidpipe_held = False
    task.last_status = "STOPPED"


def mark_ecs_task_running(task_arn: str, *, account_id: str | None = None, region: str | None = None) -> None:
    """Optionally report that the local process started: containers RUNNING, ``startedAt`` set."""
    task = _find_ecs_task(task_arn, account_id, region)
    for container in task.containers:
        container.last_status = "RUNNING"
    task.started_at = datetime.datetime.now(datetime.UTC)


def _find_ecs_task_in(backend: Any, task_str: str) -> Any | None:
    task_id = task_str.split("/")[-1]
    for cluster_tasks in backend.tasks.values():
        for arn, task in cluster_tasks.items():
            if arn.split("/")[-1] == task_id:
                return task
    return None


def _request_stop(task: Any, reason: str) -> None:
    """StopTask on a held task: like AWS, desiredStatus STOPPED and lastStatus STOPPING at once; the task
    reaches STOPPED (with the exit code, e.g. 143 after SIGTERM) only when the agent calls stop_ecs_task."""
    task.desired_status = "STOPPED"
    task.stopped_reason = reason or "Task stopped by user"
    task.stop_code = "UserInitiated"
    task.stopping_at = datetime.datetime.now(datetime.UTC)
    task.last_status = "STOPPING"


def _notify_ecs_listener(backend: Any, tasks: list[Any], kwargs: dict[str, Any]) -> None:
    with _ECS_LOCK:
        listener, hold = _ecs_listener, _ecs_hold_tasks
    if listener is None:
        return
    for task in tasks:
        if hold:
            task._vidpipe_held = True
        launch = EcsTaskLaunch(
            account_id=backend.account_id,
            region=backend.region_name,
            cluster_arn=task.cluster_arn,
            task_arn=task.task_arn,
            task_definition_arn=task.task_definition_arn,
            overrides=copy.deepcopy(task.overrides or {}),
            capacity_provider_strategy=copy.deepcopy(kwargs.get("capacity_provider_strategy") or []),
            launch_type=kwargs.get("launch_type"),
            started_by=task.started_by,
            group=task.group,
            network_configuration=copy.deepcopy(kwargs.get("networking_configuration")),
        )
        try:
            listener(launch)
        except Exception as exc:
            LOG.warning("ECS task listener failed for %s: %s", task.task_arn, exc, exc_info=True)
            stop_ecs_task(
                task.task_arn, exit_code=None, stop_code="TaskFailedToStart", stopped_reason=str(exc)
            )


_RUN_TASK_ARGS = (
    "cluster_str",
    "task_definition_str",
    "count",
    "overrides",
    "started_by",
    "tags",
    "launch_type",
    "networking_configuration",
    "group",
    "platform_version",
    "capacity_provider_strategy",
)


def _patch_ecs_hooks() -> None:
    """Defect 10: moto ECS tasks advance to STOPPED by themselves (exit 0, no stop code) and nobody is told.

    AWS: a task runs until its essential container exits; DescribeTasks then shows the exit code and stop code.
    Patch: ``run_task`` notifies the listener of :func:`set_ecs_task_listener`; held tasks report their stored
    status instead of advancing (``Task.status``), until :func:`stop_ecs_task` sets exit and stop codes.
    ``StopTask`` on a held task sets desiredStatus STOPPED / lastStatus STOPPING / stopCode UserInitiated and
    leaves the final STOPPED (with the real exit code) to the agent, as on AWS (moto would report STOPPED with
    exit code 0 at once, so a ``.sync`` state would succeed before the process was even killed).
    Per-task hold, so it does not change the global ``ecs::task`` transition of moto's state manager.
    """
    from moto.ecs.models import EC2ContainerServiceBackend, Task
    from moto.moto_api._internal.managed_state_model import ManagedState

    original_run_task = EC2ContainerServiceBackend.run_task

    def run_task(self: Any, *args: Any, **kwargs: Any) -> list[Any]:
        tasks = original_run_task(self, *args, **kwargs)
        for task in tasks:  # moto sets each container's taskArn to the task definition ARN
            for container in task.containers:
                container.task_arn = task.task_arn
        _notify_ecs_listener(self, tasks, {**dict(zip(_RUN_TASK_ARGS, args, strict=False)), **kwargs})
        return tasks

    managed_status = ManagedState.status

    def _get_status(self: Any) -> str | None:
        if self.__dict__.get("_vidpipe_held"):
            return self._status  # type: ignore[no-any-return]
        return managed_status.fget(self)  # type: ignore[no-any-return]

    def _set_status(self: Any, value: str) -> None:
        self._status = value

    original_stop_task = EC2ContainerServiceBackend.stop_task

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = _find_ecs_task_in(self, task_str)
        if task is None or not task.__dict__.get("_vidpipe_held"):
            return original_stop_task(self, cluster_str, task_str, reason)
        _request_stop(task, reason)
        return task

    EC2ContainerServiceBackend.run_task = run_task  # type: ignore[method-assign]
    EC2ContainerServiceBackend.stop_task = stop_task  # type: ignore[method-assign]
    Task.status = property(_get_status, _set_status)  # type: ignore[assignment,method-assign]


_ORIGINAL: dict[str, Any] = {}

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
# (12) S3 notifications carry the version id and a sequencer
# ---------------------------------------------------------------------------------------------------------


def _patch_s3_event_version() -> None:
    """moto's S3 event records lack ``versionId`` and ``sequencer``.

    On AWS an object-created record of a versioned bucket carries the new version's ``versionId`` and every
    record a per-key ``sequencer``. Without the version id a pipeline keyed on the object version can only
    fall back to the ETag, so re-uploading identical content looks like a duplicate delivery. The patch adds
    both fields, from the key moto stored (a monotonic sequencer from a process-wide counter).
    """
    from moto.s3 import notifications

    original = notifications._get_s3_event
    counter = iter(range(1, 1 << 62))
    lock = threading.Lock()

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj["versionId"] = version
        with lock:
            obj["sequencer"] = f"{next(counter):016X}"
        return event

    notifications._get_s3_event = get_s3_event


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
            moment = datetime.datetime.fromisoformat(entered).astimezone(datetime.UTC)
            fields["EnteredTime"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return original(**fields)

    state_module.StateData = state_data  # type: ignore[assignment]


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


_PATCHES: tuple[Callable[[], None], ...] = (
    _patch_stopped_execution_stays_aborted,
    _patch_s3_event_version,
    _patch_entered_time_format,
    _patch_map_iteration_error_names,
    _patch_name_normalisation,
    _patch_ecs_run_task_parameters,
    _patch_ecs_client_errors,
    _patch_jsonata,
    _patch_definite_jsonpath,
    _patch_fresh_token_per_attempt,
    _patch_ecs_sync_failure,
    _patch_start_execution,
    _patch_mock_throw_states_errors,
    _patch_definition_validation_state,
    _patch_error_logging,
    _patch_lambda_invoke,
    _patch_ecs_hooks,
)

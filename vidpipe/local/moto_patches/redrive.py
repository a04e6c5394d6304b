"""RedriveExecution on moto 5.2.5, which has none (the action is unknown to its server and its backend).

AWS semantics implemented (RedriveExecution API reference; Step Functions developer guide, "Redriving
executions"; context object page):

* only FAILED, ABORTED or TIMED_OUT executions of STANDARD state machines, started on or after 2023-11-15,
  ended less than 14 days ago, open for less than a year, with fewer than 24,999 history events; anything else
  (a RUNNING or SUCCEEDED execution included) is ``ExecutionNotRedrivable`` with the reason AWS gives in
  ``redriveStatusReason``;
* the same execution ARN, input and definition (the one the execution started with: moto keeps a copy of the
  state machine per execution); the execution-level timeout starts again;
* succeeded states are not re-run: the execution continues at the unsuccessful state with that state's
  original input, and inline Map and Parallel states re-run only their failed or aborted iterations and
  branches (:mod:`.redrive_record`);
* ``redriveCount``, ``redriveDate``, ``redriveStatus`` (and ``redriveStatusReason``) in DescribeExecution,
  ``redriveCount``/``redriveDate`` in ListExecutions and its ``redriveFilter`` (REDRIVEN / NOT_REDRIVEN),
  ``$$.Execution.RedriveCount`` and ``$$.Execution.RedriveTime``, an ``ExecutionRedriven`` history event after
  which the history continues with new event ids;
* ``clientToken`` idempotency: the last 10 tokens of an execution, for 15 minutes.

Not implemented: a redrive whose unsuccessful states include a Distributed Map (AWS redrives its Map Run):
refused with ``NotImplemented``. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import datetime
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vidpipe.local.moto_patches.redrive_record import FrameRecord, record_of, unsuccessful_path
from vidpipe.local.moto_patches.stepfunctions import aws_timestamp

REDRIVE_LAUNCH = datetime.datetime(2023, 11, 15, tzinfo=datetime.UTC)
REDRIVE_WINDOW = datetime.timedelta(days=14)
MAX_OPEN_TIME = datetime.timedelta(days=365)
HISTORY_LIMIT = 24_999
CLIENT_TOKENS_KEPT = 10
CLIENT_TOKEN_LIFETIME = datetime.timedelta(minutes=15)
REDRIVABLE_STATUSES = frozenset({"FAILED", "ABORTED", "TIMED_OUT"})
_LOCK = threading.Lock()  # one redrive decision at a time (the check and the start must not interleave)


@dataclass
class RedriveState:
    """What an execution remembers about its redrives (kept on moto's Execution object)."""

    count: int = 0
    date: datetime.datetime | None = None
    tokens: deque[tuple[str, datetime.datetime]] = field(
        default_factory=lambda: deque(maxlen=CLIENT_TOKENS_KEPT)
    )


@dataclass(frozen=True)
class RedriveStart:
    """Handed to the execution worker of a redrive."""

    count: int
    date: datetime.datetime
    events: list[dict[str, Any]]
    resume: FrameRecord


def state_of(execution: Any) -> RedriveState:
    state: RedriveState | None = getattr(execution, "_vidpipe_redrive", None)
    if state is None:
        state = RedriveState()
        execution._vidpipe_redrive = state
    return state


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _history(execution: Any) -> list[dict[str, Any]]:
    env = execution.exec_worker.env if execution.exec_worker is not None else None
    return list(env.event_manager.get_event_history()) if env is not None else []


def redrive_blocker(execution: Any, now: datetime.datetime | None = None) -> str | None:
    """Why AWS would refuse to redrive ``execution`` now (its ``redriveStatusReason``), or None."""
    now = now or _now()
    status = execution.status
    if execution.sm_type != "STANDARD":
        return "Execution of type EXPRESS cannot be redriven."
    if status == "RUNNING":
        return "Execution is RUNNING and cannot be redriven."
    if status == "SUCCEEDED":
        return "Execution is SUCCEEDED and cannot be redriven."
    if status not in REDRIVABLE_STATUSES:
        return f"Execution is {status} and cannot be redriven."
    if execution.start_date < REDRIVE_LAUNCH:
        return "Execution was started before the launch of RedriveExecution."
    if execution.stop_date is not None and now - execution.stop_date > REDRIVE_WINDOW:
        return "Execution redrivable period exceeded."
    if now - execution.start_date > MAX_OPEN_TIME:
        return "Execution has exceeded the max execution time."
    if len(_history(execution)) >= HISTORY_LIMIT:
        return "Execution history event limit exceeded."
    return None


def redrive_execution(backend: Any, execution_arn: str, client_token: str | None = None) -> datetime.datetime:
    """Redrive ``execution_arn``; returns the redrive date (the same one for a repeated client token).

    Raises:
        ExecutionDoesNotExist, ExecutionNotRedrivable: as AWS does.
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.api import ExecutionStatus

    execution = backend.describe_execution(execution_arn)  # raises ExecutionDoesNotExist
    with _LOCK:
        state = state_of(execution)
        now = _now()
        for token, used_at in state.tokens:
            if token == client_token and now - used_at <= CLIENT_TOKEN_LIFETIME and state.date is not None:
                return state.date
        blocker = redrive_blocker(execution, now)
        if blocker is not None:
            raise AWSError(blocker, exception_type="ExecutionNotRedrivable")
        record = record_of(execution.exec_worker.env) or FrameRecord()
        _refuse_distributed_map(record)
        events = _history(execution)
        old_worker = execution.exec_worker
        state.count += 1
        state.date = now
        if client_token:
            state.tokens.append((client_token, now))
        worker = execution._get_start_execution_worker()
        worker._mock_test_case = old_worker._mock_test_case
        worker._vidpipe_redrive_start = RedriveStart(state.count, now, events, FrameRecord(resume=record))
        execution.exec_status = ExecutionStatus.RUNNING
        execution.stop_date = None
        execution.output = None
        execution.error = None
        execution.cause = None
        execution.exec_worker = worker
        worker.start()
        return now


def _refuse_distributed_map(record: FrameRecord) -> None:
    from moto.core.exceptions import AWSError

    for state_name, run in unsuccessful_path(record):
        if run is not None and run.kind == "distributed-map":
            raise AWSError(
                exception_type="NotImplemented",
                message=f"the local runtime does not implement redriving a Distributed Map (state {state_name!r}): "
                "start a new execution instead",
            )


def redrive_fields(execution: Any) -> dict[str, Any]:
    """The redrive fields of DescribeExecution for ``execution`` (AWS returns them for every execution)."""
    state = state_of(execution)
    fields: dict[str, Any] = {"redriveCount": state.count}
    if state.date is not None:
        fields["redriveDate"] = state.date
    blocker = redrive_blocker(execution)
    fields["redriveStatus"] = "REDRIVABLE" if blocker is None else "NOT_REDRIVABLE"
    if blocker is not None:
        fields["redriveStatusReason"] = blocker
    return fields


# ---------------------------------------------------------------------------------------------------------
# patches
# ---------------------------------------------------------------------------------------------------------


def _patch_redriven_worker() -> None:
    """A redrive's execution worker: the previous history, an ExecutionRedriven event, the resumed record,
    and ``$$.Execution.RedriveCount``/``RedriveTime`` in the context object."""
    from moto.stepfunctions.parser.api import ExecutionRedrivenEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    from vidpipe.local.moto_patches.redrive_record import RECORD_ATTR

    original_environment = ExecutionWorker._get_evaluation_environment
    original_logic = ExecutionWorker._execution_logic

    def _get_evaluation_environment(self: Any) -> Any:
        env = original_environment(self)
        start: RedriveStart | None = getattr(self, "_vidpipe_redrive_start", None)
        if start is not None:
            context = env.states.context_object.context_object_data["Execution"]
            context["RedriveCount"] = start.count
            context["RedriveTime"] = aws_timestamp(start.date)
            setattr(env, RECORD_ATTR, start.resume)
            last_id = max((int(e["id"]) for e in start.events), default=0)
            env.event_manager._history_event_list.extend(start.events)
            env.event_manager._event_id_gen._next_id = last_id + 1
            env.event_history_context.source_event_id = last_id
            env.event_history_context.last_published_event_id = last_id
        return env

    def _execution_logic(self: Any) -> None:
        start: RedriveStart | None = getattr(self, "_vidpipe_redrive_start", None)
        if start is None:
            original_logic(self)
            return
        program = self._get_evaluation_entrypoint()
        self.env = self._get_evaluation_environment()
        self.env.event_manager.add_event(
            context=self.env.event_history_context,
            event_type=HistoryEventType.ExecutionRedriven,
            event_details=EventDetails(
                executionRedrivenEventDetails=ExecutionRedrivenEventDetails(redriveCount=start.count)
            ),
        )
        program.eval(self.env)
        self._execution_communication.terminated()

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment
    ExecutionWorker._execution_logic = _execution_logic


def _patch_redrive_api() -> None:
    """Route the RedriveExecution action (server and in-process mock) to :func:`redrive_execution`."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    def unsupported(self: Any, execution_arn: str, client_token: str | None = None) -> datetime.datetime:
        raise ValidationException(
            "RedriveExecution needs moto's Step Functions execution (execute_state_machine)"
        )

    def backend_redrive(self: Any, execution_arn: str, client_token: str | None = None) -> datetime.datetime:
        return redrive_execution(self, execution_arn, client_token)

    def response_redrive(self: Any) -> Any:
        date = self.stepfunction_backend.redrive_execution(
            self._get_param("executionArn"), self._get_param("clientToken")
        )
        return ActionResult({"redriveDate": date})

    StepFunctionBackend.redrive_execution = unsupported
    StepFunctionsParserBackend.redrive_execution = backend_redrive
    StepFunctionResponse.redrive_execution = response_redrive


def _patch_describe_and_list() -> None:
    """DescribeExecution and ListExecutions with the redrive fields (and ``stopDate`` of TIMED_OUT executions,
    which moto leaves out); ListExecutions honours ``redriveFilter``."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.responses import StepFunctionResponse
    from moto.stepfunctions.utils import PAGINATION_MODEL
    from moto.utilities.paginator import paginate

    original_describe = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        result = original_describe(self)
        response: dict[str, Any] = result.result  # type: ignore[assignment]
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if execution.status == "TIMED_OUT":
            response["stopDate"] = execution.stop_date
        if hasattr(execution, "exec_worker"):  # the parser backend's executions
            response.update(redrive_fields(execution))
        return result

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_executions(  # the backend's, with redriveFilter applied before pagination as AWS does
        self: Any, state_machine_arn: str, status_filter: str | None = None, redrive_filter: str | None = None
    ) -> list[Any]:
        executions = self.describe_state_machine(state_machine_arn).executions
        if status_filter:
            executions = [e for e in executions if e.status == status_filter]
        if redrive_filter:
            redriven = redrive_filter == "REDRIVEN"
            executions = [e for e in executions if (state_of(e).count > 0) == redriven]
        return sorted(executions, key=lambda e: e.start_date, reverse=True)

    def list_executions_response(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        state_machine = self.stepfunction_backend.describe_state_machine(arn)
        results, next_token = self.stepfunction_backend.list_executions(
            arn,
            status_filter=self._get_param("statusFilter"),
            redrive_filter=self._get_param("redriveFilter"),
            max_results=self._get_int_param("maxResults"),
            next_token=self._get_param("nextToken"),
        )
        executions = []
        for execution in results:
            state = state_of(execution)
            item = {
                "executionArn": execution.execution_arn,
                "name": execution.name,
                "startDate": execution.start_date,
                "stateMachineArn": state_machine.arn,
                "status": execution.status,
                "redriveCount": state.count,
            }
            if execution.status != "RUNNING" and execution.stop_date is not None:
                item["stopDate"] = execution.stop_date
            if state.date is not None:
                item["redriveDate"] = state.date
            executions.append(item)
        return ActionResult({"executions": executions, "nextToken": next_token})

    StepFunctionResponse.describe_execution = describe_execution
    StepFunctionBackend.list_executions = list_executions
    StepFunctionResponse.list_executions = list_executions_response


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_redriven_worker,
    _patch_redrive_api,
    _patch_describe_and_list,
)

"""Patches of moto 5.2.5's Lambda: run a registered Python handler in-process on Invoke (defect 9).

Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vidpipe.local.in_memory import calls_in_memory
from vidpipe.local.invocation_env import install, invocation
from vidpipe.local.lambda_logs import captured_logs, invocation_lines, stream_name, write_invocation_log
from vidpipe.local.moto_patches import lambda_async

LOG = logging.getLogger(__name__)


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
        self.log_stream_name = self.log_stream_name or stream_name(self.function_version)
        self._deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
            seconds=self.timeout_seconds
        )

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's configured timeout (never negative)."""
        remaining = self._deadline - datetime.datetime.now(datetime.UTC)
        return max(0, int(remaining.total_seconds() * 1000))


_LAMBDA_LOCK = threading.Lock()
_LAMBDA_HANDLERS: dict[str, LambdaRegistration] = {}


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
    ``AWS_LAMBDA_FUNCTION_NAME``/``_VERSION``/``_MEMORY_SIZE``, in ``os.environ`` as the call sees it
    (:mod:`vidpipe.local.invocation_env`): invocations run concurrently, each in the thread that invokes the
    function, as Lambda runs concurrent invocations in environments of their own. Thread-safe;
    re-registering replaces the handler.
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
        log_group_name=str(getattr(fn, "logs_group_name", "")),
    )
    error: Exception | None = None
    with captured_logs(context.aws_request_id) as captured:  # the function's log, as Lambda keeps it
        try:
            with invocation(variables), calls_in_memory():  # its AWS calls need no socket (in_memory)
                result = registration.handler(event, context)
            payload = json.dumps(result).encode("utf-8")
        except Exception as exc:
            LOG.debug("local Lambda %s raised %s", fn.function_name, type(exc).__name__, exc_info=True)
            error, payload = exc, json.dumps(_function_error_payload(exc)).encode("utf-8")
    events = invocation_lines(captured, context.aws_request_id, context.memory_limit_in_mb, error)
    write_invocation_log(fn.logs_backend, context.log_group_name, context.log_stream_name, events)
    return payload, error is not None


def _registered_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        fn = self.get_function(function_name, qualifier)  # raises ResourceNotFound as on AWS
        registration = _lookup_lambda(fn.function_name)
        if registration is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        if (headers or {}).get("X-Amz-Invocation-Type") == "Event":  # queued, retried, destinations (22)
            lambda_async.submit(fn, registration, body)
            response_headers["Content-Length"] = "0"
            return b""
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
    An ``Event`` (asynchronous) invocation is queued by :mod:`.lambda_async` (defect 22) and answered at once.
    """
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    install()  # before any botocore session is made, since its providers keep the mapping they were given
    LambdaBackend.invoke = _registered_invoke(LambdaBackend.invoke)  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = _registered_invoke(LambdaSimpleBackend.invoke)  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (16) a function's LoggingConfig
# ---------------------------------------------------------------------------------------------------------


def _patch_logging_config() -> None:
    """Defect 16: CreateFunction drops ``LoggingConfig``; GetFunctionConfiguration has none.

    AWS: a function's logs go to ``LoggingConfig.LogGroup`` (default ``/aws/lambda/<function>``), and
    GetFunction(Configuration) returns ``LoggingConfig`` (``LogFormat`` ``Text`` by default, ``LogGroup``).
    The stack gives every function its own log group, which is where ``vidpipe logs`` reads the handlers'
    lines. Patch: keep the request's ``LoggingConfig``, use its group as moto's ``logs_group_name`` (where
    the in-process handlers' logs are written) and return it in the configuration.
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_configuration = LambdaFunction.get_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        given = spec.get("LoggingConfig") or {}
        self.logs_group_name = given.get("LogGroup") or self.logs_group_name
        self.logging_config = {"LogFormat": given.get("LogFormat", "Text"), "LogGroup": self.logs_group_name}
        for level in ("ApplicationLogLevel", "SystemLogLevel"):
            if level in given:
                self.logging_config[level] = given[level]

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original_configuration(self, *args, **kwargs))
        config["LoggingConfig"] = dict(getattr(self, "logging_config", {"LogFormat": "Text"}))
        config["LoggingConfig"].setdefault("LogGroup", self.logs_group_name)
        return config

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration


PATCHES: tuple[Callable[[], None], ...] = (_patch_lambda_invoke, _patch_logging_config)

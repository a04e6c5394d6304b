"""AWS Step Functions Local mock configuration (``SFN_MOCK_CONFIG``) for moto's interpreter.

Format (the one Step Functions Local documents)::

    {"StateMachines": {"<state machine name>": {"TestCases": {"<case>": {"<State Name>": "<MockedResponse>"}}}},
     "MockedResponses": {"<MockedResponse>": {"0": {"Return": {...}},
                                              "1-2": {"Throw": {"Error": "States.TaskFailed", "Cause": "..."}}}}}

Start an execution with ``stateMachineArn="<arn>#<case>"`` (after ``moto_patches.apply()``): the states
listed in the case return / throw the mocked responses (keys are attempt numbers: ``"0"`` is the first
attempt, ``"1-2"`` the next two retries); every other state runs for real against moto. A ``Return`` is the
state's raw task result (for ``lambda:invoke`` the invoke response, e.g. ``{"StatusCode": 200, "Payload":
{...}}``; for ``ecs:runTask.sync`` the PascalCase task object).

The active configuration is process-global: :func:`set_mock_config` / :func:`use_mock_config`, else the JSON
file named by the ``SFN_MOCK_CONFIG`` environment variable. It is read when an execution starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_config: dict[str, Any] | None = None


class MockConfigError(ValueError):
    """The mock configuration is malformed or lacks the requested state machine / test case."""


def set_mock_config(config: dict[str, Any] | None) -> None:
    """Install ``config`` as the process-wide mock configuration (``None`` removes it). Validates first."""
    global _config
    if config is not None:
        validate_mock_config(config)
    with _LOCK:
        _config = config


@contextlib.contextmanager
def use_mock_config(config: dict[str, Any]) -> Iterator[None]:
    """Install ``config`` for the duration of the block, then restore the previous configuration."""
    with _LOCK:
        previous = _config
    set_mock_config(config)
    try:
        yield
    finally:
        set_mock_config(previous)


def current_mock_config() -> dict[str, Any] | None:
    """The installed configuration, else the file named by ``SFN_MOCK_CONFIG``, else None."""
    with _LOCK:
        if _config is not None:
            return _config
    path = os.environ.get("SFN_MOCK_CONFIG")
    if not path:
        return None
    config = json.loads(Path(path).read_text(encoding="utf-8"))
    validate_mock_config(config)
    return config


def validate_mock_config(config: dict[str, Any]) -> None:
    """Check the shape and that every referenced mocked response exists with a Return or Throw."""
    if not isinstance(config, dict):
        raise MockConfigError("mock config must be a JSON object")
    responses = config.get("MockedResponses", {})
    for sm_name, sm in config.get("StateMachines", {}).items():
        for case_name, case in sm.get("TestCases", {}).items():
            for state, response_name in case.items():
                if response_name not in responses:
                    raise MockConfigError(
                        f"{sm_name}#{case_name}: state {state!r} uses unknown mocked response {response_name!r}"
                    )
    for name, attempts in responses.items():
        for attempt_range, response in attempts.items():
            if not isinstance(response, dict) or len({"Return", "Throw"} & response.keys()) != 1:
                raise MockConfigError(
                    f"mocked response {name}[{attempt_range}] needs exactly one of Return/Throw"
                )
            throw = response.get("Throw")
            if throw is not None and not isinstance(throw.get("Error"), str):
                raise MockConfigError(f"mocked response {name}[{attempt_range}]: Throw needs an Error string")


def _mocked_responses(name: str, attempts: dict[str, Any]) -> list[Any]:
    from moto.stepfunctions.parser.mocking.mock_config import (
        MockedResponseReturn,
        MockedResponseThrow,
        _parse_mocked_response_range,
    )

    built: list[Any] = []
    for attempt_range, response in attempts.items():
        start, end = _parse_mocked_response_range(attempt_range)
        if "Return" in response:
            built.append(MockedResponseReturn(range_start=start, range_end=end, payload=response["Return"]))
        else:
            throw = response["Throw"]
            built.append(
                MockedResponseThrow(
                    range_start=start, range_end=end, error=throw["Error"], cause=throw.get("Cause", "")
                )
            )
    return built


def build_test_case(config: dict[str, Any], state_machine_name: str, test_case_name: str) -> Any:
    """Build moto's ``MockTestCase`` for one test case of ``config``."""
    from moto.stepfunctions.parser.mocking.mock_config import MockTestCase, StateMockedResponses

    case = (
        config.get("StateMachines", {}).get(state_machine_name, {}).get("TestCases", {}).get(test_case_name)
    )
    if case is None:
        raise MockConfigError(f"no test case {test_case_name!r} for state machine {state_machine_name!r}")
    responses = config.get("MockedResponses", {})
    states = [
        StateMockedResponses(
            state_name=state,
            mocked_response_name=name,
            mocked_responses=_mocked_responses(name, responses[name]),
        )
        for state, name in case.items()
    ]
    return MockTestCase(
        state_machine_name=state_machine_name,
        test_case_name=test_case_name,
        state_mocked_responses_list=states,
    )


def load_test_case(state_machine_name: str, test_case_name: str) -> Any:
    """The ``MockTestCase`` for ``<state machine>#<test case>`` from the current configuration."""
    config = current_mock_config()
    if config is None:
        raise MockConfigError(
            f"execution of {state_machine_name}#{test_case_name} needs a mock config "
            "(sfn_mocks.set_mock_config / use_mock_config or SFN_MOCK_CONFIG)"
        )
    return build_test_case(config, state_machine_name, test_case_name)

"""The patches in server mode (ThreadedMotoServer in this process), as the local runtime uses moto."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

from ._agent import FakeAgent
from ._helpers import REGION, create_ecs_env, create_sm, run_task_state

IN_PROCESS_MOCK = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A patched ThreadedMotoServer; MOTO_PORT tells the interpreter where to send its service calls."""
    port = _free_port()
    monkeypatch.setenv("MOTO_PORT", str(port))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    requests.post(f"{url}/moto-api/config", json=config, timeout=5).raise_for_status()
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=5)
        server.stop()


def _client(name: str, url: str) -> Any:
    return boto3.client(name, endpoint_url=url, region_name=REGION)


def _ecs_env(url: str) -> dict[str, str]:
    return create_ecs_env(_client("ec2", url), _client("ecs", url))


def test_agent_exit_code_fails_the_sync_state_in_server_mode(endpoint: str) -> None:
    """ECS hooks and the .sync failure work against a ThreadedMotoServer in the same process."""
    sfn = _client("stepfunctions", endpoint)
    arn = create_sm(sfn, {"StartAt": "Run", "States": {"Run": run_task_state(_ecs_env(endpoint))}})
    with FakeAgent([(2, "EssentialContainerExited")]) as agent:
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": "j"}))
        result = wait_for_execution(sfn, execution["executionArn"], timeout=15)
    assert len(agent.launches) == 1
    assert result["error"] == "States.TaskFailed"
    assert json.loads(result["cause"])["Containers"][0]["ExitCode"] == 2
    assert moto_patches.is_applied()


def test_boto3_redrive_execution_reaches_the_server(endpoint: str) -> None:
    """The server routes RedriveExecution: a Choice that needs $$.Execution.RedriveCount > 0 (and has no
    Default) fails first and passes when redriven, with the same ARN."""
    sfn = _client("stepfunctions", endpoint)
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"}
                ],
            },
            "Done": {"Type": "Succeed"},
        },
    }
    arn = create_sm(sfn, definition)
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="redriven", input="{}")["executionArn"]
    assert wait_for_execution(sfn, execution_arn, timeout=15)["status"] == "FAILED"

    sfn.redrive_execution(executionArn=execution_arn)
    done = wait_for_execution(sfn, execution_arn, timeout=15)
    assert done["status"] == "SUCCEEDED" and done["redriveCount"] == 1, done

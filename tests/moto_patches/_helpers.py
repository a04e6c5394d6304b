"""Helpers shared by the moto patch tests."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from vidpipe.local import moto_patches

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/sfn"
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@contextmanager
def patched_moto(monkeypatch: pytest.MonkeyPatch, in_process: bool = True) -> Iterator[None]:
    """Fake credentials and patched moto with Step Functions execution; one fresh in-process mock unless
    ``in_process`` is False (a test that runs a ThreadedMotoServer)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    moto_patches.apply()
    try:
        if in_process:
            with mock_aws(config=MOTO_CONFIG):
                yield
        else:
            yield
    finally:
        moto_patches.clear_lambda_handlers()
        moto_patches.set_ecs_task_listener(None)


def create_sm(sfn: Any, definition: dict[str, Any], name: str = "sm") -> str:
    """Create a STANDARD state machine and return its ARN."""
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def run_task_state(env: dict[str, str], **extra: Any) -> dict[str, Any]:
    """An ``ecs:runTask.sync`` Task state in ASL (PascalCase parameters, as on AWS)."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": {
            "Cluster": env["cluster"],
            "TaskDefinition": env["task_definition"],
            "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": [env["subnet"]],
                    "SecurityGroups": [env["security_group"]],
                    "AssignPublicIp": "ENABLED",
                }
            },
            "Overrides": {
                "ContainerOverrides": [
                    {"Name": "worker", "Environment": [{"Name": "JOB_ID", "Value.$": "$.job"}]}
                ]
            },
        },
        "End": True,
    }
    state.update(extra)
    return state


def create_function(name: str, variables: dict[str, str] | None = None) -> str:
    """A Lambda function in moto (an echo handler; tests register the real Python handler) and its ARN."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    return boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": variables or {}},
    )["FunctionArn"]


def create_ecs_env(ec2: Any, ecs: Any) -> dict[str, str]:
    """A Fargate-capable cluster, task definition and awsvpc network in moto.

    moto needs what the provisioning code must also do: EnableDnsHostnames on the VPC, security groups in
    the awsvpc configuration and a container-level memory in the container definition.
    """
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="worker", Description="worker", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="vidpipe", capacityProviders=["FARGATE", "FARGATE_SPOT"])
    task_definition = ecs.register_task_definition(
        family="worker",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "worker", "image": "worker:local", "memory": 512, "essential": True}],
    )
    return {
        "cluster": cluster["cluster"]["clusterArn"],
        "task_definition": task_definition["taskDefinition"]["taskDefinitionArn"],
        "subnet": subnet,
        "security_group": group,
    }


def inline_map(state_name: str, state: dict[str, Any]) -> dict[str, Any]:
    """A definition whose only state is an inline Map running ``state`` once per input item."""
    state = {**state, "End": True}
    state.pop("Next", None)
    processor = {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": state_name, "States": {state_name: state}}
    return {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": processor, "End": True}}}


def parked_definition(function: str) -> dict[str, Any]:
    """A definition whose one state waits for a task token; the Lambda ``function`` receives it as ``token``."""
    return {
        "StartAt": "Park",
        "States": {
            "Park": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": function, "Payload": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }


def all_at_once(call: Callable[[], Any], threads: int = 8) -> list[Any]:
    """Run ``call`` in ``threads`` threads released together (a burst of executions); their results."""
    start = threading.Barrier(threads)
    results: list[Any] = []

    def one() -> None:
        start.wait()
        results.append(call())

    started = [threading.Thread(target=one) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(30)
    return results

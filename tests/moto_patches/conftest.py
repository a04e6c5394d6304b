"""Fixtures for the moto patch tests: patched moto, in-process, with Step Functions execution enabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from vidpipe.local import moto_patches

from ._helpers import REGION

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@pytest.fixture(autouse=True)
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, patched moto, one fresh in-process mock per test (unless the test module sets
    ``IN_PROCESS_MOCK = False``, e.g. to run a ThreadedMotoServer)."""
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
        if getattr(request.module, "IN_PROCESS_MOCK", True):
            with mock_aws(config=MOTO_CONFIG):
                yield
        else:
            yield
    finally:
        moto_patches.clear_lambda_handlers()
        moto_patches.set_ecs_task_listener(None)


@pytest.fixture
def sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


@pytest.fixture
def ecs_env() -> dict[str, str]:
    """A Fargate-capable cluster, task definition and awsvpc network in moto.

    moto needs what the provisioning code must also do: EnableDnsHostnames on the VPC, security groups in
    the awsvpc configuration and a container-level memory in the container definition.
    """
    ec2 = boto3.client("ec2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
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

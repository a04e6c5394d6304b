"""Fixtures for the moto patch tests: patched moto, in-process, with Step Functions execution enabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from vidpipe.local import moto_patches

from ._helpers import REGION, create_ecs_env

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
    """A Fargate-capable cluster, task definition and awsvpc network in the in-process moto."""
    return create_ecs_env(boto3.client("ec2", region_name=REGION), boto3.client("ecs", region_name=REGION))

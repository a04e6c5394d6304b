"""Fixtures for the moto patch tests: patched moto, in-process, with Step Functions execution enabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ._helpers import REGION, create_ecs_env, patched_moto


@pytest.fixture(autouse=True)
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Patched moto, in-process, one fresh mock per test (unless the test module sets
    ``IN_PROCESS_MOCK = False``, e.g. to run a ThreadedMotoServer)."""
    with patched_moto(monkeypatch, in_process=getattr(request.module, "IN_PROCESS_MOCK", True)):
        yield


@pytest.fixture
def sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


@pytest.fixture
def ecs_env() -> dict[str, str]:
    """A Fargate-capable cluster, task definition and awsvpc network in the in-process moto."""
    return create_ecs_env(boto3.client("ec2", region_name=REGION), boto3.client("ecs", region_name=REGION))

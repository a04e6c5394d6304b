"""Defect 28: moto's Step Functions interpreter created a boto3 client for every Task state's service call."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import moto
import pytest
from botocore.validate import ParamValidationDecorator
from moto.stepfunctions.parser.asl.utils import boto_client

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import service_clients

from ._helpers import all_at_once


@pytest.fixture(autouse=True)
def _patched() -> None:
    moto_patches.apply()


def test_unpatched_moto_creates_a_client_per_call() -> None:
    """The defect, on moto's own function: two calls, two clients (each loads its service model)."""
    unpatched = boto_client.boto_client_for.__wrapped__  # type: ignore[attr-defined]
    assert unpatched("us-east-1", "lambda") is not unpatched("us-east-1", "lambda")


def test_task_states_share_one_client_per_service_with_moto_settings() -> None:
    first = boto_client.boto_client_for(region="us-east-1", service="lambda")
    assert boto_client.boto_client_for("us-east-1", "lambda", state_credentials={"RoleArn": "x"}) is first
    other = boto_client.boto_client_for("us-east-1", "ecs")
    assert other is not first and other.meta.service_model.service_name == "ecs"
    assert boto_client.boto_client_for("eu-west-1", "lambda") is not first
    assert not isinstance(first._serializer, ParamValidationDecorator), "moto's clients validate nothing"
    config = first.meta.config
    assert config.retries["total_max_attempts"] == 1
    assert config.max_pool_connections == service_clients.MAX_POOL_CONNECTIONS


def test_every_moto_module_that_imports_boto_client_for_uses_the_shared_one() -> None:
    source = Path(moto.__file__).parent
    importers = sorted(
        ".".join(path.relative_to(source.parent).with_suffix("").parts)
        for path in source.rglob("*.py")
        if re.search(r"import boto_client_for\b", path.read_text(encoding="utf-8"))
    )
    assert importers == sorted(service_clients.IMPORTERS)
    import importlib

    for name in importers:
        assert importlib.import_module(name).boto_client_for is boto_client.boto_client_for, name


def test_a_burst_of_first_service_calls_loads_the_operation_model_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The integrations' request names are normalised with botocore's model (defect 1): executions that make
    their first service call together load it once, not once per thread."""
    import botocore.session

    from vidpipe.local.moto_patches import stepfunctions as sfn_patch

    moto_patches.apply()
    loads: list[int] = []
    original = botocore.session.get_session

    def counted() -> Any:
        loads.append(1)
        return original()

    monkeypatch.setattr(botocore.session, "get_session", counted)
    sfn_patch._service_model.cache_clear()
    sfn_patch._find_operation_model.cache_clear()
    found = all_at_once(lambda: sfn_patch._operation_model("lambda", "invoke"))
    assert len(loads) == 1
    assert len(found) == 8 and all(model.name == "Invoke" for model in found)

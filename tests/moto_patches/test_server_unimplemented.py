"""The local runtime's server answers an operation moto does not implement like an unknown operation (as AWS
does: HTTP 400 ``UnknownOperationException``) with one log line, not a 500 and a traceback per attempt."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ._helpers import REGION


@pytest.fixture
def server() -> Iterator[str]:
    from vidpipe.local.server import MotoServer

    running = MotoServer(port=0)
    yield running.start()
    running.stop()


IN_PROCESS_MOCK = False  # these tests talk to a real server


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id="t", aws_secret_access_key="t")  # fmt: skip


def test_an_unimplemented_operation_is_an_unknown_operation(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """moto's NotImplementedError was a 500 (retried by the SDKs) and a 45-line traceback per attempt."""
    sqs = _client("sqs", server)
    with caplog.at_level(logging.INFO), pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:123456789012:dlq")
    error = caught.value.response
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    assert "not been implemented by the local runtime" in error["Error"]["Message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]

"""The handlers' error translation: transient AWS errors are retried by the state machine, others fail it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tasks.errors import TransientError, transient_as_retryable


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "UpdateItem")


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_a_throttled_call_becomes_a_transient_error(code: str) -> None:
    with pytest.raises(TransientError, match=code), transient_as_retryable():
        raise _client_error(code)


def test_any_other_client_error_passes_unchanged() -> None:
    with pytest.raises(ClientError) as raised, transient_as_retryable():
        raise _client_error("ValidationException")
    assert not isinstance(raised.value, TransientError)
    assert raised.value.response["Error"]["Code"] == "ValidationException"

"""DynamoDB error names in the interpreter (20) and the write gate: a write applied, then a 500."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import WriteRequest
from vidpipe.local.moto_patches import dynamodb as dynamodb_patch
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import REGION, create_sm


@pytest.fixture(autouse=True)
def no_gate() -> Iterator[None]:
    yield
    moto_patches.set_write_gate(None)


@pytest.fixture
def table() -> str:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="jobs",
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "jobs"


class OnceGate:
    """Fails the first applied write of ``operation`` (after it was applied) and records every write."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.seen: list[WriteRequest] = []
        self.fired = 0

    def __call__(self, request: WriteRequest) -> bool:
        self.seen.append(request)
        if request.operation == self.operation and not self.fired:
            self.fired += 1
            return True
        return False


def _claim(retry: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Parameters": {
            "TableName": "jobs",
            "Key": {"job_id": {"S": "j1"}},
            "UpdateExpression": "SET #s = :received",
            "ConditionExpression": "attribute_not_exists(#s)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":received": {"S": "RECEIVED"}},
        },
        "End": True,
    }
    if retry:
        state["Retry"] = retry
    return {"StartAt": "Claim", "States": {"Claim": state}}


def _item(table: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        boto3.client("dynamodb", region_name=REGION)
        .get_item(TableName=table, Key={"job_id": {"S": "j1"}}, ConsistentRead=True)
        .get("Item")
    )
    return item


def test_an_applied_write_that_fails_is_internal_server_error_exception_in_the_state(
    sfn: Any, table: str
) -> None:
    gate = OnceGate("UpdateItem")
    moto_patches.set_write_gate(gate)
    arn = create_sm(sfn, _claim())
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"])

    assert result["error"] == "DynamoDB.InternalServerErrorException", result
    assert "Status Code: 500; Error Code: InternalServerError" in result["cause"]
    assert _item(table) == {"job_id": {"S": "j1"}, "status": {"S": "RECEIVED"}}  # the write was applied
    assert gate.seen == [WriteRequest("UpdateItem", ("jobs",))]


def test_a_retried_conditional_write_that_was_applied_fails_its_own_condition(sfn: Any, table: str) -> None:
    """The hazard the pipeline must handle: Retry re-sends a conditional write DynamoDB already applied."""
    moto_patches.set_write_gate(OnceGate("UpdateItem"))
    retry = [
        {"ErrorEquals": ["DynamoDB.InternalServerErrorException"], "IntervalSeconds": 1, "MaxAttempts": 1}
    ]
    arn = create_sm(sfn, _claim(retry))
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"])
    assert result["error"] == "DynamoDB.ConditionalCheckFailedException", result


def test_boto3_sees_a_500_after_its_write_was_applied(table: str) -> None:
    moto_patches.set_write_gate(OnceGate("PutItem"))
    client = boto3.client("dynamodb", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=table, Item={"job_id": {"S": "j1"}, "status": {"S": "RECEIVED"}})
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert _item(table) is not None


def test_a_failed_condition_applies_nothing_and_does_not_fire(table: str) -> None:
    gate = OnceGate("PutItem")
    moto_patches.set_write_gate(gate)
    client = boto3.client("dynamodb", region_name=REGION)
    client.put_item(TableName=table, Item={"job_id": {"S": "j1"}})  # fires: the gate's one failure...
    gate.fired = 1  # ...is spent
    with pytest.raises(ClientError) as raised:
        client.put_item(
            TableName=table, Item={"job_id": {"S": "j1"}}, ConditionExpression="attribute_not_exists(job_id)"
        )
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_transactions_name_every_table(table: str) -> None:
    gate = OnceGate("none")
    moto_patches.set_write_gate(gate)
    boto3.client("dynamodb", region_name=REGION).transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"job_id": {"S": "a"}}}},
            {"Update": {"TableName": table, "Key": {"job_id": {"S": "b"}}, "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "1"}}}},
        ]
    )  # fmt: skip
    assert gate.seen == [WriteRequest("TransactWriteItems", ("jobs",))]


def test_dynamodb_error_names_follow_the_java_sdk() -> None:
    assert moto_patches.dynamodb_error_name("InternalServerError") == "DynamoDB.InternalServerErrorException"
    assert (
        moto_patches.dynamodb_error_name("RequestLimitExceeded") == "DynamoDB.RequestLimitExceededException"
    )
    assert moto_patches.dynamodb_error_name("ConditionalCheckFailedException") == (
        "DynamoDB.ConditionalCheckFailedException"
    )


def _waits_on_the_operation_lock(thread: threading.Thread) -> bool:
    """True when ``thread`` is in the patch's wrapper (where it waits for the lock while another holds it)."""
    frame = sys._current_frames().get(thread.ident or -1)
    code = frame.f_code if frame is not None else None
    return code is not None and code.co_name == "call_action" and code.co_filename == dynamodb_patch.__file__


def test_a_failed_transaction_neither_undoes_nor_interleaves_with_a_concurrent_write(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 26: a TransactWriteItems whose condition fails restores the copies of its tables it took when it
    began, so a write another thread made meanwhile was lost. Now requests run one at a time: the other write
    waits for the transaction, then lands."""
    from moto.dynamodb.models import DynamoDBBackend

    client = boto3.client("dynamodb", region_name=REGION)
    client.put_item(TableName=table, Item={"job_id": {"S": "held"}, "status": {"S": "RUNNING"}})
    inside, go_on = threading.Event(), threading.Event()
    original_get_item = DynamoDBBackend.get_item

    def pausing_get_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "transaction" and not inside.is_set():
            inside.set()  # the transaction has copied its table and checks its first item
            assert go_on.wait(timeout=30), "the test never let the transaction go on"
        return original_get_item(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "get_item", pausing_get_item)
    outcome: dict[str, Any] = {}

    def transaction() -> None:
        condition = {
            "TableName": table,
            "Key": {"job_id": {"S": "held"}},
            "ConditionExpression": "#s = :free",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":free": {"S": "FREE"}},
        }
        put = {"TableName": table, "Item": {"job_id": {"S": "mine"}}}
        try:
            client.transact_write_items(TransactItems=[{"Put": put}, {"ConditionCheck": condition}])
            outcome["error"] = None
        except ClientError as error:
            outcome["error"] = error.response["Error"]["Code"]

    def write() -> None:
        client.put_item(TableName=table, Item={"job_id": {"S": "theirs"}})

    first = threading.Thread(target=transaction, name="transaction")
    first.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=write, name="write")
    second.start()
    deadline = time.monotonic() + 30
    while second.is_alive() and not _waits_on_the_operation_lock(second):
        assert time.monotonic() < deadline, "the concurrent write neither finished nor waited"
        time.sleep(0.01)
    assert second.is_alive(), "the write ran in the middle of the transaction"
    go_on.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert outcome["error"] == "TransactionCanceledException"
    keys = {i["job_id"]["S"] for i in client.scan(TableName=table, ConsistentRead=True)["Items"]}
    assert keys == {"held", "theirs"}  # the transaction applied nothing; the concurrent write survived it

"""Defect 30: moto's TransactWriteItems deep-copied every table it writes, to roll back a failed one."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from vidpipe.local.moto_patches import dynamodb as dynamodb_patch

from ._helpers import REGION


@pytest.fixture
def dynamodb() -> Any:
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName="slots",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName="jobs",
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(50):
        client.put_item(TableName="slots", Item={"pk": {"S": "queue"}, "sk": {"S": f"{i:03d}"}})
    client.put_item(TableName="slots", Item={"pk": {"S": "counter"}, "sk": {"S": "c"}, "n": {"N": "1"}})
    client.put_item(TableName="jobs", Item={"job_id": {"S": "gone"}, "status": {"S": "RUNNING"}})
    return client


@pytest.fixture
def copied(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The type of every value the patch module deep-copies (moto's rollback copies go through it)."""
    seen: list[str] = []

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        seen.append(type(value).__name__)
        return copy.deepcopy(value, memo)

    monkeypatch.setattr(dynamodb_patch, "copy", SimpleNamespace(deepcopy=deepcopy))
    return seen


def _backend() -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _writes(counter_condition: str) -> list[dict[str, Any]]:
    """Update the counter (under ``counter_condition``), put a new waiter, delete a job."""
    return [
        {
            "Update": {
                "TableName": "slots",
                "Key": {"pk": {"S": "counter"}, "sk": {"S": "c"}},
                "UpdateExpression": "SET #n = #n + :one",
                "ConditionExpression": counter_condition,
                "ExpressionAttributeNames": {"#n": "n"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Put": {"TableName": "slots", "Item": {"pk": {"S": "queue"}, "sk": {"S": "new"}}}},
        {"Delete": {"TableName": "jobs", "Key": {"job_id": {"S": "gone"}}}},
    ]


def _contents(client: Any) -> dict[str, list[dict[str, Any]]]:
    def rows(table: str) -> list[dict[str, Any]]:
        return sorted(client.scan(TableName=table)["Items"], key=repr)

    return {"slots": rows("slots"), "jobs": rows("jobs")}


def test_unpatched_moto_copies_each_whole_table_it_writes(dynamodb: Any, copied: list[str]) -> None:
    unpatched = DynamoDBBackend.transact_write_items.__wrapped__  # type: ignore[attr-defined]
    unpatched(_backend(), _writes("#n = :one"))
    assert copied.count("Table") == 3, copied  # one per item: slots (52 items) twice, jobs once


def test_a_transaction_copies_only_the_items_it_writes(dynamodb: Any, copied: list[str]) -> None:
    dynamodb.transact_write_items(TransactItems=_writes("#n = :one"))
    assert "Table" not in copied
    # the counter, the job and the waiter not yet there; and moto's UpdateItem's copy of the item it updates
    assert sorted(copied) == ["Item", "Item", "Item", "NoneType"]
    after = _contents(dynamodb)
    assert {"pk": {"S": "queue"}, "sk": {"S": "new"}} in after["slots"]
    assert {"pk": {"S": "counter"}, "sk": {"S": "c"}, "n": {"N": "2"}} in after["slots"]
    assert after["jobs"] == []


def test_a_transaction_that_fails_its_last_condition_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    before = _contents(dynamodb)
    items = [*_writes("#n = :one"), {"ConditionCheck": {
        "TableName": "jobs", "Key": {"job_id": {"S": "absent"}}, "ConditionExpression": "attribute_exists(job_id)"}}]  # fmt: skip
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=items)
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _contents(dynamodb) == before


def test_a_transaction_refused_midway_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    """Two writes of one item: moto refuses at the second, after it applied the first."""
    before = _contents(dynamodb)
    items = [*_writes("#n = :one"), {"Put": {"TableName": "jobs", "Item": {"job_id": {"S": "gone"}}}}]
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=items)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _contents(dynamodb) == before

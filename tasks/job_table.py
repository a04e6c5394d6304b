"""The job table: job records and the concurrency semaphore, through the low-level DynamoDB client.

Every write is conditional so that it is safe to repeat (Lambda retries, redrives, duplicate events): a
verdict is written only by the execution that owns the job, a failure only over a job that is still in
flight, and a slot is released only by the execution that holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from vidpipe.contract.items import from_item, to_attribute_values
from vidpipe.contract.names import JobStatus, Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover
else:  # the stubs are optional
    DynamoDBClient = Any

_IN_FLIGHT = (JobStatus.RECEIVED, JobStatus.RUNNING)
# Attribute-name placeholders that conditions may use (DynamoDB rejects unused ones).
_CONDITION_NAMES = {"#status_": "status", "#exec_": "execution_arn"}


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class JobTable:
    """Reads and conditional writes of job records and of the semaphore item."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job record, or None."""
        response = self.client.get_item(
            TableName=self.table_name, Key={Table.PARTITION_KEY: {"S": job_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def _update(self, job_id: str, values: dict[str, Any], condition: str, extra: dict[str, Any]) -> bool:
        """SET every key of ``values`` on the job under ``condition``; False when the condition fails."""
        names = {f"#{i}": name for i, name in enumerate(values)}
        sets = ", ".join(f"#{i} = :{i}" for i in range(len(values)))
        attribute_values = {f":{i}": v for i, v in enumerate(to_attribute_values(values).values())}
        attribute_values.update(to_attribute_values(extra))
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={Table.PARTITION_KEY: {"S": job_id}},
                UpdateExpression=f"SET {sets}",
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    **names,
                    **{k: v for k, v in _CONDITION_NAMES.items() if k in condition},
                },
                ExpressionAttributeValues=attribute_values,
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def record_rejection(self, record: dict[str, Any]) -> bool:
        """Write a REJECTED job record unless the object version already has a record that is not FAILED.

        ``record`` holds the job record's fields (status included). Returns False when the job already existed.
        """
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_attribute_values(record),
                ConditionExpression="attribute_not_exists(#id) OR #status = :failed",
                ExpressionAttributeNames={"#id": Table.PARTITION_KEY, "#status": "status"},
                ExpressionAttributeValues={":failed": {"S": JobStatus.FAILED}},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def record_verdict(self, job_id: str, execution_arn: str, values: dict[str, Any]) -> bool:
        """Write the final fields of a job owned by ``execution_arn``; False if another execution owns it."""
        return self._update(job_id, values, "#exec_ = :owner", {":owner": execution_arn})

    def record_failure(self, job_id: str, execution_arn: str, values: dict[str, Any]) -> bool:
        """Mark an in-flight job of ``execution_arn`` FAILED; False if it is not in flight or not its own."""
        return self._update(
            job_id,
            {**values, "status": JobStatus.FAILED},
            "#exec_ = :owner AND #status_ IN (:received, :running)",
            {":owner": execution_arn, ":received": _IN_FLIGHT[0], ":running": _IN_FLIGHT[1]},
        )

    def release_slot(self, holder: str, execution_arn: str) -> bool:
        """Give back the analysis slot ``holder`` if ``execution_arn`` holds it; idempotent.

        Returns True when a slot was released by this call.
        """
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={Table.PARTITION_KEY: {"S": Table.SEMAPHORE_ID}},
                UpdateExpression="SET #running = #running - :one REMOVE #holder",
                ConditionExpression="#holder = :exec AND #running > :zero",
                ExpressionAttributeNames={"#running": Table.SEMAPHORE_COUNT, "#holder": holder},
                ExpressionAttributeValues={
                    ":exec": {"S": execution_arn},
                    ":one": {"N": "1"},
                    ":zero": {"N": "0"},
                },
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def slots(self) -> dict[str, Any]:
        """The semaphore item as plain values (``running`` and the holders), empty when never used."""
        return self.get(Table.SEMAPHORE_ID) or {}

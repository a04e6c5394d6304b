"""The job table: one record per object version, through the low-level DynamoDB client.

Every write is conditional so that it is safe to repeat (Lambda retries, a write DynamoDB applied but answered
with an error, redrives, duplicate events): a job is claimed only when it is new, FAILED, or already this
execution's; a verdict is written only by the execution that owns the job; a failure only over a job that
is still in flight.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from tasks.errors import TransientError
from vidpipe.contract.items import from_item, to_attribute_values
from vidpipe.contract.names import JobStatus, Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover
else:  # the stubs are optional
    DynamoDBClient = Any

_IN_FLIGHT = (JobStatus.RECEIVED, JobStatus.RUNNING)
# Attribute-name placeholders that conditions may use (DynamoDB rejects unused ones).
_CONDITION_NAMES = {
    "#status_": "status",
    "#exec_": "execution_arn",
    "#id_": Table.PARTITION_KEY,
    "#updated_": "updated_at",
    "#claimed_in_": "claim_redrive_count",
}
_CLAIM_ROUNDS = 5
_CLEARED_ON_CLAIM = ("error", "cause", "reason", "finished_at", "started_at", "task_arn")
_JOB_FIELDS = ("bucket", "key", "object_uri", "version", "etag", "size")


class Claim(StrEnum):
    CLAIMED = "claimed"  # this execution owns the job now (new, replayed, redriven, or a retried claim)
    DUPLICATE = "duplicate"  # another execution owns it, or it already has a final verdict


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class JobTable:
    """Reads and conditional writes of job records."""

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

    def _update(
        self,
        job_id: str,
        values: dict[str, Any],
        condition: str,
        extra: dict[str, Any],
        remove: tuple[str, ...] = (),
        append: dict[str, list[Any]] | None = None,
    ) -> bool:
        """SET every key of ``values`` (and list-append ``append``) under ``condition``; False when it fails."""
        names = {f"#{i}": name for i, name in enumerate(values)}
        sets = [f"#{i} = :{i}" for i in range(len(values))]
        attribute_values = {f":{i}": v for i, v in enumerate(to_attribute_values(values).values())}
        for j, (name, items) in enumerate((append or {}).items()):
            names[f"#a{j}"] = name
            sets.append(f"#a{j} = list_append(if_not_exists(#a{j}, :empty), :a{j})")
            attribute_values[f":a{j}"] = to_attribute_values({"v": items})["v"]
            attribute_values[":empty"] = {"L": []}
        expression = "SET " + ", ".join(sets)
        if remove:
            names.update({f"#r{i}": name for i, name in enumerate(remove)})
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        attribute_values.update(to_attribute_values(extra))
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={Table.PARTITION_KEY: {"S": job_id}},
                UpdateExpression=expression,
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

    def claim(self, job: dict[str, Any], execution_arn: str, redrive_count: int, now: str) -> Claim:
        """Make ``execution_arn`` the owner of ``job`` (status RECEIVED) unless another execution owns it.

        Claimable: a new job; a FAILED one (a replay or a redrive); one this execution claimed in this run
        already (the claim was applied but its answer lost, or the Lambda was retried); one this execution
        left in flight in an earlier run that has since been redriven (``redrive_count`` is higher). Each
        write is conditional on the record read just before, so concurrent claimers cannot both win.

        Raises:
            TransientError: the record kept changing under the claim.
        """
        job_id = job["job_id"]
        for _ in range(_CLAIM_ROUNDS):
            current = self.get(job_id)
            mine = current is not None and current.get("execution_arn") == execution_arn
            if mine and current is not None and current["status"] in _IN_FLIGHT:
                if current.get("claim_redrive_count", 0) >= redrive_count:
                    return Claim.CLAIMED  # already claimed by this very run
            elif current is not None and current["status"] != JobStatus.FAILED:
                return Claim.DUPLICATE
            values = {
                **{k: job[k] for k in _JOB_FIELDS if k in job},
                "status": JobStatus.RECEIVED.value,
                "execution_arn": execution_arn,
                "attempts": int((current or {}).get("attempts", 0)) + 1,
                "claim_redrive_count": redrive_count,
                "created_at": (current or {}).get("created_at", now),
                "updated_at": now,
            }
            if current is None:
                condition, guard = "attribute_not_exists(#id_)", {}
            else:  # exactly the record read above: nobody claimed it in between
                condition = "#status_ = :seen_status AND #updated_ = :seen_updated"
                guard = {":seen_status": current["status"], ":seen_updated": current["updated_at"]}
            append = None if mine else {"execution_arns": [execution_arn]}
            if self._update(job_id, values, condition, guard, remove=_CLEARED_ON_CLAIM, append=append):
                return Claim.CLAIMED
        raise TransientError(f"job {job_id}: its record kept changing while it was being claimed")

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

    def record_failure(
        self, job_id: str, execution_arn: str, values: dict[str, Any], claimed_in: int | None = None
    ) -> bool:
        """Mark an in-flight job of ``execution_arn`` FAILED; False if it is not in flight or not its own.

        ``claimed_in``: only if the job was claimed when the execution had that RedriveCount (so a cleanup
        that looked at an earlier run never fails a job a redriven run has claimed since).
        """
        condition = "#exec_ = :owner AND #status_ IN (:received, :running)"
        extra: dict[str, Any] = {
            ":owner": execution_arn,
            ":received": _IN_FLIGHT[0],
            ":running": _IN_FLIGHT[1],
        }
        if claimed_in is not None:
            condition += " AND (#claimed_in_ = :claimed_in OR attribute_not_exists(#claimed_in_))"
            extra[":claimed_in"] = claimed_in
        return self._update(job_id, {**values, "status": JobStatus.FAILED}, condition, extra)

    def in_flight(self, limit: int) -> list[dict[str, Any]]:
        """Jobs RUNNING, then RECEIVED, oldest update first (the by-status index), at most ``limit`` of each."""
        found: list[dict[str, Any]] = []
        for status in (JobStatus.RUNNING, JobStatus.RECEIVED):
            response = self.client.query(
                TableName=self.table_name,
                IndexName=Table.STATUS_INDEX,
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": status}},
                Limit=limit,
            )
            found.extend(from_item(item) for item in response.get("Items", []))
        return found

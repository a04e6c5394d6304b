"""Reads of the job table shared by the commands (records as plain JSON values).

Listings use the ``by-status`` index (newest ``updated_at`` first) rather than a scan, so that a large
table costs one query per status; the semaphore item has no status and never appears in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from vidpipe.cli.durations import iso, parse_time
from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.contract.identity import JOB_ID_LENGTH
from vidpipe.contract.items import from_item
from vidpipe.contract.names import JobStatus, Table

JOB_ID_PATTERN = re.compile(rf"^[0-9a-f]{{{JOB_ID_LENGTH}}}$")
MIN_PREFIX = 4  # shorter hex strings are not taken for job-id prefixes (as git's short ids)
JOB_ID_PREFIX_PATTERN = re.compile(rf"^[0-9a-f]{{{MIN_PREFIX},{JOB_ID_LENGTH - 1}}}$")
TIME_FIELDS = ("created_at", "updated_at", "started_at", "finished_at")
_BATCH_GET_KEYS = 100  # BatchGetItem's limit per call

Record = dict[str, Any]


def with_times(record: Record) -> Record:
    """The record with its timestamps as datetimes, so that output shows them in the one time format.

    The records are written by the Lambda handlers and the state machine (``...Z`` or ``...+00:00``);
    a value that is not a timestamp is kept as it is.
    """
    parsed = {name: parse_time(record.get(name)) for name in TIME_FIELDS if record.get(name)}
    return {**record, **{name: value for name, value in parsed.items() if value is not None}}


def parse_status(text: str | None) -> JobStatus | None:
    """``--status`` (any case) as a :class:`JobStatus`.

    Raises:
        BadArgument: naming the valid statuses.
    """
    if text is None:
        return None
    try:
        return JobStatus(text.upper())
    except ValueError:
        valid = ", ".join(s.value for s in JobStatus)
        raise BadArgument(f"unknown job status {text!r}: use one of {valid}") from None


class JobStore:
    """The job table through the low-level client (the same client works on AWS and moto)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name

    def get(self, job_id: str) -> Record | None:
        """The job record, or None (the semaphore item is never a job)."""
        if job_id == Table.SEMAPHORE_ID:
            return None
        item = self.client.get_item(
            TableName=self.table_name, Key={Table.PARTITION_KEY: {"S": job_id}}, ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def get_many(self, job_ids: list[str]) -> list[Record]:
        """The records of ``job_ids`` that exist, in that order: BatchGetItem, strongly consistent like
        :meth:`get`; keys DynamoDB leaves unprocessed (throttling) are read one by one."""
        wanted = [j for j in dict.fromkeys(job_ids) if j != Table.SEMAPHORE_ID]
        found: dict[str, Record] = {}
        left: list[str] = []
        for start in range(0, len(wanted), _BATCH_GET_KEYS):
            keys = [{Table.PARTITION_KEY: {"S": j}} for j in wanted[start : start + _BATCH_GET_KEYS]]
            response = self.client.batch_get_item(
                RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}}
            )
            for item in response.get("Responses", {}).get(self.table_name, []):
                record = from_item(item)
                found[str(record[Table.PARTITION_KEY])] = record
            unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
            left += [str(key[Table.PARTITION_KEY]["S"]) for key in unprocessed]
        for job_id in left:
            alone = self.get(job_id)
            if alone is not None:
                found[job_id] = alone
        return [found[j] for j in wanted if j in found]

    def require(self, job_id: str) -> Record:
        """The job record.

        Raises:
            NotFound: when there is no such job.
        """
        record = self.get(job_id)
        if record is None:
            raise NotFound(f"no job {job_id} in table {self.table_name}: list jobs with `vidpipe jobs`")
        return record

    def _query(self, **kwargs: Any) -> Iterator[Record]:
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(TableName=self.table_name, **kwargs):
            for item in page.get("Items", []):
                record = from_item(item)
                if record.get(Table.PARTITION_KEY) != Table.SEMAPHORE_ID:
                    yield record

    def by_status(
        self, status: JobStatus, since: datetime | None = None, limit: int | None = None
    ) -> list[Record]:
        """Jobs in ``status`` updated since ``since``, newest first."""
        condition = "#s = :s"
        values: dict[str, Any] = {":s": {"S": status.value}}
        names = {"#s": "status"}
        if since is not None:
            condition += " AND #u >= :since"
            values[":since"] = {"S": iso(since)}
            names["#u"] = Table.STATUS_INDEX_SORT
        records: list[Record] = []
        for record in self._query(
            IndexName=Table.STATUS_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
        ):
            records.append(record)
            if limit is not None and len(records) >= limit:
                break
        return records

    def recent(
        self, status: JobStatus | None = None, since: datetime | None = None, limit: int | None = None
    ) -> list[Record]:
        """Jobs (all statuses unless ``status``), newest ``updated_at`` first, at most ``limit``."""
        statuses = [status] if status else list(JobStatus)
        records = [r for s in statuses for r in self.by_status(s, since, limit)]
        records.sort(key=lambda r: str(r.get(Table.STATUS_INDEX_SORT, "")), reverse=True)
        return records[:limit] if limit is not None else records

    def by_object(self, uri: str) -> list[Record]:
        """Every job of an ``s3://bucket/key`` (one per version), newest ``created_at`` first."""
        return list(
            self._query(
                IndexName=Table.OBJECT_INDEX,
                KeyConditionExpression="#o = :o",
                ExpressionAttributeNames={"#o": Table.OBJECT_INDEX_PARTITION},
                ExpressionAttributeValues={":o": {"S": uri}},
                ScanIndexForward=False,
            )
        )

    def by_prefix(self, prefix: str, limit: int = 10) -> list[Record]:
        """Up to ``limit`` jobs whose id starts with ``prefix``, newest ``created_at`` first.

        A scan (ids are hashes, a key condition cannot take a prefix of the partition key): operator scale.
        """
        records: list[Record] = []
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table_name,
            FilterExpression="begins_with(#j, :p)",
            ExpressionAttributeNames={"#j": Table.PARTITION_KEY},
            ExpressionAttributeValues={":p": {"S": prefix}},
        ):
            records.extend(from_item(item) for item in page.get("Items", []))
            if len(records) > limit:
                break
        records = [r for r in records if r.get(Table.PARTITION_KEY) != Table.SEMAPHORE_ID]
        records.sort(key=lambda r: str(r.get("created_at", "")), reverse=True)
        return records[:limit]

    def for_execution(self, execution_arn: str) -> list[Record]:
        """Jobs an execution claimed (now or before a replay).

        A scan: executions are not indexed, and the pipe names executions at random, so the execution
        cannot be derived from the job. Operators ask this rarely, on tables of operator scale.
        """
        records: list[Record] = []
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table_name,
            FilterExpression="#e = :e OR contains(#es, :e)",
            ExpressionAttributeNames={"#e": "execution_arn", "#es": "execution_arns"},
            ExpressionAttributeValues={":e": {"S": execution_arn}},
        ):
            records.extend(from_item(item) for item in page.get("Items", []))
        records.sort(key=lambda r: str(r.get("created_at", "")), reverse=True)
        return records

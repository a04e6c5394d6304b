"""Reads of the job table shared by the commands (records as plain JSON values).

Listings use the ``by-status`` index (newest ``updated_at`` first) rather than a scan, so that a large
table costs one query per status; the semaphore item has no status and never appears in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from vidpipe.cli.durations import iso
from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.contract.identity import JOB_ID_LENGTH
from vidpipe.contract.items import from_item
from vidpipe.contract.names import JobStatus, Table

JOB_ID_PATTERN = re.compile(rf"^[0-9a-f]{{{JOB_ID_LENGTH}}}$")

Record = dict[str, Any]


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

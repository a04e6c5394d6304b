"""Upload a video and wait for its job: what the demo, the end-to-end tests and the benchmark share.

An upload's job is found through the job table's object index (``object_uri``), as the record of the
uploaded version (or, when the record has no version, of the uploaded ETag), rather than by predicting the
job id: that would restate Prepare's identity rule here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from vidpipe.contract.identity import object_uri
from vidpipe.contract.names import TERMINAL_STATUSES, Table

_DESERIALIZER = TypeDeserializer()


class JobWaitTimeout(TimeoutError):
    """The job did not reach the wanted status by the deadline; ``last`` is the last record seen (or None)."""

    def __init__(self, job_id: str, timeout: float, last: dict[str, Any] | None) -> None:
        status = last.get("status") if last else "no record"
        super().__init__(f"job {job_id} still {status} after {timeout:.0f}s")
        self.job_id = job_id
        self.last = last


@dataclass(frozen=True)
class Upload:
    """One uploaded object version and the job it becomes."""

    bucket: str
    key: str
    version: str
    etag: str
    uploaded_at: float  # time.time() just before the PUT

    @property
    def object_uri(self) -> str:
        return object_uri(self.bucket, self.key)

    def owns(self, record: dict[str, Any]) -> bool:
        """True when ``record`` is the job of this object version."""
        version = record.get("version") or ""
        return version == self.version if version else record.get("etag") == self.etag


def upload(s3: Any, bucket: str, key: str, body: bytes | Path) -> Upload:
    """PUT ``body`` (bytes or a file) as ``key``."""
    data = body.read_bytes() if isinstance(body, Path) else body
    started = time.time()
    response = s3.put_object(Bucket=bucket, Key=key, Body=data)
    version = response.get("VersionId") or ""
    if version == "null":  # an unversioned bucket
        version = ""
    etag = str(response.get("ETag", "")).strip('"')
    return Upload(bucket, key, version, etag, started)


def get_job(dynamodb: Any, table: str, job_id: str) -> dict[str, Any] | None:
    """The job record as plain JSON-like values (numbers as Decimal), or None."""
    item = dynamodb.get_item(TableName=table, Key={Table.PARTITION_KEY: {"S": job_id}}, ConsistentRead=True)
    raw = item.get("Item")
    return {k: _DESERIALIZER.deserialize(v) for k, v in raw.items()} if raw else None


def find_job_id(dynamodb: Any, table: str, upload: Upload) -> str | None:
    """The id of the upload's job, through the object index; None while no execution has claimed it."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName=Table.OBJECT_INDEX,
        KeyConditionExpression="#uri = :uri",
        ExpressionAttributeNames={"#uri": Table.OBJECT_INDEX_PARTITION},
        ExpressionAttributeValues={":uri": {"S": upload.object_uri}},
    )
    for page in pages:
        for item in page["Items"]:
            record = {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}
            if upload.owns(record):
                return str(record[Table.PARTITION_KEY])
    return None


def wait_for_job(
    dynamodb: Any,
    table: str,
    upload: Upload,
    timeout: float,
    statuses: Collection[str] = TERMINAL_STATUSES,
    poll_interval: float = 0.1,
    on_change: Callable[[dict[str, Any] | None], None] | None = None,
) -> dict[str, Any]:
    """Poll the upload's job record until its status is one of ``statuses``; ``on_change`` sees each change.

    Raises:
        JobWaitTimeout: at the deadline.
    """
    deadline = time.monotonic() + timeout
    last_status: object = object()
    record: dict[str, Any] | None = None
    job_id: str | None = None
    while True:
        job_id = job_id or find_job_id(dynamodb, table, upload)
        record = get_job(dynamodb, table, job_id) if job_id else None
        status = record.get("status") if record else None
        if on_change is not None and status != last_status:
            on_change(record)
        last_status = status
        if status in statuses:
            assert record is not None
            return record
        if time.monotonic() >= deadline:
            raise JobWaitTimeout(job_id or upload.object_uri, timeout, record)
        time.sleep(poll_interval)

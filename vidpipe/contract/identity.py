"""Object identity and job ids.

A job is one analysis of one object *version*: the same upload delivered twice by S3 or SQS must map to the
same job id, so that the conditional write in the state machine's Claim state stops the duplicate.
"""

from __future__ import annotations

import hashlib

JOB_ID_LENGTH = 24


def object_uri(bucket: str, key: str) -> str:
    """The ``s3://bucket/key`` form used in job records and by the CLI (the key is not URL-encoded)."""
    return f"s3://{bucket}/{key}"


def job_id_for(bucket: str, key: str, version: str | None, etag: str | None) -> str:
    """Deterministic job id of an object version.

    The version id identifies the object version in a versioned bucket; without one the ETag (content hash
    for single-part uploads) stands in. The id is a hex digest so that it is safe in S3 keys, environment
    variables, execution names and DynamoDB attribute names.
    """
    revision = f"v:{version}" if version else "e:" + (etag or "").strip('"')
    digest = hashlib.sha256("\x00".join((bucket, key, revision)).encode("utf-8")).hexdigest()
    return digest[:JOB_ID_LENGTH]


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into (bucket, key).

    Raises:
        ValueError: when ``uri`` is not an S3 URI with a bucket and a key.
    """
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        raise ValueError(f"an s3:// URI needs a bucket and a key: {uri!r}")
    return bucket, key

"""S3 input and output: existence and size checks before any byte is downloaded, then upload.

boto3 honours AWS_ENDPOINT_URL natively, so the same code talks to moto locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from worker.errors import Rejected, RejectionCode

_NOT_FOUND = {"404", "NoSuchKey", "NoSuchVersion", "NotFound", "NoSuchBucket"}


def check_size(size: int, max_bytes: int | None) -> None:
    """Raises Rejected ``empty`` or ``too_large``."""
    if size == 0:
        raise Rejected(RejectionCode.EMPTY, "the file is empty (0 bytes)")
    if max_bytes is not None and size > max_bytes:
        raise Rejected(RejectionCode.TOO_LARGE, f"the file has {size} bytes, over the {max_bytes}-byte limit")


def head(s3: Any, bucket: str, key: str, version: str) -> int:
    """Size of the object version.

    Raises:
        Rejected: ``missing`` when the object (version) does not exist any more.
    """
    from botocore.exceptions import ClientError

    extra = {"VersionId": version} if version else {}
    try:
        return int(s3.head_object(Bucket=bucket, Key=key, **extra)["ContentLength"])
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _NOT_FOUND:
            raise Rejected(RejectionCode.MISSING, f"s3://{bucket}/{key} does not exist (any more)") from exc
        raise


def download(s3: Any, bucket: str, key: str, version: str, dest: Path) -> None:
    """Multipart, multi-threaded download to local disk (Fargate ephemeral storage)."""
    extra = {"VersionId": version} if version else None
    s3.download_file(bucket, key, str(dest), ExtraArgs=extra)


def upload(s3: Any, bucket: str, results_key: str, doc: dict[str, Any], artifacts: dict[str, bytes]) -> None:
    """Artifacts first, the results document last: its presence means everything is there."""
    prefix = results_key.rsplit("/", 1)[0] + "/" if "/" in results_key else ""
    for name, data in sorted(artifacts.items()):
        s3.put_object(Bucket=bucket, Key=prefix + name, Body=data, ContentType="image/jpeg")
    body = json.dumps(doc, separators=(",", ":")).encode()
    s3.put_object(Bucket=bucket, Key=results_key, Body=body, ContentType="application/json")

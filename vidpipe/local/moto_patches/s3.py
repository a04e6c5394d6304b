"""Patches of moto 5.2.5's S3 event notifications (defects 12 and 21). Applied by
:func:`vidpipe.local.moto_patches.apply`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

# ---------------------------------------------------------------------------------------------------------
# (12) S3 notifications carry the version id and a sequencer
# ---------------------------------------------------------------------------------------------------------


def _patch_s3_event_version() -> None:
    """moto's S3 event records lack ``versionId`` and ``sequencer``.

    On AWS an object-created record of a versioned bucket carries the new version's ``versionId`` and every
    record a per-key ``sequencer``. Without the version id a pipeline keyed on the object version can only
    fall back to the ETag, so re-uploading identical content looks like a duplicate delivery. The patch adds
    both fields, from the key moto stored (a monotonic sequencer from a process-wide counter).
    """
    from moto.s3 import notifications

    original = notifications._get_s3_event
    counter = iter(range(1, 1 << 62))
    lock = threading.Lock()

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj["versionId"] = version
        with lock:
            obj["sequencer"] = f"{next(counter):016X}"
        return event

    notifications._get_s3_event = get_s3_event


# ---------------------------------------------------------------------------------------------------------
# (21) one event per multipart upload
# ---------------------------------------------------------------------------------------------------------

_COMPLETING = threading.local()  # set while this thread completes a multipart upload


def _patch_one_event_per_multipart_upload() -> None:
    """CompleteMultipartUpload sends two events: ``ObjectCreated:Put`` (from the ``put_object`` that stores
    the assembled object) and ``ObjectCreated:CompleteMultipartUpload``; one upload starts two executions.

    AWS sends one event per created object: ``s3:ObjectCreated:CompleteMultipartUpload`` for a multipart
    upload (S3 event notification types). Patch: the ``put_object`` made while a multipart upload completes
    sends no notification; the CompleteMultipartUpload event that follows is kept.
    """
    from moto.s3.models import S3Backend

    original_complete = S3Backend.complete_multipart_upload
    original_put = S3Backend.put_object

    def complete_multipart_upload(self: Any, *args: Any, **kwargs: Any) -> Any:
        _COMPLETING.active = True
        try:
            return original_complete(self, *args, **kwargs)
        finally:
            _COMPLETING.active = False

    def put_object(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_COMPLETING, "active", False):
            kwargs["disable_notification"] = True
        return original_put(self, *args, **kwargs)

    S3Backend.complete_multipart_upload = complete_multipart_upload
    S3Backend.put_object = put_object


PATCHES: tuple[Callable[[], None], ...] = (_patch_s3_event_version, _patch_one_event_per_multipart_upload)

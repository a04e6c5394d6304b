"""Patches of moto 5.2.5's S3 event notifications. Applied by :func:`vidpipe.local.moto_patches.apply`."""

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


PATCHES: tuple[Callable[[], None], ...] = (_patch_s3_event_version,)

"""Plain log lines on stderr (awslogs ships them to CloudWatch), each carrying the job id."""

from __future__ import annotations

import logging
import sys
import time

_FORMAT = "%(asctime)s %(levelname)s job=%(job_id)s %(name)s: %(message)s"


class _UtcFormatter(logging.Formatter):
    """``%(asctime)s`` as ISO 8601 UTC with milliseconds and a Z (``2026-12-01T08:52:27.693Z``): the time
    format of the job table, Step Functions and the CLI."""

    converter = staticmethod(time.gmtime)  # type: ignore[assignment]
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class _JobId(logging.Filter):
    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = self.job_id
        return True


def configure(job_id: str) -> None:
    """Route every logger through one stderr handler that stamps ``job=<id>`` on each line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_UtcFormatter(_FORMAT))
    handler.addFilter(_JobId(job_id))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)

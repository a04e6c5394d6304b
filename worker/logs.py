"""Plain log lines on stderr (awslogs ships them to CloudWatch), each carrying the job id."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(levelname)s job=%(job_id)s %(name)s: %(message)s"


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
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_JobId(job_id))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)

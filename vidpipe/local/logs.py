"""Worker task logs, kept like the awslogs driver keeps them: CloudWatch Logs group/stream of the task.

The stream is ``<awslogs-stream-prefix>/<container name>/<task id>`` (the awslogs driver's naming), in the
group of the container's ``awslogs-group`` option, so ``vidpipe logs`` reads a local task's log exactly as it
reads a deployed one. A copy goes to ``.vidpipe/logs/<task id>.log`` for plain ``tail -f``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_EVENTS_PER_PUT = 1000  # below PutLogEvents' 10,000 events / 1 MiB per call


@dataclass(frozen=True)
class LogDestination:
    """Where a container's log goes, from its task definition's ``logConfiguration``."""

    group: str
    stream_prefix: str

    @classmethod
    def from_container(cls, container: Mapping[str, Any]) -> LogDestination | None:
        """The awslogs destination of a container definition (ECS API casing), or None without one."""
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
            return None
        return cls(options["awslogs-group"], options.get("awslogs-stream-prefix", ""))

    def stream(self, container_name: str, task_id: str) -> str:
        return "/".join(p for p in (self.stream_prefix, container_name, task_id) if p)


class TaskLogWriter:
    """Ships a finished task's output to CloudWatch Logs (moto) and keeps the file copy."""

    def __init__(self, logs_client: Any, directory: Path | None) -> None:
        self._logs = logs_client
        self._directory = directory

    def file_for(self, task_id: str) -> Path | None:
        """The file the task's output is written to while it runs (None: no file copy)."""
        if self._directory is None:
            return None
        self._directory.mkdir(parents=True, exist_ok=True)
        return self._directory / f"{task_id}.log"

    def ship(self, destination: LogDestination | None, stream: str, lines: Iterable[str]) -> None:
        """Write ``lines`` as one stream's events (best effort: a log failure must not fail the task)."""
        if destination is None:
            return
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": line.rstrip("\n") or " "} for line in lines]
        try:
            self._logs.create_log_stream(logGroupName=destination.group, logStreamName=stream)
            for start in range(0, len(events), MAX_EVENTS_PER_PUT):
                self._logs.put_log_events(
                    logGroupName=destination.group,
                    logStreamName=stream,
                    logEvents=events[start : start + MAX_EVENTS_PER_PUT],
                )
        except Exception as exc:  # logging is best effort: it must not fail the task
            log.warning("could not write the log of %s to %s: %s", stream, destination.group, exc)

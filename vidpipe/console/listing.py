"""The rows of the Executions and Jobs pages: the CLI's listings joined, searched and cut into pages.

An execution is joined to its jobs through the job records (``execution_arn`` and ``execution_arns``), read
as ``vidpipe jobs`` reads them (one query of the status index per status) once, then kept up to date with
the records updated since the last read (the same queries with ``--since``), so that a page costs a few
calls however many jobs there are. An execution that claimed no job (a batch Prepare rejected) shows the key
its input names, read only for the rows shown. Without a search, only the executions up to the page shown
are listed; a search matches execution names, keys and job ids over every execution.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vidpipe.cli.dlq import summarize
from vidpipe.cli.executions import describe, list_executions, parse_execution_status
from vidpipe.cli.jobs_store import Record, parse_status
from vidpipe.cli.lookup import job_store
from vidpipe.cli.target import Target

PER_PAGE = 50
#: Records updated this long before the last read are read again: clocks and index propagation differ.
REREAD_MARGIN = timedelta(minutes=2)


@dataclass
class Page:
    """One page of rows and where it is in the listing (``total`` None: not counted, ``more`` says if
    older rows follow)."""

    rows: list[Any]
    number: int
    pages: int | None
    total: int | None
    more: bool = False

    @property
    def first(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * PER_PAGE + len(self.rows)


def cut(rows: list[Any], number: int) -> Page:
    pages = max((len(rows) + PER_PAGE - 1) // PER_PAGE, 1)
    number = min(max(number, 1), pages)
    page = Page(rows[(number - 1) * PER_PAGE : number * PER_PAGE], number, pages, len(rows))
    page.more = number < pages
    return page


@dataclass
class ExecutionRow:
    name: str
    arn: str
    status: str
    started: datetime | None
    stopped: datetime | None
    duration: str
    redrives: int
    jobs: list[Record] = field(default_factory=list)
    input_key: str | None = None  # for an execution without jobs: the key its input names

    @property
    def keys(self) -> list[str]:
        keys = [str(j.get("key", "")) for j in self.jobs if j.get("key")]
        return keys or ([self.input_key] if self.input_key else [])


def _matches(query: str, *texts: Any) -> bool:
    return any(query in str(text).lower() for text in texts if text)


class JobIndex:
    """Execution ARN -> jobs, for one target, read in full once and then by what changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, Record] = {}
        self._read_at: datetime | None = None
        self._index: dict[str, list[Record]] | None = (
            None  # built from _records when asked, kept until they change
        )

    def get(self, tgt: Target) -> dict[str, list[Record]]:
        with self._lock:
            now = datetime.now(UTC)
            since = self._read_at - REREAD_MARGIN if self._read_at else None
            for record in job_store(tgt).recent(None, since):
                job_id = str(record["job_id"])
                if self._records.get(job_id) != record:
                    self._records[job_id] = record
                    self._index = None
            self._read_at = now
            return self._by_execution()

    def settled_claims(self, arn: str, stopped: datetime | None) -> list[str] | None:
        """The ids of the jobs the execution ``arn`` claimed, without reading the table, when the index has
        seen every claim it made; else None.

        An execution claims its jobs while it runs (Prepare and Claim write its ARN into the records), so
        once the index has been read ``REREAD_MARGIN`` after the execution ended (``stopped``), a later
        read cannot add a claim: the margin covers clocks and index propagation, as for every read.
        """
        with self._lock:
            if stopped is None or self._read_at is None or self._read_at - stopped < REREAD_MARGIN:
                return None
            return [str(record["job_id"]) for record in self._by_execution().get(arn, [])]

    def _by_execution(self) -> dict[str, list[Record]]:
        if self._index is None:
            self._index = jobs_by_execution(list(self._records.values()))
        return self._index


def jobs_by_execution(records: list[Record]) -> dict[str, list[Record]]:
    """Execution ARN -> the jobs it claimed (first attempt, replays and redrives alike)."""
    index: dict[str, list[Record]] = {}
    for record in records:
        arns = list(record.get("execution_arns") or [])
        if record.get("execution_arn") and record["execution_arn"] not in arns:
            arns.append(record["execution_arn"])
        for arn in arns:
            index.setdefault(str(arn), []).append(record)
    return index


def execution_page(tgt: Target, status: str | None, query: str, number: int, jobs: JobIndex) -> Page:
    """The Executions page: newest first, filtered by status and search, one page of it.

    Raises:
        BadArgument: for an unknown status.
    """
    wanted = parse_execution_status(status or None)
    sfn = tgt.client("stepfunctions")
    query = query.strip().lower()
    number = max(number, 1)
    limit = None if query else number * PER_PAGE + 1  # one more than shown: are there older ones?
    executions = list_executions(sfn, tgt.resources.state_machine_arn, wanted, None, limit)
    index = jobs.get(tgt)
    rows = [
        ExecutionRow(
            name=e["name"],
            arn=e["execution_arn"],
            status=e["status"],
            started=e["start_date"],
            stopped=e["stop_date"],
            duration=e["duration"],
            redrives=int(e.get("redrives") or 0),
            jobs=index.get(e["execution_arn"], []),
        )
        for e in executions
    ]
    if query:
        rows = [
            r
            for r in rows
            if _matches(query, r.name, *(j.get("key") for j in r.jobs), *(j.get("job_id") for j in r.jobs))
        ]
        page = cut(rows, number)
    else:
        shown = rows[(number - 1) * PER_PAGE : number * PER_PAGE]
        page = Page(shown, number, None, None, more=len(rows) > number * PER_PAGE)
    for row in page.rows:
        if not row.jobs:
            row.input_key = input_key(describe(sfn, row.arn).get("input"))
    return page


def input_key(text: str | None) -> str | None:
    """The object an execution's input names: the pipe's batch of SQS records with S3 notifications."""
    try:
        records = json.loads(text or "")
    except ValueError:
        return None
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return None
    key = summarize(str(records[0].get("body", ""))).get("key")
    more = f" (+{len(records) - 1} records)" if len(records) > 1 else ""
    return f"{key}{more}" if key else None


def job_page(tgt: Target, status: str | None, query: str, number: int) -> Page:
    """The Jobs page: most recently updated first, filtered by status and search (key or job id).

    Raises:
        BadArgument: for an unknown status.
    """
    records = job_store(tgt).recent(parse_status(status or None))
    query = query.strip().lower()
    if query:
        records = [r for r in records if _matches(query, r.get("job_id"), r.get("key"), r.get("object_uri"))]
    return cut(records, number)

"""The AWS reads of the Execution page: the independent ones at once, and only what may have changed.

A view needs DescribeExecution, the history (every page of GetExecutionHistory), the definition the
execution ran and its jobs. They do not depend on one another, so they run in threads at once (boto3
clients are thread-safe; the local runtime's moto server serves each request in its own thread), except
where :mod:`vidpipe.console.view_cache` may spare the history: for an ended execution viewed before,
DescribeExecution comes first. The jobs come after DescribeExecution: an execution that ended well before
the console's job index was last read has every claim in it (:meth:`JobIndex.settled_claims`), so only its
jobs' records are read again (one BatchGetItem: a replay in another execution changes their status);
otherwise the index reads the job table's changes since its last read (a query per job status).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from vidpipe.cli.durations import parse_time
from vidpipe.cli.executions import describe, history
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.lookup import job_store
from vidpipe.cli.target import Target
from vidpipe.cli.timeline import Timeline, build_timeline
from vidpipe.console import view_cache
from vidpipe.console.listing import JobIndex
from vidpipe.console.timing import Timings

_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="console-reads")
Result = TypeVar("Result")


@dataclass
class Reads:
    """What the AWS reads of one view found; ``kept``: the history came from the cache."""

    execution: dict[str, Any]
    events: list[dict[str, Any]]
    timeline: Timeline
    definition: str
    jobs: list[Record]
    kept: bool


def read_execution(tgt: Target, arn: str, jobs: JobIndex, timings: Timings) -> Reads:
    """Everything the Execution page reads of the execution ``arn``, each read timed in ``timings``.

    Raises:
        NotFound: when there is no such execution.
    """
    sfn = tgt.client("stepfunctions")

    def start(name: str, action: Callable[..., Result], *args: Any) -> Future[Result]:
        def timed() -> Result:
            with timings.section(name):
                return action(*args)

        return _POOL.submit(timed)

    described = start("describe", describe, sfn, arn)
    definition = start("definition", view_cache.definition_of, sfn, arn, tgt.resources.state_machine_arn)
    reading = None if view_cache.seen(arn) else start("history", history, sfn, arn)  # nothing kept: at once
    execution = described.result()
    ended = view_cache.ended_key(execution) is not None  # a redrive claims while it runs, as a first run
    settled = jobs.settled_claims(arn, parse_time(execution.get("stopDate")) if ended else None)
    if settled is not None:
        claiming = start("jobs", job_store(tgt).get_many, settled)
    else:
        claiming = start("jobs", lambda: jobs.get(tgt).get(arn, []))
    found = view_cache.kept(arn, execution)
    if found is not None:
        if reading is not None:
            reading.cancel()
        return Reads(
            execution, found.events, found.timeline, definition.result(), claiming.result(), kept=True
        )
    events = (reading or start("history", history, sfn, arn)).result()
    with timings.section("timeline"):
        timeline = build_timeline(events)
    view_cache.keep(arn, execution, events, timeline)
    return Reads(execution, events, timeline, definition.result(), claiming.result(), kept=False)

"""Conclude: the last state. Ends the execution SUCCEEDED, or FAILED when jobs of the batch failed.

Why here and not in each iteration: an iteration that fails makes the inline Map fail and stop the other
iterations of the batch, and whether a redrive then resumes a failed iteration at its failed state or at its
first state is not documented. So iterations never fail: a failed job ends its iteration as a FAILED outcome
(``record_failure``), and this state fails the execution once the whole batch is done, with
:class:`~tasks.errors.AnalysisFailed` naming the failed jobs. RedriveExecution continues from the failed
state, i.e. this one: run again with the same input, it sees ``$$.Execution.RedriveCount`` above the count
the failures happened at and raises :class:`~tasks.errors.RerunFailedJobs`, which the state's Catch turns
into a transition back to Prepare, which claims the FAILED jobs again (the finished ones are skipped): the
analysis re-runs, and takes a slot again first. A failure after the redrive carries the new count and fails
the execution again instead of looping.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tasks.errors import AnalysisFailed, RerunFailedJobs
from tasks.log import logger as logger_for
from vidpipe.contract.names import JobStatus

logger = logger_for("vidpipe-conclude")

MAX_NAMED = 10  # failed jobs named in the error message


def conclude(event: dict[str, Any]) -> dict[str, Any]:
    """The execution's output (counts of outcomes), or raise.

    Raises:
        AnalysisFailed: jobs failed in this run of the execution.
        RerunFailedJobs: this state runs again after a redrive: re-run the failed jobs.
    """
    outcomes: list[dict[str, Any]] = list(event.get("outcomes") or [])
    skipped: list[dict[str, Any]] = list(event.get("skipped") or [])
    redrive_count = int(event.get("redrive_count") or 0)
    failed = [o for o in outcomes if o.get("outcome") == JobStatus.FAILED]
    if failed and all(int(o.get("redrive_count") or 0) < redrive_count for o in failed):
        logger.info("redriven: re-running failed jobs", extra={"jobs": [o["job_id"] for o in failed]})
        raise RerunFailedJobs(f"redrive {redrive_count}: re-running {len(failed)} failed job(s)")
    if failed:
        named = "; ".join(f"{o['job_id']}: {o.get('error', 'failed')}" for o in failed[:MAX_NAMED])
        more = f" (and {len(failed) - MAX_NAMED} more)" if len(failed) > MAX_NAMED else ""
        raise AnalysisFailed(f"{len(failed)} of {len(outcomes)} job(s) failed: {named}{more}")
    counts = Counter(str(o.get("outcome")) for o in outcomes)
    counts.update(str(s.get("outcome")) for s in skipped)
    return {"outcomes": outcomes, "skipped": skipped, "counts": dict(sorted(counts.items()))}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return conclude(event)

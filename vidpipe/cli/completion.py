"""Shell completion (``vidpipe --install-completion``): statuses, and the recent job ids and executions.

Completion runs the program with the partial command line: the root callback is not invoked, so targets
are built from the root's parsed options. Completing a TARGET costs two small reads (the newest jobs and
executions); any failure completes nothing rather than printing an error into the shell.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vidpipe.contract.names import JobStatus

_RECENT = 20


def _matching(values: list[str], incomplete: str) -> list[str]:
    return [v for v in values if v.lower().startswith(incomplete.lower())]


def complete_job_status(incomplete: str) -> list[str]:
    return _matching([s.value for s in JobStatus], incomplete)


def complete_execution_status(incomplete: str) -> list[str]:
    from vidpipe.cli.executions import EXECUTION_STATUSES

    return _matching(list(EXECUTION_STATUSES), incomplete)


def _target(ctx: typer.Context) -> Any:
    from vidpipe.cli.target import Target, TargetOptions, resolve_options

    params = ctx.find_root().params
    given = TargetOptions(
        params.get("stack"), params.get("profile"), params.get("region"), params.get("endpoint_url")
    )
    return Target(resolve_options(given))


def _recent(ctx: typer.Context, jobs: bool, executions: bool) -> list[tuple[str, str]]:
    """(value, help) pairs: recent job ids with their key, recent execution names with their status."""
    from vidpipe.cli.executions import list_executions
    from vidpipe.cli.lookup import job_store

    tgt = _target(ctx)
    found: list[tuple[str, str]] = []
    if jobs:
        found += [(str(j["job_id"]), str(j.get("key", ""))) for j in job_store(tgt).recent(limit=_RECENT)]
    if executions:
        listed = list_executions(
            tgt.client("stepfunctions"), tgt.resources.state_machine_arn, None, None, _RECENT
        )
        found += [(str(e["name"]), str(e["status"])) for e in listed]
    return found


def _complete(ctx: typer.Context, incomplete: str, jobs: bool, executions: bool) -> list[tuple[str, str]]:
    try:
        found = _recent(ctx, jobs, executions)
    except Exception:  # completion must never fail loudly
        return []
    return [(value, help) for value, help in found if value.startswith(incomplete)]


def complete_target(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Recent job ids and execution names."""
    return _complete(ctx, incomplete, jobs=True, executions=True)


def complete_execution(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Recent execution names."""
    return _complete(ctx, incomplete, jobs=False, executions=True)


TARGET_HELP = "Job id (or a unique prefix), s3://bucket/key, key, or execution."
TargetArgument = Annotated[
    str, typer.Argument(metavar="TARGET", help=TARGET_HELP, autocompletion=complete_target)
]
"""The TARGET argument of the commands about one job or execution (see :mod:`vidpipe.cli.lookup`)."""

"""The Dead-letter queue page: the uploads that never started an execution, and their redrive."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidpipe.cli.dlq import redrive, show_messages
from vidpipe.console.app import console

SHOWN = 200


def reason(row: dict[str, Any]) -> str:
    """Why a message is in the DLQ, in words, from what its body is (SQS keeps no reason itself)."""
    receives = row.get("receives") or 0
    if row.get("event") == "not JSON":
        return f"not an S3 notification (not JSON); delivered {receives} times"
    if row.get("key") is None:
        return f"no S3 records ({row.get('event')}); delivered {receives} times"
    return f"the pipe could not start an execution after {receives} deliveries"


def dlq(request: Request) -> Response:
    ctx = console(request)
    rows = [{**row, "reason": reason(row)} for row in show_messages(ctx.target, SHOWN)]
    moved = request.query_params.get("moved")
    return ctx.page(request, "dlq.html", rows=rows, shown=SHOWN, moved=moved, nav="dlq")


async def redrive_all(request: Request) -> Response:
    ctx = console(request)
    await ctx.guard.form(request)
    tgt = ctx.target
    moved = await run_in_threadpool(
        redrive, tgt.client("sqs"), tgt.resources.dlq_url, tgt.resources.queue_url, 1000
    )
    rows = [{**row, "reason": reason(row)} for row in await run_in_threadpool(show_messages, tgt, SHOWN)]
    return ctx.page(request, "dlq.html", rows=rows, shown=SHOWN, moved=str(len(moved)), nav="dlq")


ROUTES = [Route("/dlq", dlq), Route("/dlq/redrive", redrive_all, methods=["POST"], name="dlq_redrive")]

"""The Execution page (graph, state details, history) and its actions: Stop, Replay, Export history."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidpipe.cli import render
from vidpipe.cli.errors import BadArgument
from vidpipe.cli.executions import describe, execution_arn, history
from vidpipe.cli.replay import Mode, replay
from vidpipe.console.app import console, redirect
from vidpipe.console.execution_view import EVENT_FILTERS, execution_view, filter_events
from vidpipe.console.outcomes import LEGEND
from vidpipe.console.pages import wants_part
from vidpipe.console.redact import redact
from vidpipe.console.timing import Timings

STOP_CAUSE = "stopped from the vidpipe console"


def _iteration(request: Request) -> int | None:
    text = request.query_params.get("iteration", "")
    return int(text) if text.isdigit() else None


def execution(request: Request) -> Response:
    """The page, with where its server time went in its ``Server-Timing`` header."""
    ctx = console(request)
    timings = Timings()
    with timings.section("total"):
        name = request.path_params["name"]
        state = request.query_params.get("state") or None
        view = execution_view(ctx.target, name, _iteration(request), state, ctx.jobs, timings)
        events_kind = request.query_params.get("events", "all")
        events_kind = events_kind if events_kind in EVENT_FILTERS else "all"
        contains = request.query_params.get("contains", "")
        with timings.section("events"):
            events = filter_events(view, events_kind, contains)
        template = "_execution_live.html" if wants_part(request) else "execution.html"
        with timings.section("render"):
            response = ctx.page(
                request,
                template,
                view=view,
                events=events,
                events_kind=events_kind,
                event_filters=EVENT_FILTERS,
                legend=LEGEND,
                contains=contains,
                nav="executions",
            )
    response.headers["server-timing"] = timings.header()
    return response


def export_history(request: Request) -> Response:
    """The raw history as a JSON download (secrets masked, as on the page)."""
    ctx = console(request)
    name = request.path_params["name"]
    arn = execution_arn(ctx.target.resources.state_machine_arn, name)
    sfn = ctx.target.client("stepfunctions")
    document = {"execution": describe(sfn, arn), "events": history(sfn, arn)}
    filename = arn.rsplit(":", 1)[-1].encode("ascii", "replace").decode().replace('"', "_")
    return Response(
        render.to_json(redact(document)),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}.history.json"'},
    )


async def stop(request: Request) -> Response:
    ctx = console(request)
    await ctx.guard.form(request)
    name = request.path_params["name"]
    arn = execution_arn(ctx.target.resources.state_machine_arn, name)
    sfn = ctx.target.client("stepfunctions")
    await run_in_threadpool(sfn.stop_execution, executionArn=arn, error="Console.Stopped", cause=STOP_CAUSE)
    return redirect(request.url_for("execution", name=name).path)


def _mode(text: str | None) -> Mode:
    try:
        return Mode(text or Mode.AUTO)
    except ValueError:
        raise BadArgument(f"unknown replay mode {text!r}: use auto, redrive or restart") from None


def replay_plan(request: Request) -> Response:
    """What Replay would do (the CLI's ``replay --dry-run``), and the form that does it."""
    ctx = console(request)
    name = request.path_params["name"]
    mode = _mode(request.query_params.get("mode"))
    arn = execution_arn(ctx.target.resources.state_machine_arn, name)
    rows = replay(ctx.target, [arn], False, None, None, mode, dry_run=True)
    return ctx.page(
        request,
        "replay.html",
        name=name,
        rows=rows,
        mode=mode,
        modes=list(Mode),
        done=False,
        nav="executions",
    )


async def replay_now(request: Request) -> Response:
    ctx = console(request)
    form = await ctx.guard.form(request)
    name = request.path_params["name"]
    mode = _mode(str(form.get("mode") or ""))
    arn = execution_arn(ctx.target.resources.state_machine_arn, name)
    rows = await run_in_threadpool(replay, ctx.target, [arn], False, None, None, mode, False)
    return ctx.page(
        request, "replay.html", name=name, rows=rows, mode=mode, modes=list(Mode), done=True, nav="executions"
    )


ROUTES = [
    Route("/executions/{name}", execution, name="execution"),
    Route("/executions/{name}/history.json", export_history, name="history"),
    Route("/executions/{name}/stop", stop, methods=["POST"], name="stop"),
    Route("/executions/{name}/replay", replay_plan, methods=["GET"], name="replay"),
    Route("/executions/{name}/replay", replay_now, methods=["POST"], name="replay_now"),
]

"""The Executions page: newest first, status filter, search, pages, live updates."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidpipe.cli.executions import EXECUTION_STATUSES
from vidpipe.console.app import console
from vidpipe.console.listing import execution_page
from vidpipe.console.pages import page_number, wants_part


def executions(request: Request) -> Response:
    ctx = console(request)
    status = request.query_params.get("status", "")
    query = request.query_params.get("q", "")
    page = execution_page(ctx.target, status, query, page_number(request), ctx.jobs)
    template = "_executions_table.html" if wants_part(request) else "executions.html"
    return ctx.page(
        request,
        template,
        page=page,
        status=status,
        query=query,
        statuses=EXECUTION_STATUSES,
        nav="executions",
    )


ROUTES = [Route("/executions", executions)]

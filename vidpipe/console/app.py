"""The Starlette application: routes of every page, templates (Jinja2, autoescaped), errors, static assets.

Handlers are plain functions of the request that call the CLI's functions and render a template; blocking
AWS calls run in Starlette's thread pool. The target's clients are made once, at start, before any
request can race to make them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from botocore.exceptions import BotoCoreError, ClientError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from vidpipe.cli.errors import BadArgument, NotFound, UserError, translate
from vidpipe.cli.target import Target
from vidpipe.console import HOST
from vidpipe.console.listing import JobIndex
from vidpipe.console.security import CSRF_FIELD, Guard, SecurityHeaders
from vidpipe.console.templating import environment

SERVICES = ("cloudformation", "stepfunctions", "dynamodb", "s3", "sqs", "logs")
PACKAGE = resources.files("vidpipe.console")


@dataclass
class Console:
    """What every handler needs: the target, the guard, the templates."""

    target: Target
    guard: Guard
    env: jinja2.Environment
    jobs: JobIndex = field(default_factory=JobIndex)

    def page(self, request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        """Render a template with the values every page uses."""
        values.setdefault("nav", "")
        html = self.env.get_template(template).render(
            request=request,
            csrf_field=CSRF_FIELD,
            csrf_token=self.guard.token,
            read_only=self.guard.read_only,
            target_label=self.target_label,
            is_local=self.target.is_local,
            **values,
        )
        return HTMLResponse(html, status_code=status_code)

    @property
    def target_label(self) -> str:
        resources_ = self.target.resources
        if self.target.is_local:
            return f"{resources_.stack} on the local runtime at {self.target.endpoint_url}"
        return f"{resources_.stack} in {self.target.region}"


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def redirect(path: str) -> RedirectResponse:
    """After a POST: see the result with a GET (the browser's back and reload stay harmless)."""
    return RedirectResponse(path, status_code=303)


def _error_page(request: Request, status: int, message: str) -> Response:
    ctx: Console | None = getattr(request.app.state, "console", None)
    if ctx is None:
        return HTMLResponse(message, status_code=status)
    return ctx.page(request, "error.html", status_code=status, status=status, message=message)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error_page(request, exc.status_code, str(exc.detail))


async def _on_error(request: Request, exc: Exception) -> Response:
    target = console(request).target
    error = translate(exc, target.endpoint_url)
    if error is None:
        raise exc  # not an operating condition: Starlette logs the traceback and answers 500
    status = 404 if isinstance(error, NotFound) else 400 if isinstance(error, BadArgument) else 502
    return _error_page(request, status, str(error))


def create_app(target: Target, read_only: bool = False) -> Starlette:
    """The console for ``target``; reaches the target once (its stack outputs and clients).

    Raises:
        vidpipe.cli.errors.UserError: when the target cannot be reached or is not a vidpipe stack.
    """
    from vidpipe.console.pages import dlq, execution, executions, jobs, upload

    for service in SERVICES:
        target.client(service)
    try:
        target.resources  # noqa: B018 - resolve the stack outputs now, not in a request
    except Exception as exc:
        error = translate(exc, target.endpoint_url)
        if error is None:
            raise
        raise error from exc
    static = Path(str(PACKAGE.joinpath("static")))
    routes = [
        Route("/", lambda request: redirect("/executions")),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        *executions.ROUTES,
        *execution.ROUTES,
        *jobs.ROUTES,
        *dlq.ROUTES,
        *upload.ROUTES,
        Mount("/static", app=StaticFiles(directory=static), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"]),
        ],
        exception_handlers={
            HTTPException: _on_http_error,
            UserError: _on_error,
            ClientError: _on_error,
            BotoCoreError: _on_error,  # an unreachable endpoint, missing credentials...
        },
    )
    app.state.console = Console(target, Guard(read_only), environment())
    return app

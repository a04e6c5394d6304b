"""The console's defences: strict response headers, one CSRF token per server, read-only mode, redaction.

- Every response carries a Content-Security-Policy that allows only the console's own script, stylesheet
  and images (no inline script or style, no framing, forms post only to the console).
- The Host header must name the loopback address the console listens on (``TrustedHostMiddleware`` in
  :mod:`vidpipe.console.app`), so a DNS-rebinding page cannot read it.
- Every state-changing request is a POST whose form carries the server's CSRF token (a random secret made
  at start, never stored) and, when the browser sends one, an Origin of the console itself.
- ``--read-only`` refuses every POST before anything else is looked at.
- Secrets in what the pages show are masked by :mod:`vidpipe.console.redact`.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",  # "no-referrer" makes Chromium send Origin: null on forms
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
CSRF_FIELD = "csrf"


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every response (and no-store to the pages).

    A route that sets one of them itself keeps its own: only the exported results page does, with a policy
    that allows nothing but its one inline stylesheet (by hash) and its embedded images.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.decode().lower() for k, _v in headers}  # a route's own policy is stricter still
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items() if k not in present]
                if not static and "cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class Guard:
    """The CSRF token and the read-only switch of one console server."""

    def __init__(self, read_only: bool) -> None:
        self.read_only = read_only
        self.token = secrets.token_urlsafe(32)

    async def form(self, request: Request) -> FormData:
        """The form of a state-changing POST, once it has passed every check.

        Raises:
            HTTPException: 403 in read-only mode, for a missing or wrong token, or a foreign Origin.
        """
        if self.read_only:
            raise HTTPException(
                403, "this console is read-only (started with --read-only): nothing was changed"
            )
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            raise HTTPException(403, f"refused a request from another origin ({origin})")
        form = await request.form()
        given = form.get(CSRF_FIELD)
        if not isinstance(given, str) or not hmac.compare_digest(given, self.token):
            await form.close()
            raise HTTPException(403, "missing or stale form token: reload the page and try again")
        return form

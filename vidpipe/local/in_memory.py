"""Calls from the runtime's own AWS side to its moto server, served in memory instead of over a socket.

Why: the runtime's process is both moto's server and the biggest client of it. The Lambda handlers, the state
machine's service integrations and the runtime's stand-ins for AWS services (the Fargate agent, the status
watcher, the Pipe, the schedules) all run in that process. Over HTTP each of their calls paid for the client's
socket and the server's side of it: a new TCP connection (werkzeug's server closes every one), a server
thread, HTTP parsing twice. Measured here with one DynamoDB GetItem at a time: about 9 ms of CPU per call over
HTTP against about 4 ms in memory, with the same moto code answering. In a burst, that is the difference
between a slot hand-off that waits behind the server's threads and one that does not.

How: a botocore ``before-send`` handler turns the signed request into the WSGI environ that werkzeug's server
would have built (:func:`_environ`, the same path decoding and header rules, moto's underscore-header rule
included) and calls the very WSGI application the server runs (:func:`serve` registers it), in the caller's
thread. Everything after the socket is unchanged: moto's routing, the patches, the fault gates, the answers.
What is left out is only what a socket adds: connection set-up, HTTP-level chunking and keep-alive.

Who: a client passed to :func:`route` (the integrations' shared clients, the runtime's own services), and any
client of this process inside :func:`calls_in_memory` (each in-process Lambda invocation). Clients that stand
in for users and for containers, the tests' ``runtime.client(...)``, the CLI and the worker subprocess, keep
HTTP: that is the endpoint users and containers call.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import MockRawResponse
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from werkzeug.exceptions import InternalServerError
from werkzeug.test import run_wsgi_app

log = logging.getLogger(__name__)

WsgiApp = Callable[..., Any]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
"""Host names of this machine that the runtime's clients use (its endpoint; moto's interpreter: localhost)."""

_APPS: dict[int, WsgiApp] = {}  # port -> the WSGI application the server on that port runs
_LOCK = threading.Lock()
_IN_SCOPE: ContextVar[bool] = ContextVar("vidpipe_in_memory_calls", default=False)


def serve(port: int, app: WsgiApp) -> None:
    """Answer requests to ``127.0.0.1:port`` / ``localhost:port`` from routed clients with ``app``."""
    with _LOCK:
        _APPS[port] = app


def stop_serving(port: int) -> None:
    """Routed clients reach ``port`` over HTTP again (no error if not served)."""
    with _LOCK:
        _APPS.pop(port, None)


def served_app(port: int) -> WsgiApp | None:
    """The application that answers routed calls to ``port`` (None: they go over HTTP)."""
    with _LOCK:
        return _APPS.get(port)


def _app_for(url: str) -> WsgiApp | None:
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS or parts.port is None:
        return None
    return served_app(parts.port)


def _wsgi_string(text: str) -> str:
    """PEP 3333's str-of-bytes form of ``text`` (werkzeug's ``_wsgi_encoding_dance``)."""
    return text.encode().decode("latin1")


def _header_text(value: str | bytes) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else value  # as http.client sends and parses


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return bytes(body.read())  # a stream: botocore rewinds it before a retry (``reset_stream``)


def _environ(request: AWSPreparedRequest, body: bytes) -> dict[str, Any]:
    """The WSGI environ werkzeug's server (with moto's ``MotoRequestHandler``) builds for ``request``.

    The body arrives whole, so ``Content-Length`` is its length and HTTP-level chunking is gone, as after
    the server's de-chunking (``aws-chunked`` content encoding stays in the body, for moto to decode).
    """
    url = urlsplit(request.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _wsgi_string(unquote(url.path)),
        "QUERY_STRING": _wsgi_string(url.query),
        "REQUEST_URI": _wsgi_string(target),
        "RAW_URI": _wsgi_string(target),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": url.hostname or "127.0.0.1",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": url.netloc,
        "CONTENT_LENGTH": str(len(body)),
    }
    preserved: dict[str, str] = {}
    for name, raw in request.headers.items():
        value = _header_text(raw).replace("\r\n", "")
        key = environ_key_for_header(name)
        if key in ("CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING", "HTTP_HOST"):
            continue  # set above from the whole body and the URL
        if "_" in name:  # werkzeug drops these; moto keeps S3 metadata names as they were spelt
            if should_preserve_original_header_name(name):
                preserved.setdefault(key, name)
                environ[key] = value
            continue
        environ[key] = f"{environ[key]},{value}" if key in environ and key != "CONTENT_TYPE" else value
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return environ


def answer(app: WsgiApp, request: AWSPreparedRequest) -> AWSResponse:
    """Run ``request`` through ``app`` in this thread; the response botocore would have read off the socket.

    An exception in the application becomes HTTP 500, as werkzeug's server answers one (and logs it).
    """
    environ = _environ(request, _body_bytes(request.body))
    try:
        chunks, status, headers = run_wsgi_app(app, environ, buffered=True)
    except Exception:
        log.exception("in-memory %s %s", request.method, request.url)
        chunks, status, headers = run_wsgi_app(InternalServerError(), environ, buffered=True)
    try:
        body = b"".join(chunks) if request.method != "HEAD" else b""
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return AWSResponse(request.url, int(status.split(" ", 1)[0]), dict(headers), MockRawResponse(body))


def _send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """``before-send`` handler of routed clients: served in memory when the URL's server is registered."""
    app = _app_for(request.url)
    return None if app is None else answer(app, request)


def _send_in_scope(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
    """``before-send`` handler of every client of this process: in memory inside :func:`calls_in_memory`."""
    return _send(request, **kwargs) if _IN_SCOPE.get() else None


def route(client: Any) -> Any:
    """Serve ``client``'s calls to a registered local server in memory; returns ``client``."""
    client.meta.events.register("before-send", _send)
    return client


@contextlib.contextmanager
def calls_in_memory() -> Iterator[None]:
    """Serve every client's calls to a registered local server in memory, in this context (a Lambda
    invocation: its handler's clients are made and cached by the handler's own code). Requires
    :func:`install`."""
    token = _IN_SCOPE.set(True)
    try:
        yield
    finally:
        _IN_SCOPE.reset(token)


def calls_are_in_memory() -> bool:
    """True inside :func:`calls_in_memory` (in this context)."""
    return _IN_SCOPE.get()


_installed = False


def install() -> None:
    """Give every botocore session the scoped handler: sessions made from now on (botocore's built-in
    handlers, as moto registers its own) and boto3's default session if it exists already. Idempotent."""
    global _installed
    with _LOCK:
        if _installed:
            return
        BUILTIN_HANDLERS.append(("before-send", _send_in_scope))
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.register("before-send", _send_in_scope)
        _installed = True

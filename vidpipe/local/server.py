"""moto in server mode inside the runtime's process, bound to 127.0.0.1.

Why in-process (ThreadedMotoServer) rather than a ``moto_server`` subprocess: the local Fargate agent must set
a stopped task's exit code and stop code, and the Lambda handlers run as Python functions; both need the
moto backends in the same interpreter. The Step Functions interpreter calls other services through
``http://localhost:$MOTO_PORT``, so MOTO_PORT is set to the server's port for the life of the server.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import threading
import urllib.request
from typing import Any
from xml.sax.saxutils import escape

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from vidpipe.local import in_memory

log = logging.getLogger(__name__)

# Real ASL execution. Lambda keeps moto's default (Docker) backend on purpose: its LambdaFunction.invoke is
# where the moto patch runs registered in-process handlers (the no-Docker backend bypasses it).
MOTO_CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}


def _check_free(host: str, port: int) -> None:
    """Raise OSError(EADDRINUSE) if ``port`` cannot be bound (werkzeug would print and exit instead)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the HTTP server will
        probe.bind((host, port))


class UnimplementedAsError:
    """WSGI middleware: an operation moto does not implement is answered like an unknown operation.

    moto raises ``NotImplementedError`` for such operations; werkzeug then answers 500 (which the SDKs
    retry) and prints a 45-line traceback per attempt on the runtime's terminal, although the caller handles
    the answer (``vidpipe replay`` restarts when RedriveExecution is missing). AWS answers an operation it
    does not know with HTTP 400 ``UnknownOperationException`` (JSON protocols; others get the error in XML):
    the runtime does so, and logs one line.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return self.app(environ, start_response)
        except NotImplementedError as exc:
            message = f"{exc} by the local runtime (moto)"
            log.info("%s %s", environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO", ""), message)
            if environ.get("HTTP_X_AMZ_TARGET"):
                body = json.dumps({"__type": "UnknownOperationException", "message": message}).encode()
                content_type = "application/x-amz-json-1.0"
            else:
                body = (
                    "<ErrorResponse><Error><Code>UnknownOperationException</Code>"
                    f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
                ).encode()
                content_type = "text/xml"
            start_response(
                "400 Bad Request", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            )
            return [body]


class _BindingMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer that binds in the caller's thread.

    The original binds inside its serving thread: a taken port kills that thread (werkzeug prints and calls
    ``sys.exit``) and ``start()`` waits forever for a ready signal. Binding here turns a taken port into an
    ``OSError`` for the caller.
    """

    def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app

    def start(self) -> None:
        _check_free(self._ip_address, self._port)
        try:
            self._server = make_server(
                self._ip_address,
                self._port,
                self.app,
                True,
                request_handler=MotoRequestHandler,
            )
        except SystemExit as exc:  # werkzeug exits the process when the port was taken in the meantime
            raise OSError(errno.EADDRINUSE, f"port {self._port} is in use") from exc
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)
        self._thread.start()
        self._server_ready_event.set()


class MotoServer:
    """A ThreadedMotoServer on 127.0.0.1 with Step Functions execution enabled.

    ``port=0`` picks a free port (tests, the demo); the chosen port is in :attr:`port` after :meth:`start`.
    """

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: _BindingMotoServer | None = None
        self._previous_moto_port: str | None = None
        self.port = port

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start serving and configure moto; returns the endpoint URL.

        Raises:
            OSError: when the port is taken.
        """
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
        app = UnimplementedAsError(DomainDispatcherApplication(create_backend_app))
        server = _BindingMotoServer(app, ip_address="127.0.0.1", port=self._requested_port, verbose=False)
        server.start()  # raises OSError on a taken port, before anything needs stopping
        self._server = server
        self.port = server.get_host_and_port()[1]
        in_memory.install()
        in_memory.serve(self.port, app)  # the runtime's own AWS side calls the same app without a socket
        self._previous_moto_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(self.port)
        # moto's backends are process-global: a runtime started after another one in the same process
        # (one per test module) must not see the previous one's resources.
        self._post("/moto-api/reset", {})
        self._post("/moto-api/config", MOTO_CONFIG)
        log.debug("moto listening on %s", self.endpoint_url)
        return self.endpoint_url

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.endpoint_url}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        """Stop serving and restore MOTO_PORT (idempotent)."""
        if self._server is None:
            return
        in_memory.stop_serving(self.port)
        self._server.stop()
        self._server = None
        if self._previous_moto_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = self._previous_moto_port

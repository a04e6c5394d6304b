"""The console's HTTP server: uvicorn in a background thread, on 127.0.0.1 only.

The socket is bound here, before the thread starts, so that a taken port fails at once with an OSError and
port 0 gives a free port whose number is known. Foreground use (``vidpipe console``) waits on a signal;
``vidpipe local up`` and ``vidpipe demo`` run the server next to the local runtime in their own process.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import TYPE_CHECKING

from vidpipe.cli.target import Target
from vidpipe.console import HOST

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)
START_TIMEOUT = 15.0


class ConsoleError(RuntimeError):
    """The server did not start in time."""


class ConsoleServer:
    """One console for one target; ``start()`` returns once it answers, ``stop()`` ends it."""

    def __init__(self, target: Target, port: int, read_only: bool = False) -> None:
        self.target = target
        self.port = port
        self.read_only = read_only
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> ConsoleServer:
        """Build the app (which reaches the target once), bind the port and serve in a thread.

        Raises:
            OSError: the port is taken.
            vidpipe.cli.errors.UserError: the target cannot be reached or is not a vidpipe stack.
            ConsoleError: the server did not come up within :data:`START_TIMEOUT` seconds.
        """
        import uvicorn

        from vidpipe.console.app import create_app

        app = create_app(self.target, read_only=self.read_only)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        self.port = sock.getsockname()[1]
        app.state.origin = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, server_header=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="vidpipe-console", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() >= deadline:
                self.stop()
                raise ConsoleError(f"the console did not start on {self.url}")
            time.sleep(0.02)
        log.info("console ready at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving (idempotent); waits for open requests a few seconds at most."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""moto in server mode inside the runtime's process, bound to 127.0.0.1.

Why in-process (ThreadedMotoServer) rather than a ``moto_server`` subprocess: the local Fargate agent must set
a stopped task's exit code and stop code, and the Lambda handlers run as Python functions; both need the
moto backends in the same interpreter. The Step Functions interpreter calls other services through
``http://localhost:$MOTO_PORT``, so MOTO_PORT is set to the server's port for the life of the server.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

from moto.server import ThreadedMotoServer

log = logging.getLogger(__name__)

# Real ASL execution. Lambda keeps moto's default (Docker) backend on purpose: its LambdaFunction.invoke is
# where the moto patch runs registered in-process handlers (the no-Docker backend bypasses it).
MOTO_CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}


class MotoServer:
    """A ThreadedMotoServer on 127.0.0.1 with Step Functions execution enabled.

    ``port=0`` picks a free port (tests, the demo); the chosen port is in :attr:`port` after :meth:`start`.
    """

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
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
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._requested_port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
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
        self._server.stop()
        self._server = None
        if self._previous_moto_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = self._previous_moto_port

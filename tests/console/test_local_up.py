"""`vidpipe local up` starts the console next to the runtime and prints its URL; SIGTERM stops both."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

CONSOLE = re.compile(r"vidpipe console: (http://127\.0\.0\.1:\d+/)")


def test_local_up_serves_the_console(tmp_path: Path) -> None:
    command = ["local", "up", "--port", "0", "--console-port", "0", "--log-dir", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "vidpipe.cli.main", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"},
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()  # blocks until the runtime is ready (or EOF if it died)
        assert "AWS_ENDPOINT_URL=http://127.0.0.1:" in ready, ready
        match = CONSOLE.search(process.stdout.readline())
        assert match, "no console URL printed"
        page = httpx.get(match.group(1) + "executions", timeout=30)
        assert page.status_code == 200 and "No executions yet" in page.text
        assert "on the local runtime at http://127.0.0.1:" in page.text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(match.group(1), timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

"""Helpers of the console tests: the console in its own process, Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY = re.compile(r"vidpipe console ready[^:]*: (http://127\.0\.0\.1:\d+/)")
SECRET = "consoleTestSecretKey0123456789abcdefXYZ"  # the console process's secret key: never on a page


@contextmanager
def console_process(endpoint: str, *options: str) -> Iterator[str]:
    """``vidpipe console --port 0 [options]`` in its own process, as an operator runs it; yields its URL."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIACONSOLETEST00001", "AWS_SECRET_ACCESS_KEY": SECRET}
    script = str(Path(sys.executable).with_name("vidpipe"))
    process = subprocess.Popen(
        [script, "--endpoint-url", endpoint, "console", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until ready, or EOF if it died
        match = READY.search(line)
        if not match:
            process.kill()
            raise AssertionError(f"the console did not start: {line!r} {process.communicate(timeout=10)}")
        yield match.group(1).rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[Any]:
    """A headless Chromium context with a fresh profile (the system browser: nothing is downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


class Watch:
    """What a page did that it must not: dialogs (an injected alert), script errors, CSP violations."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

"""``vidpipe console [--port 8040] [--read-only]``: the web console for the target the global options name."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from vidpipe.cli.context import target
from vidpipe.cli.errors import UserError
from vidpipe.cli.target import Target
from vidpipe.console import DEFAULT_PORT, HOST

if TYPE_CHECKING:
    from vidpipe.console.server import ConsoleServer


def start_console(tgt: Target, port: int, read_only: bool = False) -> ConsoleServer:
    """A started :class:`~vidpipe.console.server.ConsoleServer` (for ``local up`` and ``demo`` too).

    Raises:
        UserError: when the port is taken or the target cannot be reached.
    """
    from vidpipe.console.server import ConsoleError, ConsoleServer

    try:
        return ConsoleServer(tgt, port, read_only).start()
    except OSError as exc:
        raise UserError(
            f"cannot listen on {HOST}:{port}: {exc.strerror or exc} (pick another --port)"
        ) from exc
    except ConsoleError as exc:
        raise UserError(str(exc)) from exc


def command(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help=f"Port on {HOST} (0: any free port).")
    ] = DEFAULT_PORT,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only", help="Show everything, change nothing (no stop, replay, redrive, upload)."
        ),
    ] = False,
) -> None:
    """Serve the web console on 127.0.0.1: executions as graphs, jobs with their results, replay, DLQ, upload."""
    server = start_console(target(ctx), port, read_only)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        mode = " (read-only)" if read_only else ""
        typer.echo(f"vidpipe console ready{mode}: {server.url}")
        stop.wait()  # a foreground server: it runs until told to stop, by design
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

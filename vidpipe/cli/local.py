"""``vidpipe local up``: the whole pipeline on this machine, in the foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from vidpipe.cli.errors import UserError
from vidpipe.console import DEFAULT_PORT as CONSOLE_PORT
from vidpipe.local.defaults import DEFAULT_LOG_DIR, DEFAULT_MAX_TASKS, DEFAULT_PORT

app = typer.Typer(
    help="Run the pipeline locally (moto as the local AWS; no AWS account, no Docker).",
    no_args_is_help=True,
)


def serve(
    port: int,
    max_tasks: int,
    log_dir: Path | None,
    ready: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Start the runtime, call ``ready(endpoint)``, block until SIGINT/SIGTERM (or ``stop``), shut down.

    Shutdown terminates every worker process (SIGTERM, then SIGKILL) before returning.

    Raises:
        UserError: when the port is taken or the runtime cannot start.
    """
    from vidpipe.local.runtime import LocalRuntime, LocalRuntimeError

    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    runtime = LocalRuntime(port=port, max_tasks=max_tasks, log_dir=log_dir)
    try:
        try:
            runtime.start()
        except OSError as exc:
            raise UserError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
        except LocalRuntimeError as exc:
            raise UserError(str(exc)) from exc
        ready(runtime.endpoint_url)
        stop.wait()  # a foreground server: it runs until told to stop, by design
    finally:
        runtime.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command("up")
def up(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")
    ] = DEFAULT_PORT,
    max_tasks: Annotated[
        int,
        typer.Option(
            min=1, help="Worker processes at once (the local Fargate quota and MaxConcurrentTasks)."
        ),
    ] = DEFAULT_MAX_TASKS,
    log_dir: Annotated[
        Path,
        typer.Option(help="Copies of the worker task logs (also in CloudWatch Logs, for `vidpipe logs`)."),
    ] = DEFAULT_LOG_DIR,
    console_port: Annotated[
        int,
        typer.Option(min=-1, max=65535, help="Port of the web console (0: any free port, -1: no console)."),
    ] = CONSOLE_PORT,
) -> None:
    """Start the local pipeline and its web console in the foreground; print their URLs; Ctrl-C stops it."""
    consoles = []

    def ready(endpoint: str) -> None:
        typer.echo(f"vidpipe local runtime ready: export AWS_ENDPOINT_URL={endpoint}", err=False)
        if console_port >= 0:
            from vidpipe.cli.target import Target, TargetOptions
            from vidpipe.console.command import start_console

            try:
                consoles.append(start_console(Target(TargetOptions(endpoint_url=endpoint)), console_port))
            except UserError as exc:  # the pipeline is what `local up` is for: it runs on without a console
                typer.echo(f"vidpipe console not started: {exc}", err=True)
            else:
                typer.echo(f"vidpipe console: {consoles[0].url}", err=False)

    try:
        serve(port, max_tasks, log_dir, ready)
    finally:
        for console in consoles:
            console.stop()

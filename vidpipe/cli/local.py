"""``vidpipe local up``: the whole pipeline on this machine, in the foreground, until Ctrl-C, SIGTERM or SIGHUP."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from vidpipe.cli.errors import BadArgument, UserError
from vidpipe.console import DEFAULT_PORT as CONSOLE_PORT
from vidpipe.local.defaults import DEFAULT_LOG_DIR, DEFAULT_MAX_TASKS, DEFAULT_PORT

app = typer.Typer(
    help="Run the pipeline locally (moto as the local AWS; no AWS account, no Docker).",
    no_args_is_help=True,
)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # a closed terminal stops it like Ctrl-C
ITERATION_STARTS = ("failed-state", "first-state")
SIGNAL_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class RuntimeOptions:
    """What ``local up`` passes to the runtime besides the port, the cap and the log directory."""

    faults: tuple[str, ...] = ()
    reconcile_seconds: float | None = None
    worker_options: dict[str, Any] | None = None
    redrive_iteration_start: str = "failed-state"


def parse_worker_options(text: str | None) -> dict[str, Any] | None:
    """``--worker-options`` JSON -> the options object, checked by the worker's own parser.

    Raises:
        BadArgument: one line saying what is wrong.
    """
    if text is None:
        return None
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadArgument(f"--worker-options is not JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(options, dict):
        raise BadArgument(f"--worker-options must be a JSON object, got {type(options).__name__}")
    from worker.errors import Rejected
    from worker.options import parse_options

    try:
        parse_options(options)
    except Rejected as exc:
        raise BadArgument(f"--worker-options: {exc.reason}") from None
    return options


def check_faults(specs: list[str]) -> tuple[str, ...]:
    """Parse every ``--fault`` now, so that a typo is a one-line error before anything starts.

    Raises:
        BadArgument: for the first malformed specification.
    """
    from vidpipe.local.faults import FaultError, parse_fault

    for spec in specs:
        try:
            parse_fault(spec)
        except FaultError as exc:
            raise BadArgument(f"--fault: {exc}") from None
    return tuple(specs)


def serve(
    port: int,
    max_tasks: int,
    log_dir: Path | None,
    ready: Callable[[str], None],
    stop: threading.Event | None = None,
    options: RuntimeOptions | None = None,
) -> None:
    """Start the runtime, call ``ready(endpoint)``, block until SIGINT/SIGTERM/SIGHUP (or ``stop``), shut down.

    Shutdown terminates every worker process (SIGTERM, then SIGKILL) before returning.

    Raises:
        UserError: when the port is taken or the runtime cannot start.
    """
    from vidpipe.local.faults import FaultError
    from vidpipe.local.runtime import LocalRuntime, LocalRuntimeError
    from vidpipe.local.schedules import ScheduleError

    stop = stop or threading.Event()
    options = options or RuntimeOptions()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    runtime = LocalRuntime(
        port=port,
        max_tasks=max_tasks,
        log_dir=log_dir,
        faults=options.faults,
        reconcile_seconds=options.reconcile_seconds,
        worker_options=options.worker_options,
        redrive_iteration_start=options.redrive_iteration_start,
    )
    try:
        try:
            runtime.start()
        except OSError as exc:
            raise UserError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
        except (LocalRuntimeError, FaultError, ScheduleError) as exc:
            raise UserError(str(exc)) from exc
        ready(runtime.endpoint_url)
        # A foreground server runs until told to stop, by design. It waits in slices: the kernel may deliver
        # the signal to any of the runtime's threads, and then only a main thread that wakes up runs the
        # Python handler (an untimed wait would sleep through it).
        while not stop.wait(SIGNAL_CHECK_SECONDS):
            pass
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
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            metavar="NAME[@SCOPE][:COUNT]",
            help="Inject a failure AWS can produce (repeatable; COUNT: how many times, default always): "
            "worker-crash, worker-hang, spot-interruption, runtask-failure, ecs-throttle, "
            "ddb-applied-then-error, drop-status-event. See docs/local-runtime.md.",
        ),
    ] = None,
    reconcile_seconds: Annotated[
        float | None,
        typer.Option(min=0.1, help="Period of every scheduled Lambda, e.g. the reconciler (AWS: 5 minutes)."),
    ] = None,
    worker_options: Annotated[
        str | None,
        typer.Option(
            metavar="JSON", help="Options for every worker (VIDPIPE_OPTIONS), e.g. '{\"noop\": true}'."
        ),
    ] = None,
    redrive_iteration_start: Annotated[
        str,
        typer.Option(
            help="Where a redriven Map iteration that failed starts again: failed-state (default) or "
            "first-state (AWS does not document which)."
        ),
    ] = "failed-state",
    console_port: Annotated[
        int,
        typer.Option(min=-1, max=65535, help="Port of the web console (0: any free port, -1: no console)."),
    ] = CONSOLE_PORT,
) -> None:
    """Start the local pipeline and its web console in the foreground; print their URLs; Ctrl-C stops it."""
    if redrive_iteration_start not in ITERATION_STARTS:
        raise BadArgument(f"--redrive-iteration-start must be one of {', '.join(ITERATION_STARTS)}")
    options = RuntimeOptions(
        faults=check_faults(fault or []),
        reconcile_seconds=reconcile_seconds,
        worker_options=parse_worker_options(worker_options),
        redrive_iteration_start=redrive_iteration_start,
    )
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
        serve(port, max_tasks, log_dir, ready, options=options)
    finally:
        for console in consoles:
            console.stop()

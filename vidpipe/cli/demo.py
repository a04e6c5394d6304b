"""``vidpipe demo``: the newcomer's first command.

It starts the local runtime in this process (on a free port), generates a short sample video, uploads it,
shows the job's progress, then prints the job's status and results summary and the execution's states with
the same views as ``vidpipe status`` and ``vidpipe show``. Exit code 0 only if the execution SUCCEEDED.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from vidpipe.cli import render
from vidpipe.cli.errors import UserError
from vidpipe.local.defaults import DEFAULT_LOG_DIR, DEFAULT_MAX_TASKS

DEMO_KEY = "demo/vidpipe demo.mp4"  # a space on purpose: S3 events encode it, the pipeline decodes it


def done(step: str) -> None:
    """A finished step of the demo: a green tick and the step, literally."""
    render.say(("✓", "green"), " ", step)


def heading(title: str) -> None:
    """A section title (a blank line, then the title in bold: no rule, which would fill a piped line)."""
    render.say("")
    render.say((f"── {title}", "bold"))


def run_demo(timeout: float, max_tasks: int, log_dir: Path | None, stay: bool = False) -> bool:
    """Run the demo end to end; True when the execution SUCCEEDED. The web console follows it (on a free
    port); with ``stay`` the runtime and the console keep running until Ctrl-C."""
    from vidpipe.cli import status as status_view
    from vidpipe.cli.executions import TIMELINE_COLUMNS, show_execution
    from vidpipe.cli.target import Target, TargetOptions
    from vidpipe.clipgen import make_demo_clip
    from vidpipe.console.command import start_console
    from vidpipe.contract.names import Output
    from vidpipe.local.jobs import JobWaitTimeout, upload, wait_for_job
    from vidpipe.local.runtime import LocalRuntime
    from vidpipe.local.sfn_wait import ExecutionWaitTimeout, wait_for_execution

    console = render.console
    # The in-process Lambda handlers log every step at INFO: the demo shows progress itself.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    started = time.monotonic()
    with console.status("Starting the local runtime (the first run synthesizes the CDK stack)..."):
        runtime = LocalRuntime(port=0, max_tasks=max_tasks, log_dir=log_dir).start()
    try:
        done(f"local runtime at {runtime.endpoint_url} ({time.monotonic() - started:.1f}s)")
        outputs = runtime.outputs
        target = Target(TargetOptions(stack=runtime.stack_name, endpoint_url=runtime.endpoint_url))
        web = start_console(target, 0)
        with tempfile.TemporaryDirectory(prefix="vidpipe-demo-") as tmp:
            clip = Path(tmp) / "vidpipe-demo.mp4"
            with console.status("Generating a sample video..."):
                manifest = make_demo_clip(clip)
            done(f"sample video: {manifest.duration:.0f}s {manifest.width}x{manifest.height}")
            up = upload(runtime.client("s3"), outputs[Output.VIDEO_BUCKET], DEMO_KEY, clip)
        done(f"uploaded s3://{up.bucket}/{up.key}")

        shown: list[str] = []
        with console.status("Waiting for the pipeline...") as spinner:

            def on_change(record: dict[str, Any] | None) -> None:
                state = record["status"] if record else "waiting for the queue and the pipe"
                spinner.update(f"job: {state} ({time.monotonic() - started:.0f}s)")
                if record:
                    render.say("  job ", record["job_id"], " ", render.styled(record["status"]))
                if record and not shown:
                    name = str(record["execution_arn"]).rsplit(":", 1)[-1]
                    render.say(f"  console: {web.url}executions/{name}")
                    shown.append(name)

            try:
                record = wait_for_job(
                    runtime.client("dynamodb"),
                    outputs[Output.JOB_TABLE],
                    up,
                    timeout,
                    on_change=on_change,
                )
                execution = wait_for_execution(
                    runtime.client("stepfunctions"), str(record["execution_arn"]), timeout=60
                )
            except (JobWaitTimeout, ExecutionWaitTimeout) as exc:
                raise UserError(f"the demo did not finish: {exc}") from exc

        heading("job")
        status_view.print_status(status_view.job_status(target, record))  # the `vidpipe status` view
        summary = record.get("summary") or {}
        if summary:
            heading("results summary")
            render.print_json(summary)
        heading("execution")
        document = show_execution(target, execution["executionArn"])  # the `vidpipe show` view
        render.table(document["states"], TIMELINE_COLUMNS, empty="no states entered")
        succeeded = execution["status"] == "SUCCEEDED"
        render.say("")
        render.say(
            "execution ",
            render.styled(execution["status"]),
            f" in {time.monotonic() - started:.1f}s; worker log: {log_dir or 'CloudWatch Logs'}",
        )
        url = f"{web.url}executions/{execution['executionArn'].rsplit(':', 1)[-1]}"
        if stay:
            render.say(f"console: {url} (Ctrl-C stops the runtime and the console)")
            _wait_for_interrupt()
        else:
            render.say(f"console (until the demo ends; `vidpipe demo --stay` keeps it): {url}")
        web.stop()
        return succeeded
    finally:
        runtime.stop()


def _wait_for_interrupt() -> None:
    import signal
    import threading

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.wait()  # until Ctrl-C or SIGTERM, by design
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def command(
    timeout: Annotated[float, typer.Option(min=10, help="Seconds to wait for the job.")] = 600,
    max_tasks: Annotated[int, typer.Option(min=1, help="Worker processes at once.")] = DEFAULT_MAX_TASKS,
    log_dir: Annotated[Path, typer.Option(help="Where the worker's log is copied.")] = DEFAULT_LOG_DIR,
    stay: Annotated[
        bool, typer.Option("--stay", help="Keep the runtime and the web console running until Ctrl-C.")
    ] = False,
) -> None:
    """Run the whole pipeline locally on a generated sample video (no AWS account, no Docker)."""
    if not run_demo(timeout, max_tasks, log_dir, stay):
        raise typer.Exit(1)

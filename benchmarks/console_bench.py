"""Console benchmark (not part of the test run): server time of the Executions and Execution pages.

On the local runtime (no-op worker), it makes:

* 1,000 executions of the pipeline with an empty batch (``[]``: Prepare finds no record, the Map runs no
  iteration), each joined to a job record written beside it (so the page joins 1,000 jobs to 1,000
  executions, as a busy day would);
* one execution of a batch of uploads (the pipe stopped, the queue's messages delivered in one batch, as a
  pipe with a larger batch would) whose history has at least 100 events.

Then, with the runtime's background pollers stopped (the status-change watcher lists every ended execution
every 0.25 s), it times the pages through the console's ASGI app in this process (server time: routing, the AWS calls
to the runtime, the join, the layout and the template; no browser), and, as the baseline measured in the
same run, the CLI calls the page makes (``list_executions`` + the job table; ``describe``, the history and
the job scan). Targets (issue 10): Executions page < 0.5 s with 1,000 executions; Execution page with 100
history events < 0.3 s. The Execution page is timed on a first view (nothing kept: ``view_cache.forget()``
before each) and on a repeat view (the ended execution's history and job ids kept), and its time is broken
down by the sections of its ``Server-Timing`` header (measured inside the app's thread; the AWS reads of
a first view overlap, so they add up to more than the total).

Usage: ``python benchmarks/console_bench.py [--executions 1000] [--batch 4] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from vidpipe.cli.executions import execution_arn, history, list_executions
from vidpipe.cli.lookup import job_store, resolve
from vidpipe.cli.target import Target, TargetOptions
from vidpipe.console import view_cache
from vidpipe.console.timing import parse_header
from vidpipe.contract.names import Output
from vidpipe.local.pipe import pipe_record
from vidpipe.local.runtime import LocalRuntime
from vidpipe.local.sfn_wait import wait_for_execution

NOOP_ENV = {"VIDPIPE_OPTIONS": json.dumps({"noop": True})}


def timed(
    action: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None
) -> tuple[float, float]:
    """Median and worst of ``repeat`` runs (each after ``before``, untimed), after one warm-up run."""
    before()
    action()
    times = []
    for _ in range(repeat):
        before()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def sections(client: Any, path: str, repeat: int, before: Callable[[], Any]) -> dict[str, float]:
    """Median milliseconds per section of the page's ``Server-Timing`` header over ``repeat`` views."""
    found: dict[str, list[float]] = {}
    for _ in range(repeat):
        before()
        for name, ms in parse_header(client.get(path).headers["server-timing"]).items():
            found.setdefault(name, []).append(ms)
    return {name: statistics.median(values) for name, values in found.items()}


def make_executions(runtime: LocalRuntime, count: int) -> None:
    sfn, ddb = runtime.client("stepfunctions"), runtime.client("dynamodb")
    machine, table = runtime.outputs[Output.STATE_MACHINE_ARN], runtime.outputs[Output.JOB_TABLE]

    def one(index: int) -> None:
        arn = sfn.start_execution(stateMachineArn=machine, name=f"bench-{index:05d}", input="[]")[
            "executionArn"
        ]
        job_id = f"{index:024x}"
        ddb.put_item(
            TableName=table,
            Item={
                "job_id": {"S": job_id},
                "status": {"S": "SUCCEEDED"},
                "key": {"S": f"bench/clip-{index:05d}.mp4"},
                "object_uri": {"S": f"s3://bench/bench/clip-{index:05d}.mp4"},
                "execution_arn": {"S": arn},
                "execution_arns": {"L": [{"S": arn}]},
                "attempts": {"N": "1"},
                "created_at": {"S": "2026-12-01T00:00:00.000Z"},
                "updated_at": {"S": f"2026-12-01T00:00:{index % 60:02d}.{index % 1000:03d}Z"},
            },
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(count)))
    deadline = time.monotonic() + 600
    while list_executions(sfn, machine, "RUNNING", None, 1):
        if time.monotonic() > deadline:
            raise SystemExit("the empty executions did not finish in 10 minutes")
        time.sleep(0.5)


def make_batch_execution(runtime: LocalRuntime, size: int) -> str:
    """One execution of ``size`` uploads delivered in one batch; its ARN."""
    from vidpipe.clipgen.encode import Encoding
    from vidpipe.clipgen.unusual import manifest_of

    pipe = runtime.pipes[0]
    pipe.stop()
    s3, sqs, sfn = runtime.client("s3"), runtime.client("sqs"), runtime.client("stepfunctions")
    queue = runtime.outputs[Output.QUEUE_URL]
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp, "c.mp4")
        manifest_of(clip, Encoding())
        data = clip.read_bytes()
    for index in range(size):
        s3.put_object(
            Bucket=runtime.outputs[Output.VIDEO_BUCKET], Key=f"batch/{index}.mp4", Body=data + bytes([index])
        )
    records: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    while len(records) < size:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(records)} of {size} notifications arrived")
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            if "Records" in json.loads(message["Body"]):
                records[message["MessageId"]] = pipe_record(message, queue_arn, "us-east-1")
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    arn = sfn.start_execution(
        stateMachineArn=runtime.outputs[Output.STATE_MACHINE_ARN],
        name="bench-batch",
        input=json.dumps(list(records.values())),
    )["executionArn"]
    wait_for_execution(sfn, arn, timeout=300)
    return str(arn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from starlette.testclient import TestClient

    from vidpipe.console.app import create_app

    with LocalRuntime(port=0, log_dir=None, worker_env=NOOP_ENV, stop_grace_seconds=3.0) as runtime:
        started = time.monotonic()
        batch_arn = make_batch_execution(runtime, args.batch)
        make_executions(runtime, args.executions)
        print(f"made {args.executions + 1} executions in {time.monotonic() - started:.0f}s", file=sys.stderr)
        # Quiesce the runtime: its status-change watcher lists every ended execution every 0.25 s (about a
        # dozen list calls with 1,000 executions), which would time the watcher rather than the console.
        if runtime.watcher is not None:
            runtime.watcher.stop()
        for pipe in runtime.pipes:
            pipe.stop()
        tgt = Target(TargetOptions(stack=runtime.stack_name, endpoint_url=runtime.endpoint_url))
        client = TestClient(create_app(tgt), base_url="http://127.0.0.1")
        sfn, machine = tgt.client("stepfunctions"), tgt.resources.state_machine_arn
        events = len(history(sfn, batch_arn))
        name = batch_arn.rsplit(":", 1)[-1]
        print(f"load average before timing: {Path('/proc/loadavg').read_text().strip()}", file=sys.stderr)
        started = time.perf_counter()
        assert client.get("/executions").status_code == 200
        first = time.perf_counter() - started  # reads every job record once; later views read what changed
        assert client.get(f"/executions/{name}").status_code == 200
        page = f"/executions/{name}"

        def view(path: str) -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text[:500]}")

        baseline = timed(
            lambda: (resolve(tgt, execution_arn(machine, name)), history(sfn, batch_arn)), args.repeat
        )
        rows = [
            (
                f"Executions page, {args.executions + 1} executions (target < 0.5 s)",
                timed(lambda: view("/executions"), args.repeat),
                timed(
                    lambda: (list_executions(sfn, machine, None, None, None), job_store(tgt).recent()),
                    args.repeat,
                ),
            ),
            (
                f"Execution page, {events} history events, first view (target < 0.3 s)",
                timed(lambda: view(page), args.repeat, before=view_cache.forget),
                baseline,
            ),
            (
                f"Execution page, {events} history events, repeat view (target < 0.3 s)",
                timed(lambda: view(page), args.repeat),
                baseline,
            ),
            (
                "Execution page with a state's details open, repeat view",
                timed(lambda: view(f"{page}?state=Record&iteration=0"), args.repeat),
                baseline,
            ),
        ]
        first_sections = sections(client, page, args.repeat, view_cache.forget)
        repeat_sections = sections(client, page, args.repeat, lambda: None)
        print("| page | server time, median (worst) | the CLI's full listings of the same, median |")
        print("|---|---|---|")
        print(f"| Executions page, first view (reads every job record) | {first * 1000:.0f} ms | |")
        for what, (median, worst), (floor, _worst) in rows:
            print(f"| {what} | {median * 1000:.0f} ms ({worst * 1000:.0f} ms) | {floor * 1000:.0f} ms |")
        print()
        print("| Execution page section (Server-Timing), median | first view | repeat view |")
        print("|---|---|---|")
        for section in dict.fromkeys([*first_sections, *repeat_sections]):
            cells = [
                f"{view[section]:.1f} ms" if section in view else "-"
                for view in (first_sections, repeat_sections)
            ]
            print(f"| {section} | {cells[0]} | {cells[1]} |")
        print(f"load average after timing: {Path('/proc/loadavg').read_text().strip()}", file=sys.stderr)


if __name__ == "__main__":
    main()

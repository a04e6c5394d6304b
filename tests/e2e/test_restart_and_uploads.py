"""After a restart of the local runtime (state in memory, so reset) the CLI says so instead of "no jobs";
a multipart upload through the runtime starts one execution, as on AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from typer.testing import CliRunner

from tests.e2e.conftest import NOOP_ENV, wait_until
from vidpipe.cli.main import app
from vidpipe.contract.names import Output
from vidpipe.local.runtime import LocalRuntime
from vidpipe.local.sfn_wait import wait_for_execution

pytestmark = pytest.mark.slow

MULTIPART = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)


def _cli(endpoint: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--endpoint-url", endpoint, *args])
    return result.output


def test_the_cli_says_the_runtime_restarted_and_a_multipart_upload_starts_one_execution(
    tmp_path: Path, tiny_clip: Path
) -> None:
    with LocalRuntime(port=0, log_dir=None, worker_env=NOOP_ENV) as first:
        endpoint, port = first.endpoint_url, int(first.endpoint_url.rsplit(":", 1)[1])
        assert "restarted" not in _cli(endpoint, "jobs")  # the CLI meets this runtime's boot
    with LocalRuntime(port=port, log_dir=None, worker_env=NOOP_ENV) as second:
        output = _cli(endpoint, "jobs")
        assert "note: the local runtime at" in output and "was restarted at" in output, output
        assert "state reset" in _cli(endpoint, "jobs")  # not "no jobs": the state from before is gone
        assert "state reset" in _cli(endpoint, "status", "0123456789abcdef01234567")

        big = tmp_path / "big.mp4"
        big.write_bytes(tiny_clip.read_bytes() + b"\0" * (6 * 1024 * 1024))
        pipe = second.pipes[0]
        before = len(pipe.started_executions)
        s3 = second.client("s3")
        s3.upload_file(str(big), second.outputs[Output.VIDEO_BUCKET], "big.mp4", Config=MULTIPART)
        arn = wait_until(lambda: pipe.started_executions[before:], 60, "an execution for the upload")[0]
        wait_for_execution(second.client("stepfunctions"), arn, timeout=120)
        queue = second.outputs[Output.QUEUE_URL]
        sqs = second.client("sqs")

        def drained() -> bool:
            attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
            return (
                attributes["ApproximateNumberOfMessages"]
                == attributes["ApproximateNumberOfMessagesNotVisible"]
                == "0"
            )

        wait_until(drained, 30, "the queue to be empty")
        started = pipe.started_executions[before:]
        assert len(started) == 1, started
        execution = second.client("stepfunctions").describe_execution(executionArn=started[0])
        body = json.loads(json.loads(execution["input"])[0]["body"])
        assert body["Records"][0]["eventName"] == "ObjectCreated:CompleteMultipartUpload"

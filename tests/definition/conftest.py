"""The real state machine, from the synthesized template, executed by (patched) moto's interpreter.

One local runtime serves the module: the real tasks/ handlers run in-process, DynamoDB and S3 are moto's,
the status-change rule reaches its handler. The pipe is stopped: these tests start executions themselves
with the pipe's input shape, and the ECS states answer from Step Functions Local style mocked responses
(``vidpipe.local.sfn_mocks``), so each path's ECS behaviour (throttling, Spot interruption, crashes) is
scripted while everything else runs for real.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import load_event
from vidpipe.contract.names import Output
from vidpipe.local.runtime import LocalRuntime
from vidpipe.local.sfn_mocks import use_mock_config
from vidpipe.local.sfn_wait import wait_for_execution

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/vidpipe/0123456789abcdef"
SPOT_INTERRUPTED = {
    "TaskArn": TASK_ARN,
    "LastStatus": "STOPPED",
    "StopCode": "SpotInterruption",
    "StoppedReason": "Your Spot Task was interrupted.",
    "Containers": [{"Name": "worker"}],
}
CRASHED = {
    "TaskArn": TASK_ARN,
    "LastStatus": "STOPPED",
    "StopCode": "EssentialContainerExited",
    "StoppedReason": "Essential container in task exited",
    "Containers": [{"Name": "worker", "ExitCode": 1}],
}
STOPPED_OK = {
    "TaskArn": TASK_ARN,
    "LastStatus": "STOPPED",
    "StopCode": "EssentialContainerExited",
    "Containers": [{"Name": "worker", "ExitCode": 0}],
}


def returns(task: dict[str, Any]) -> dict[str, Any]:
    return {"Return": task}


def throws(error: str, cause: Any) -> dict[str, Any]:
    return {"Throw": {"Error": error, "Cause": cause if isinstance(cause, str) else json.dumps(cause)}}


@dataclass
class Pipeline:
    """Handles on the running definition: clients, resource names and helpers to drive one path."""

    runtime: LocalRuntime
    state_machine_arn: str

    @property
    def name(self) -> str:
        return self.state_machine_arn.rsplit(":", 1)[-1]

    def client(self, service: str) -> Any:
        return self.runtime.client(service)

    @property
    def video_bucket(self) -> str:
        return self.runtime.outputs[Output.VIDEO_BUCKET]

    @property
    def results_bucket(self) -> str:
        return self.runtime.outputs[Output.RESULTS_BUCKET]

    @property
    def table(self) -> str:
        return self.runtime.outputs[Output.JOB_TABLE]

    def upload(self, key: str, body: bytes = b"\x00\x00\x00\x18ftypmp42 video") -> dict[str, Any]:
        return self.client("s3").put_object(Bucket=self.video_bucket, Key=key, Body=body)

    def record_for(
        self, key_in_event: str, put: dict[str, Any], message_id: str | None = None
    ) -> dict[str, Any]:
        """The pipe's record of S3's notification of ``put`` (the key encoded as S3 encodes it)."""
        body = load_event("s3_object_created")
        s3 = body["Records"][0]["s3"]
        s3["bucket"]["name"] = self.video_bucket
        s3["object"].update(
            {"key": key_in_event, "versionId": put["VersionId"], "eTag": put["ETag"].strip('"'), "size": 10}
        )
        record = load_event("pipe_record")
        record.update({"messageId": message_id or str(uuid.uuid4()), "body": json.dumps(body)})
        return record

    def run(
        self, records: list[Any], responses: dict[str, dict[str, Any]] | None = None, timeout: float = 60.0
    ) -> dict[str, Any]:
        """Start an execution with ``records`` as input; ``responses`` maps state names to mocked responses."""
        arn = self.state_machine_arn
        config: dict[str, Any] = {"StateMachines": {self.name: {"TestCases": {}}}, "MockedResponses": {}}
        if responses:
            case = f"case-{uuid.uuid4().hex[:8]}"
            config["StateMachines"][self.name]["TestCases"][case] = {s: f"{case}-{s}" for s in responses}
            config["MockedResponses"] = {f"{case}-{s}": r for s, r in responses.items()}
            arn = f"{arn}#{case}"
        sfn = self.client("stepfunctions")
        with use_mock_config(config):
            started = sfn.start_execution(
                stateMachineArn=arn, name=f"t-{uuid.uuid4().hex[:12]}", input=json.dumps(records)
            )
            return wait_for_execution(sfn, started["executionArn"], timeout=timeout)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        pages = self.client("stepfunctions").get_paginator("get_execution_history")
        return [e for page in pages.paginate(executionArn=execution_arn) for e in page["events"]]

    def job(self, job_id: str) -> dict[str, Any] | None:
        from tasks.job_table import JobTable

        return JobTable(self.client("dynamodb"), self.table).get(job_id)

    @property
    def pool(self) -> Any:
        from tasks.slots import SlotPool

        return SlotPool(
            self.client("dynamodb"), self.client("stepfunctions"), self.runtime.outputs[Output.SLOT_TABLE]
        )

    def put_results(self, job_id: str, verdict: str = "analysed") -> None:
        """The results document the worker would have written for ``job_id``."""
        document: dict[str, Any] = {
            "schema_version": 1,
            "job_id": job_id,
            "input": {"uri": "s3://x/y"},
            "verdict": verdict,
            "complete": True,
            "analyzers": {},
            "created_at": "2026-11-23T10:00:00.000Z",
            "summary": {"verdict": verdict, "duration_seconds": 4.0},
        }
        if verdict == "rejected":
            document["rejection"] = {"code": "corrupt", "reason": "corrupt file: invalid data found"}
            document["summary"]["reason"] = "corrupt file: invalid data found"
        key = f"jobs/{job_id}/results.json"
        self.client("s3").put_object(Bucket=self.results_bucket, Key=key, Body=json.dumps(document))


@pytest.fixture(scope="package")
def pipeline() -> Iterator[Pipeline]:
    with LocalRuntime(port=0, max_tasks=2, log_dir=None) as runtime:
        for pipe in runtime.pipes:  # executions are started by the tests, not by uploads
            pipe.stop()
        assert runtime.provisioned is not None
        [arn] = runtime.provisioned.state_machine_arns
        yield Pipeline(runtime, arn)

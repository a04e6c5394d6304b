"""Defect 16 (moto drops a function's ``LoggingConfig``) and the in-process handlers' logs in CloudWatch
Logs, as Lambda writes them: the function's group, one ``YYYY/MM/DD/[$LATEST]<id>`` stream per invocation,
START / lines / END / REPORT, and only the lines of the handler's own thread."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import zipfile
from typing import Any

import boto3

from vidpipe.local import moto_patches

from ._helpers import REGION

STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


def _function(name: str, logging_config: dict[str, str] | None = None) -> str:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    extra = {"LoggingConfig": logging_config} if logging_config else {}
    return str(
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler",
            Code={"ZipFile": archive.getvalue()}, **extra,
        )["FunctionArn"]
    )  # fmt: skip


def _streams(group: str) -> dict[str, list[str]]:
    logs = boto3.client("logs", region_name=REGION)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    return {
        s["logStreamName"]: [
            e["message"]
            for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]
        ]
        for s in streams
    }


def test_logging_config_is_kept_and_returned() -> None:
    lam = boto3.client("lambda", region_name=REGION)
    _function("custom", {"LogGroup": "/stack/PrepareLogs", "LogFormat": "Text"})
    _function("default")
    assert lam.get_function_configuration(FunctionName="custom")["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": "/stack/PrepareLogs",
    }
    assert lam.get_function(FunctionName="default")["Configuration"]["LoggingConfig"]["LogGroup"] == (
        "/aws/lambda/default"
    )


def test_handler_lines_go_to_the_functions_group_one_stream_per_invocation() -> None:
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/stack/PrepareLogs")
    _function("prepare", {"LogGroup": "/stack/PrepareLogs"})
    own = logging.getLogger("vidpipe-test-prepare")  # a logger with its own handler, as Powertools' are
    own.addHandler(logging.NullHandler())
    printing = logging.StreamHandler(io.StringIO())
    printing.setFormatter(logging.Formatter("JSON %(message)s"))
    own.addHandler(printing)
    own.setLevel(logging.INFO)
    other_thread_said: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        own.info("prepared [1/2] %s", event["job"])
        noise = threading.Thread(target=lambda: (own.info("another thread"), other_thread_said.append("y")))
        noise.start()
        noise.join()
        if event.get("fail"):
            raise ValueError("bad record")
        return {"ok": True}

    moto_patches.register_lambda_handler("prepare", handler)
    try:
        lam = boto3.client("lambda", region_name=REGION)
        lam.invoke(FunctionName="prepare", Payload=json.dumps({"job": "j1"}))
        failed = lam.invoke(FunctionName="prepare", Payload=json.dumps({"job": "j2", "fail": True}))
    finally:
        own.removeHandler(printing)
    assert failed["FunctionError"] == "Unhandled"
    assert other_thread_said == ["y", "y"]
    streams = _streams("/stack/PrepareLogs")
    assert len(streams) == 2 and all(STREAM.match(name) for name in streams)
    first, second = sorted(streams.values(), key=lambda lines: "j2" in " ".join(lines))
    assert first[0].startswith("START RequestId: ") and first[0].endswith(" Version: $LATEST")
    assert first[1] == "JSON prepared [1/2] j1"  # the logger's own formatter, the text literally
    assert first[2].startswith("END RequestId: ") and first[3].startswith("REPORT RequestId: ")
    assert "Duration: " in first[3] and "Memory Size: " in first[3]
    assert not any("another thread" in line for line in first + second)  # not the function's lines
    assert "JSON prepared [1/2] j2" in second and "[ERROR] ValueError: bad record" in second


def test_root_logger_lines_have_lambdas_format() -> None:
    _function("plain")

    def handler(event: dict[str, Any], context: Any) -> None:
        logging.getLogger("some.module").warning("disk %s", "full")

    moto_patches.register_lambda_handler("plain", handler)
    boto3.client("lambda", region_name=REGION).invoke(FunctionName="plain", Payload=b"{}")
    [lines] = _streams("/aws/lambda/plain").values()  # Lambda creates its default group
    assert re.match(
        r"^\[WARNING\]\t\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t[0-9a-f-]{36}\tdisk full$", lines[1]
    )

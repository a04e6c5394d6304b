"""Fast checks of the runtime's pure parts: pattern matching, the pipe's record shape, intrinsic resolution."""

from __future__ import annotations

import json

import pytest

from vidpipe.local.fargate import exit_code_of
from vidpipe.local.patterns import compile_pattern, matches_any
from vidpipe.local.pipe import filter_view, pipe_record
from vidpipe.local.rules import status_change_event
from vidpipe.local.task_spec import command_of
from vidpipe.local.template import Resolver, Template, TemplateError, referenced_ids

S3_BODY = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "a+b.mp4", "size": 3}}}]}
MESSAGE = {
    "MessageId": "m1",
    "ReceiptHandle": "r1",
    "Body": json.dumps(S3_BODY),
    "MD5OfBody": "x",
    "Attributes": {},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"body": {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}}, True),  # under an array
        ({"body": {"Records": {"eventName": [{"prefix": "ObjectRemoved:"}]}}}, False),
        ({"body": {"Records": {"eventName": ["ObjectCreated:Put"]}}}, True),
        ({"body": {"Records": {"s3": {"object": {"size": [{"numeric": [">", 2]}]}}}}}, True),
        ({"body": {"Event": [{"exists": True}]}}, False),
        ({"body": {"Records": {"eventName": [{"anything-but": ["ObjectCreated:Put"]}]}}}, False),
        ({"eventSource": ["aws:sqs"]}, True),
    ],
)
def test_pipe_filter_semantics(pattern: dict, expected: bool) -> None:
    record = filter_view(pipe_record(MESSAGE, "arn:aws:sqs:us-east-1:1:q", "us-east-1"))
    assert compile_pattern(pattern).matches_event(record) is expected


def test_s3_test_event_does_not_pass_the_filter() -> None:
    test_event = {**MESSAGE, "Body": json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})}
    record = filter_view(pipe_record(test_event, "arn", "us-east-1"))
    pattern = compile_pattern({"body": {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}})
    assert not matches_any([pattern], record)
    assert matches_any([], record)  # an unfiltered pipe passes everything


def test_pipe_record_has_the_pipes_sqs_shape() -> None:
    record = pipe_record(MESSAGE, "arn:aws:sqs:us-east-1:1:q", "us-east-1")
    assert set(record) == {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                           "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}  # fmt: skip
    assert isinstance(record["body"], str) and record["eventSource"] == "aws:sqs"


def test_status_change_event_matches_the_rule_shape() -> None:
    from datetime import UTC, datetime

    execution = {"executionArn": "arn:e", "stateMachineArn": "arn:sm", "name": "n", "status": "FAILED",
                 "startDate": datetime(2026, 1, 1, tzinfo=UTC), "stopDate": datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
                 "input": "[]", "error": "States.TaskFailed", "cause": "c"}  # fmt: skip
    event = status_change_event(execution, "us-east-1", "123456789012")
    rule = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": ["arn:sm"]}}  # fmt: skip
    assert compile_pattern(rule).matches_event(event)
    assert event["detail"]["stopDate"] - event["detail"]["startDate"] == 60_000


def test_resolver_handles_the_intrinsics_cdk_writes() -> None:
    resolver = Resolver("Stack")
    resolver.register("Queue", "https://q", Arn="arn:aws:sqs:us-east-1:123456789012:q")
    resolver.register("LocalSubnet", "subnet-1")
    resolver.alias("SubnetA", "LocalSubnet")
    resolver.alias("SubnetB", "LocalSubnet")
    value = {
        "url": {"Ref": "Queue"},
        "arn": {"Fn::GetAtt": ["Queue", "Arn"]},
        "subnets": {"Fn::Join": [",", [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]]},
        "sub": {"Fn::Sub": "${AWS::Region}:${Queue.Arn}:${!Literal}"},
        "select": {"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]},
    }
    assert resolver.resolve(value) == {
        "url": "https://q",
        "arn": "arn:aws:sqs:us-east-1:123456789012:q",
        "subnets": "subnet-1,subnet-1",
        "sub": "us-east-1:arn:aws:sqs:us-east-1:123456789012:q:${Literal}",
        "select": "b",
    }
    with pytest.raises(TemplateError, match="before it is provisioned"):
        resolver.resolve({"Ref": "Missing"})
    assert referenced_ids(value) == {"Queue", "SubnetA", "SubnetB"}


def test_output_target_finds_resources_by_role() -> None:
    template = Template(
        {
            "Resources": {"B1": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {"VideoBucketName": {"Value": {"Ref": "B1"}}},
        }
    )
    assert template.output_target("VideoBucketName").logical_id == "B1"


def test_worker_command_and_exit_codes() -> None:
    import sys

    assert command_of({"name": "worker", "command": ["python", "-m", "worker"]}, {}) == [
        sys.executable,
        "-m",
        "worker",
    ]
    assert command_of({"name": "worker"}, {})[1:] == ["-m", "worker"]
    assert exit_code_of(-15) == 143 and exit_code_of(1) == 1


def test_a_taken_port_is_a_clean_error_and_leaves_no_runtime_behind() -> None:
    import socket

    from vidpipe.local.runtime import LocalRuntime

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            LocalRuntime(port=port, template={"Resources": {}}).start()
    runtime = LocalRuntime(port=0, template={"Resources": {}}).start()  # the process-wide slot was released
    runtime.stop()

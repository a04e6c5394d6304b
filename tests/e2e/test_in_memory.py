"""The runtime's own AWS side reaches its moto server in memory (vidpipe.local.in_memory), with the answers
HTTP gives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from vidpipe.local import in_memory
from vidpipe.local.aws import client
from vidpipe.local.server import MotoServer

NO_RETRIES = Config(retries={"total_max_attempts": 1}, connect_timeout=2)
KEY = 'uploads/a b/été <b>&amp;</b> "quoted" ünï.mp4'


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    moto = MotoServer(port=0)
    moto.start()
    try:
        yield moto
    finally:
        moto.stop()


@pytest.fixture
def alias(server: MotoServer) -> Iterator[str]:
    """An endpoint where nothing listens, served in memory by the server's application: a call that
    succeeds there did not use a socket."""
    port = _unused_port()
    app = in_memory.served_app(server.port)
    assert app is not None
    in_memory.serve(port, app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        in_memory.stop_serving(port)


def _plain(service: str, endpoint: str) -> Any:
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=NO_RETRIES,
    )  # fmt: skip


def test_a_routed_client_needs_no_socket_and_an_unrouted_one_does(alias: str) -> None:
    routed = in_memory.route(_plain("sqs", alias))
    url = routed.create_queue(QueueName="in-memory")["QueueUrl"]
    assert routed.get_queue_url(QueueName="in-memory")["QueueUrl"] == url
    with pytest.raises(EndpointConnectionError):
        _plain("sqs", alias).list_queues()


def test_any_client_is_served_in_memory_inside_the_scope_only(alias: str) -> None:
    sqs = _plain("sqs", alias)  # made by a session that has the scoped handler (MotoServer.start installs it)
    with in_memory.calls_in_memory():
        assert in_memory.calls_are_in_memory()
        sqs.create_queue(QueueName="scoped")
    assert not in_memory.calls_are_in_memory()
    with pytest.raises(EndpointConnectionError):
        sqs.list_queues()


def _s3_answers(s3: Any, bucket: str) -> list[Any]:
    """What a caller reads back from S3 for an awkward key, metadata with an underscore and missing keys."""
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"\x00video", Metadata={"job_id": "j-1", "trace": "t"})
    got = s3.get_object(Bucket=bucket, Key=KEY)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="uploads/a b/")
    errors = []
    for call in (lambda: s3.get_object(Bucket=bucket, Key="absent"), lambda: s3.head_object(Bucket=bucket, Key="absent")):  # fmt: skip
        with pytest.raises(ClientError) as raised:
            call()
        errors.append((raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]))  # fmt: skip
    return [
        got["Body"].read(),
        got["Metadata"],
        got["ContentLength"],
        [o["Key"] for o in listed["Contents"]],
        errors,
    ]


def _dynamodb_answers(dynamodb: Any, table: str) -> list[Any]:
    dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    dynamodb.put_item(TableName=table, Item={"id": {"S": KEY}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as raised:
        dynamodb.put_item(
            TableName=table, Item={"id": {"S": KEY}}, ConditionExpression="attribute_not_exists(id)"
        )
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": KEY}}, ConsistentRead=True)["Item"]
    return [
        item,
        raised.value.response["Error"]["Code"],
        raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
    ]


def test_answers_in_memory_are_the_answers_over_http(server: MotoServer, alias: str) -> None:
    over_http = [
        _s3_answers(client("s3", server.endpoint_url), "over-http"),
        _dynamodb_answers(client("dynamodb", server.endpoint_url), "over-http"),
    ]
    in_mem = [
        _s3_answers(in_memory.route(client("s3", alias)), "in-memory"),
        _dynamodb_answers(in_memory.route(client("dynamodb", alias)), "in-memory"),
    ]
    assert in_mem == over_http
    assert in_mem[0][0] == b"\x00video" and in_mem[0][1] == {"job_id": "j-1", "trace": "t"}
    assert in_mem[0][4] == [("NoSuchKey", 404), ("404", 404)]
    assert in_mem[1][1:] == ["ConditionalCheckFailedException", 400]


def test_an_operation_moto_lacks_is_an_unknown_operation_as_over_http(alias: str) -> None:
    """The server's middleware (UnimplementedAsError) is part of the application served in memory."""
    ecs = in_memory.route(_plain("ecs", alias))
    with pytest.raises(ClientError) as raised:
        ecs.get_task_protection(cluster="default")
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"


def test_an_application_error_is_a_500_as_werkzeug_answers_it(alias: str) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("moto failed")

    port = int(alias.rsplit(":", 1)[1])
    in_memory.serve(port, broken)
    with pytest.raises(ClientError) as raised:
        in_memory.route(_plain("sqs", alias)).list_queues()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500

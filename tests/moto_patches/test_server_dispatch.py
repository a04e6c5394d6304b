"""Defect 27: moto's server looked up each request's backend anew (a directory listing and up to 183 regular
expressions, under a lock every request takes)."""

from __future__ import annotations

from typing import Any

import pytest
from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import EnvironBuilder

from vidpipe.local import moto_patches


def _signed_request(service: str, target: str) -> dict[str, Any]:
    """The WSGI environ of a SigV4-signed JSON request, as boto3 sends it to the local endpoint."""
    authorization = (
        f"AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
    )
    headers = {"Authorization": authorization, "X-Amz-Target": target, "Host": "127.0.0.1:5000"}
    return dict(EnvironBuilder(path="/", method="POST", headers=headers).get_environ())


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the listings of moto's package directory that a backend lookup makes."""
    moto_patches.apply()
    made: list[int] = []
    original = backends.list_of_moto_modules

    def counted() -> Any:
        made.append(1)
        return original()

    monkeypatch.setattr(backends, "list_of_moto_modules", counted)
    return made


def test_unpatched_moto_lists_its_package_for_every_lookup(listings: list[int]) -> None:
    """The defect, on moto's own function: two lookups of the same host, two directory listings."""
    dispatcher = DomainDispatcherApplication(create_backend_app)
    unpatched = DomainDispatcherApplication.get_backend_for_host.__wrapped__  # type: ignore[attr-defined]
    assert unpatched(dispatcher, "sqs.us-east-1.amazonaws.com") == "sqs"
    assert unpatched(dispatcher, "sqs.us-east-1.amazonaws.com") == "sqs"
    assert len(listings) == 2


def test_each_hosts_backend_is_found_once_and_requests_still_reach_their_service(listings: list[int]) -> None:
    dispatcher = DomainDispatcherApplication(create_backend_app)
    sqs = [dispatcher.get_application(_signed_request("sqs", "AmazonSQS.ListQueues")) for _ in range(3)]
    dynamodb = dispatcher.get_application(_signed_request("dynamodb", "DynamoDB_20120810.ListTables"))
    states = dispatcher.get_application(_signed_request("states", "AWSStepFunctions.ListStateMachines"))
    assert sqs[0] is sqs[1] is sqs[2]
    assert len({id(sqs[0]), id(dynamodb), id(states)}) == 3, "each service keeps its own backend app"
    routed = {backend: app for backend, app in dispatcher.app_instances.items()}
    assert routed == {"sqs": sqs[0], "dynamodb": dynamodb, "stepfunctions": states}
    assert len(listings) == 3, "one lookup per host, at its first request (unpatched: one per request, 5)"

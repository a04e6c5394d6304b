"""AWS clients of the handlers, made once per warm Lambda environment (as AWS recommends: a client outside
the handler is reused by every later invocation) instead of once per invocation.

Keyed by the endpoint and region of the environment, so that a process that hosts several local runtimes in
turn (the tests) never reuses a client of a runtime that has stopped.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3


@functools.cache
def _client(service: str, endpoint: str | None, region: str | None) -> Any:
    return boto3.client(service)


def client(service: str) -> Any:
    """The boto3 client of ``service`` for this environment."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"), region)

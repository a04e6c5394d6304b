"""AWS clients of the handlers, made once per warm Lambda environment (as AWS recommends: a client outside
the handler is reused by every later invocation) instead of once per invocation.

Keyed by the endpoint and region of the environment, so that a process that hosts several local runtimes in
turn (the tests) never reuses a client of a runtime that has stopped. Made under a lock: boto3's default
session is not safe to make clients from in several threads at once (the local runtime runs concurrent
invocations as threads of one process); a made client is thread-safe.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3

_CLIENTS: dict[tuple[str, str | None, str | None], Any] = {}
_LOCK = threading.Lock()


def _client(service: str, endpoint: str | None, region: str | None) -> Any:
    key = (service, endpoint, region)
    with _LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = boto3.client(service)
        return _CLIENTS[key]


def client(service: str) -> Any:
    """The boto3 client of ``service`` for this environment."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"), region)

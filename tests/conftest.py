"""Shared test configuration: every test talks to moto or a local server, never to AWS."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

# Dummy credentials and a region for boto3, set before any client is made. An endpoint or credentials
# from the developer's shell must never leak into a test.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(
    {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
)

EVENTS = Path(__file__).parent / "events"
REPO_ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True, scope="session")
def cli_state_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The CLI remembers the local runtime's boots in $XDG_STATE_HOME: keep it out of the developer's home."""
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))


def load_event(name: str) -> Any:
    """A sample event from ``tests/events/<name>.json``."""
    return json.loads((EVENTS / f"{name}.json").read_text("utf-8"))


@pytest.fixture
def s3_put_body() -> dict[str, Any]:
    """The body of an S3 ObjectCreated:Put notification, as SQS delivers it (parsed)."""
    return load_event("s3_object_created")

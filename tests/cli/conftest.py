"""Fixtures of the CLI tests: a session-wide moto server provisioned by :mod:`cli_stack`, and ``cli``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from cli_stack import Stack, enable_state_machine_execution, provision_stack
from typer.testing import CliRunner


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server on a free port, shared by the session: the local runtime's server (patched moto,
    Step Functions execution on), so that the CLI meets the answers it meets next to `vidpipe local up`."""
    from vidpipe.local import moto_patches
    from vidpipe.local.server import MotoServer

    moto_patches.apply()
    server = MotoServer(port=0)
    endpoint = server.start()
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def _provisioned(moto_endpoint: str) -> dict[str, Stack]:
    return {"stack": provision_stack(moto_endpoint)}


@pytest.fixture
def stack(moto_endpoint: str, _provisioned: dict[str, Stack]) -> Stack:
    """The provisioned stand-in stack, provisioned again if something reset moto.

    moto's state is global to the process: the local runtime (``test_on_local_runtime.py``), when it runs in
    the same pytest process, resets it on shutdown.
    """
    try:
        _provisioned["stack"].client("cloudformation").describe_stacks(StackName=_provisioned["stack"].name)
    except Exception:
        enable_state_machine_execution(moto_endpoint)
        _provisioned["stack"] = provision_stack(moto_endpoint)
    return _provisioned["stack"]


@pytest.fixture
def cli(stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """Run ``vidpipe`` against the stand-in stack: ``cli("jobs", "--json")`` -> click Result."""
    from vidpipe.cli.main import app

    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "VIDPIPE_STACK", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user config file
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    from vidpipe.cli import render

    for console in (render.console, render.err_console):  # created at import: COLUMNS is read then
        monkeypatch.setattr(console, "width", 200)
    runner = CliRunner()

    def run(*args: str, endpoint: str | None = None, stack_name: str | None = None) -> Any:
        argv = ["--endpoint-url", endpoint or stack.endpoint_url, "--stack", stack_name or stack.name, *args]
        return runner.invoke(app, argv, catch_exceptions=False)

    return run


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test reach a real account with the developer's credentials."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


def pytest_configure(config: pytest.Config) -> None:
    """moto warns that it does not model the stack's placeholder resource: expected, not news."""
    config.addinivalue_line(
        "filterwarnings", "ignore:Tried to parse AWS..CloudFormation..WaitConditionHandle:UserWarning"
    )

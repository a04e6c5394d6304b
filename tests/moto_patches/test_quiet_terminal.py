"""Defect 14b: a stop inside a Map logs no error on the local runtime's terminal (the abort is handled)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import EcsTaskLaunch
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_sm, inline_map, run_task_state


def test_a_stop_inside_a_map_logs_no_error(
    sfn: Any, ecs_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Each abort logged "Stepfunctions computation ended with exception 'AttributeError('str' object has no
    attribute 'get')'" at ERROR, although the execution is correctly ABORTED (patch 14)."""
    launched = threading.Event()

    def on_launch(_: EcsTaskLaunch) -> None:
        launched.set()

    moto_patches.set_ecs_task_listener(on_launch)
    arn = create_sm(sfn, inline_map("Run", run_task_state(ecs_env)))
    started = sfn.start_execution(stateMachineArn=arn, name="quiet", input=json.dumps([{"job": "j"}]))
    assert launched.wait(10), "the task was never launched"
    with caplog.at_level(logging.DEBUG, logger="moto.stepfunctions"):
        sfn.stop_execution(executionArn=started["executionArn"], cause="operator")
        assert wait_for_execution(sfn, started["executionArn"])["status"] == "ABORTED"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []

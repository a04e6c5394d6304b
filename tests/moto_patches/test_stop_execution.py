"""Defect (14): StopExecution while a Map iteration waits on a .sync task ends the execution ABORTED."""

from __future__ import annotations

import json
import threading
from typing import Any

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import EcsTaskLaunch
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import create_sm, run_task_state


def test_stopping_an_execution_inside_a_map_aborts_it(sfn: Any, ecs_env: dict[str, str]) -> None:
    launched = threading.Event()

    def on_launch(_: EcsTaskLaunch) -> None:
        launched.set()

    moto_patches.set_ecs_task_listener(on_launch)  # held: the task stays RUNNING until stopped
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Run",
                    "States": {"Run": run_task_state(ecs_env)},
                },
                "End": True,
            }
        },
    }
    arn = create_sm(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, name="stopped", input=json.dumps([{"job": "j"}]))
    assert launched.wait(10), "the task was never launched"
    sfn.stop_execution(executionArn=started["executionArn"], cause="operator")
    assert wait_for_execution(sfn, started["executionArn"])["status"] == "ABORTED"

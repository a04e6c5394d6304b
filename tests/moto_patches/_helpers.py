"""Helpers shared by the moto patch tests."""

from __future__ import annotations

import json
from typing import Any

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/sfn"


def create_sm(sfn: Any, definition: dict[str, Any], name: str = "sm") -> str:
    """Create a STANDARD state machine and return its ARN."""
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def run_task_state(env: dict[str, str], **extra: Any) -> dict[str, Any]:
    """An ``ecs:runTask.sync`` Task state in ASL (PascalCase parameters, as on AWS)."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": {
            "Cluster": env["cluster"],
            "TaskDefinition": env["task_definition"],
            "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": [env["subnet"]],
                    "SecurityGroups": [env["security_group"]],
                    "AssignPublicIp": "ENABLED",
                }
            },
            "Overrides": {
                "ContainerOverrides": [
                    {"Name": "worker", "Environment": [{"Name": "JOB_ID", "Value.$": "$.job"}]}
                ]
            },
        },
        "End": True,
    }
    state.update(extra)
    return state

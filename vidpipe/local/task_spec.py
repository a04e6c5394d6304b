"""What a RunTask asks the local Fargate to run: the command, the container's override environment, the
capacity provider (pure functions of moto's task launch and the task definition)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vidpipe.contract.names import WORKER_CONTAINER_NAME
from vidpipe.local import moto_patches


def capacity_provider_of(launch: moto_patches.EcsTaskLaunch) -> str:
    """FARGATE or FARGATE_SPOT: the first provider of the RunTask strategy, else the launch type."""
    strategy = launch.capacity_provider_strategy or []
    if strategy:
        return str(strategy[0].get("capacityProvider", "FARGATE"))
    return str(launch.launch_type or "FARGATE")


def override_env(overrides: Mapping[str, Any], container_name: str = WORKER_CONTAINER_NAME) -> dict[str, str]:
    """Environment of a container's overrides (moto keeps RunTask's overrides in ECS API casing)."""
    for container in overrides.get("containerOverrides", []) or []:
        if container.get("name") == container_name:
            return {e["name"]: str(e["value"]) for e in container.get("environment", []) or []}
    return {}


def command_of(container: Mapping[str, Any], overrides: Mapping[str, Any]) -> list[str]:
    """The container's command (override first), with ``python`` meaning this interpreter (the venv's).

    Without a command in the task definition (the image's CMD), the worker's documented entry point runs.
    """
    command: list[str] = list(container.get("command") or [])
    for override in overrides.get("containerOverrides", []) or []:
        if override.get("name") == container["name"] and override.get("command"):
            command = list(override["command"])
    if list(container.get("entryPoint") or []):
        command = [*container["entryPoint"], *command]
    if not command:
        command = ["python", "-m", "worker"]
    if Path(command[0]).name in ("python", "python3", "python3.11"):
        command[0] = sys.executable
    return command

"""A minimal stand-in for the local Fargate agent, driving the ECS hooks of moto_patches in tests."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import EcsTaskLaunch


class FakeAgent:
    """Receives RunTask launches and stops each task with the next planned outcome (exit code, stop code)."""

    def __init__(self, outcomes: list[tuple[int | None, str]]) -> None:
        self.outcomes = list(outcomes)
        self.launches: list[EcsTaskLaunch] = []
        self._queue: queue.Queue[EcsTaskLaunch | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.before_stop: Callable[[EcsTaskLaunch], None] | None = None

    def __enter__(self) -> FakeAgent:
        moto_patches.set_ecs_task_listener(self._on_launch)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        moto_patches.set_ecs_task_listener(None)
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _on_launch(self, launch: EcsTaskLaunch) -> None:
        self.launches.append(launch)
        self._queue.put(launch)

    def _run(self) -> None:
        while (launch := self._queue.get()) is not None:
            if self.before_stop is not None:
                self.before_stop(launch)
            exit_code, stop_code = self.outcomes.pop(0)
            moto_patches.stop_ecs_task(launch.task_arn, exit_code=exit_code, stop_code=stop_code)

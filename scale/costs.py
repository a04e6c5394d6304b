"""What a design used during the day, and what that costs (us-east-1 prices of :class:`scale.params.Prices`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scale.params import Prices


@dataclass
class Usage:
    """Billable quantities accumulated by a simulation."""

    vcpu: float
    memory_gb: float
    spot_task_seconds: float = 0.0  # billed (one-minute minimum, whole seconds)
    on_demand_task_seconds: float = 0.0
    interrupted_spot_seconds: float = 0.0  # billed seconds of Spot tasks that were interrupted (wasted)
    task_hours: float = 0.0  # actual task lifetime, for public IPv4 addresses
    tasks_launched: int = 0
    transitions: int = 0
    lambda_invocations: int = 0
    lambda_gb_seconds: float = 0.0
    sqs_requests: float = 0.0
    pipe_requests: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    alarms: int = 0
    public_ip: bool = True

    def bill_task(self, spot: bool, launched: float, stopped: float, interrupted: bool = False) -> None:
        """One Fargate task from the start of its image pull to its stop: per second, one-minute minimum."""
        seconds = max(60.0, math.ceil(stopped - launched))
        self.tasks_launched += 1
        self.task_hours += (stopped - launched) / 3600.0
        if spot:
            self.spot_task_seconds += seconds
            if interrupted:
                self.interrupted_spot_seconds += seconds
        else:
            self.on_demand_task_seconds += seconds


def cost(usage: Usage, prices: Prices, days: float = 1.0) -> dict[str, float]:
    """Dollars per line item, as the day ran (Spot where the design used Spot)."""
    per_second = (usage.vcpu * prices.vcpu_hour + usage.memory_gb * prices.gb_hour) / 3600.0
    return {
        "fargate": per_second
        * (usage.on_demand_task_seconds + usage.spot_task_seconds * (1.0 - prices.spot_discount)),
        "step functions": usage.transitions * prices.transition,
        "lambda": usage.lambda_invocations * prices.lambda_request
        + usage.lambda_gb_seconds * prices.lambda_gb_second,
        "sqs": usage.sqs_requests * prices.sqs_request,
        "pipes": usage.pipe_requests * prices.pipe_request,
        "dynamodb": usage.write_units * prices.write_unit + usage.read_units * prices.read_unit,
        "cloudwatch": usage.alarms * prices.alarm_month * days / 30.0,
        "public ipv4": usage.task_hours * prices.ipv4_hour if usage.public_ip else 0.0,
    }


def on_demand_fargate(usage: Usage, prices: Prices) -> float:
    """Fargate dollars had every task run on-demand (no Spot: the interrupted attempts would not have run)."""
    per_second = (usage.vcpu * prices.vcpu_hour + usage.memory_gb * prices.gb_hour) / 3600.0
    return per_second * (
        usage.on_demand_task_seconds + usage.spot_task_seconds - usage.interrupted_spot_seconds
    )

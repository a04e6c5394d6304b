"""Rules that involve more than one setting, or a setting and an AWS limit; each problem names its setting.

:func:`cross_checks` returns ``(setting key, message)`` pairs; :func:`infra.settings.load_settings` adds the
``vidpipe:`` prefix and reports them with every invalid value at once. A rule is skipped when one of its
values did not parse (that value is already reported). A message that rejects a value for an AWS limit names
the limit, its source and the value that would work.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from infra import history_budget, payload_budget
from infra.paths import REPO_ROOT

Problem = tuple[str, str]

# Fargate CPU units -> allowed memory (MiB).
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

FARGATE_SPOT_DOC = "https://docs.aws.amazon.com/AmazonECS/latest/userguide/fargate-capacity-providers.html"
STEP_FUNCTIONS_QUOTAS_DOC = "https://docs.aws.amazon.com/step-functions/latest/dg/limits.html"
REDRIVE_DOC = "https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html"
PIPES_BATCHING_DOC = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html"
)

ACQUIRE_SLOT_STATE = "AcquireSlot"
"""The ASL state that waits for a concurrency slot (its TimeoutSeconds is slotWaitSeconds)."""
WORKER_REAL_TIME_FACTOR = 1.0
"""Seconds of video the worker analyses per second of wall time, at the least, on the default task (2 vCPU):
measured 7.3x on a 60 s 720p clip (8.2 s, docs/worker.md), and 1.6x with the machine overloaded by other
work; 1.0 leaves room for 4K, high frame rates and smaller tasks. A slower setup needs a larger
analysisTimeoutSeconds, which this rule only bounds from below."""
TASK_START_ALLOWANCE_SECONDS = 600
"""Added to the analysis itself: provisioning the Fargate task, pulling the image, downloading the video."""


def cross_checks(v: dict[str, Any]) -> list[Problem]:
    """Every cross-setting and AWS-limit problem of the parsed values ``v`` (keys without the prefix)."""
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(v))
    return problems


def _has(v: dict[str, Any], *keys: str) -> bool:
    return all(k in v for k in keys)


def _fargate_size(v: dict[str, Any]) -> Iterator[Problem]:
    if not _has(v, "workerCpu", "workerMemoryMiB"):
        return
    cpu, memory = v["workerCpu"], v["workerMemoryMiB"]
    if cpu not in FARGATE_MEMORY:
        yield "workerCpu", f"expected one of {sorted(FARGATE_MEMORY)}, got {cpu}"
    elif memory not in FARGATE_MEMORY[cpu]:
        allowed = FARGATE_MEMORY[cpu]
        yield (
            "workerMemoryMiB",
            (
                f"{memory} is not valid with workerCpu {cpu} "
                f"(allowed: {allowed[0]}..{allowed[-1]} in steps of {allowed[1] - allowed[0]})"
            ),
        )


def _spot_architecture(v: dict[str, Any]) -> Iterator[Problem]:
    if _has(v, "workerSpot", "workerArchitecture") and v["workerSpot"] and v["workerArchitecture"] == "ARM64":
        yield (
            "workerSpot",
            (
                'workerArchitecture ARM64 cannot run on Fargate Spot ("Linux tasks with the ARM64 architecture '
                f"don't support the Fargate Spot capacity provider\", {FARGATE_SPOT_DOC}): every Spot attempt "
                "would fail before the on-demand one. Set vidpipe:workerSpot=false (on-demand Fargate only) or "
                "vidpipe:workerArchitecture=X86_64"
            ),
        )


def _queue_and_pipe(v: dict[str, Any]) -> Iterator[Problem]:
    batching = _has(v, "pipeBatchSize", "pipeMaximumBatchingWindowSeconds")
    if batching and v["pipeBatchSize"] > 10 and v["pipeMaximumBatchingWindowSeconds"] < 1:
        yield "pipeMaximumBatchingWindowSeconds", "must be >= 1 when pipeBatchSize > 10"
    if _has(v, "queueVisibilityTimeoutSeconds", "pipeMaximumBatchingWindowSeconds"):
        minimum = v["pipeMaximumBatchingWindowSeconds"] + 30
        if v["queueVisibilityTimeoutSeconds"] < minimum:
            yield (
                "queueVisibilityTimeoutSeconds",
                (
                    f"must be at least pipeMaximumBatchingWindowSeconds + 30 ({minimum}), "
                    f"got {v['queueVisibilityTimeoutSeconds']}"
                ),
            )


def _batch_payload(v: dict[str, Any]) -> Iterator[Problem]:
    if not _has(v, "pipeBatchSize"):
        return
    size = v["pipeBatchSize"]
    fits = payload_budget.max_records_in_pipe_payload()
    if size > fits:
        yield (
            "pipeBatchSize",
            (
                f"{size} records can exceed the {payload_budget.PIPE_TARGET_PAYLOAD_CHARS:,}-character payload "
                f"EventBridge Pipes delivers to a Step Functions target ({PIPES_BATCHING_DOC}) and the "
                f"{payload_budget.STATE_PAYLOAD_BYTES:,}-byte execution input ({STEP_FUNCTIONS_QUOTAS_DOC}): an SQS "
                f"record with one S3 event takes up to {payload_budget.WORST_RECORD_CHARS:,} characters "
                f"(1,024-byte key, URL-encoded). Set pipeBatchSize to at most {fits}"
            ),
        )
    fits = payload_budget.max_records_in_prepare_output()
    if size > fits:
        yield (
            "pipeBatchSize",
            (
                f"{size} records can exceed the {payload_budget.STATE_PAYLOAD_BYTES:,}-byte state output of "
                f"Prepare's job list ({STEP_FUNCTIONS_QUOTAS_DOC}): one record's job or rejection takes up to "
                f"{payload_budget.WORST_PREPARE_ENTRY_BYTES:,} bytes (a 1,024-byte key of control characters, "
                f"JSON-escaped, three times, and a 1,024-byte version id). Set pipeBatchSize to at most {fits}"
            ),
        )


def _definition(v: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The ASL file of stateMachineDefinition, parsed (placeholders are inside strings: valid JSON)."""
    path = REPO_ROOT / Path(v["stateMachineDefinition"])
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return None, [("stateMachineDefinition", f"cannot read the ASL file {path}: {exc}")]
    if not isinstance(definition, dict) or "States" not in definition:
        return None, [("stateMachineDefinition", f"{path} is not an ASL definition (no States)")]
    return definition, []


def _history(v: dict[str, Any], definition: dict[str, Any]) -> Iterator[Problem]:
    if not _has(v, "pipeBatchSize"):
        return
    file = v["stateMachineDefinition"]
    size, limit = v["pipeBatchSize"], history_budget.REDRIVE_EVENT_LIMIT
    worst = history_budget.execution_events(definition, size)
    if worst < limit:
        return
    own = history_budget.execution_events(definition, 0)
    per_job = history_budget.execution_events(definition, 1) - own
    fits = history_budget.max_iterations(definition, limit, size)
    advice = (
        f"Set pipeBatchSize to at most {fits}"
        if fits
        else "Even one job is too many: lower the retry budgets (MaxAttempts) in the ASL"
    )
    yield (
        "pipeBatchSize",
        (
            f"{size} jobs can make one execution's history reach {worst:,} events ({file}, every retry used: "
            f"{per_job:,} events per job + {own} of the execution itself); Step Functions fails an execution at "
            f"{history_budget.HISTORY_EVENT_LIMIT:,} events ({STEP_FUNCTIONS_QUOTAS_DOC}) and redrives only "
            f"executions with fewer than {limit:,} ({REDRIVE_DOC}). {advice}"
        ),
    )


def _slot_wait(v: dict[str, Any], definition: dict[str, Any]) -> Iterator[Problem]:
    if not _has(v, "slotWaitSeconds", "executionTimeoutSeconds"):
        return
    state = history_budget.find_state(definition, ACQUIRE_SLOT_STATE)
    if state is None or not ({"TimeoutSeconds", "TimeoutSecondsPath"} & set(state)):
        return  # no bounded wait in this definition: slotWaitSeconds is not used
    retrier = history_budget.first_retrier_for(state, "States.Timeout")
    retries = 0 if retrier is None else int(retrier.get("MaxAttempts", history_budget.DEFAULT_MAX_ATTEMPTS))
    wait, timeout = v["slotWaitSeconds"], v["executionTimeoutSeconds"]
    if wait * (1 + retries) < timeout:
        yield (
            "slotWaitSeconds",
            (
                f"{wait} s x (1 + {retries} States.Timeout retries of {ACQUIRE_SLOT_STATE} in "
                f"{v['stateMachineDefinition']}) = {wait * (1 + retries)} s does not cover executionTimeoutSeconds "
                f"{timeout} s: a job still waiting for a slot would fail with States.Timeout before the execution "
                f"times out. Set slotWaitSeconds to at least {math.ceil(timeout / (1 + retries))}, or raise that "
                "retrier's MaxAttempts"
            ),
        )


def _asl_rules(v: dict[str, Any]) -> Iterator[Problem]:
    if not _has(v, "stateMachineDefinition"):
        return
    definition, problems = _definition(v)
    yield from problems
    if definition is None:
        return
    try:
        yield from _history(v, definition)
        yield from _slot_wait(v, definition)
    except (history_budget.DefinitionError, KeyError, TypeError, ValueError) as exc:
        yield "stateMachineDefinition", f"cannot walk {v['stateMachineDefinition']}: {exc}"


def _analysis_timeout(v: dict[str, Any]) -> Iterator[Problem]:
    if not _has(v, "analysisTimeoutSeconds", "workerMaxDurationSeconds"):
        return
    needed = math.ceil(v["workerMaxDurationSeconds"] / WORKER_REAL_TIME_FACTOR) + TASK_START_ALLOWANCE_SECONDS
    if v["analysisTimeoutSeconds"] < needed:
        yield (
            "analysisTimeoutSeconds",
            (
                f"{v['analysisTimeoutSeconds']} s does not cover the longest video the worker accepts: "
                f"workerMaxDurationSeconds {v['workerMaxDurationSeconds']} s at the worker's design speed of "
                f"{WORKER_REAL_TIME_FACTOR:g}x real time + {TASK_START_ALLOWANCE_SECONDS} s to start the task and "
                f"fetch the video = {needed} s. Set analysisTimeoutSeconds to at least {needed}, or lower "
                "workerMaxDurationSeconds"
            ),
        )


def _network(v: dict[str, Any]) -> Iterator[Problem]:
    if _has(v, "vpcId", "subnetIds"):
        if v["vpcId"] and not v["subnetIds"]:
            yield "subnetIds", "required when vpcId is set"
        if v["subnetIds"] and not v["vpcId"]:
            yield "vpcId", "required when subnetIds is set"
        if v["vpcId"] and not re.fullmatch(r"vpc-[0-9a-f]{8,17}", v["vpcId"]):
            yield "vpcId", f"expected vpc-<hex>, got {v['vpcId']!r}"
        for subnet in v["subnetIds"]:
            if not re.fullmatch(r"subnet-[0-9a-f]{8,17}", subnet):
                yield "subnetIds", f"expected subnet-<hex>, got {subnet!r}"
    if _has(v, "vpcCidr") and not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-8])", v["vpcCidr"]):
        yield "vpcCidr", f"expected an IPv4 CIDR with prefix /16../28, got {v['vpcCidr']!r}"


def _names(v: dict[str, Any]) -> Iterator[Problem]:
    if _has(v, "stackName") and not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", v["stackName"]):
        yield "stackName", f"not a valid CloudFormation stack name: {v['stackName']!r}"
    email = v.get("alarmEmail")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        yield "alarmEmail", f"not an email address: {email!r}"


RULES: tuple[Callable[[dict[str, Any]], Iterator[Problem]], ...] = (
    _fargate_size, _spot_architecture, _queue_and_pipe, _batch_payload, _asl_rules, _analysis_timeout,
    _network, _names,
)  # fmt: skip

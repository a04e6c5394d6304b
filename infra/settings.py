"""Deployment settings: every default in one table, user context merged over it, every problem reported at once.

The CDK context (``cdk.json``'s ``context`` block or ``cdk synth -c vidpipe:workerCpu=2048``) holds the
user's choices. Values from ``-c`` always arrive as strings, so each setting parses strings as well as JSON
values. :func:`load_settings` collects *every* invalid value before raising, so one synth tells the user all
that is wrong; the rules across settings and against AWS limits are in :mod:`infra.settings_rules`. ``docs/configuration.md`` is rendered from :data:`SETTINGS` by :func:`render_markdown` (a test
checks the committed file is current), so the documented defaults cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra import history_budget as history
from infra import payload_budget as payload
from infra import settings_rules as rules
from vidpipe.contract.names import DEFAULT_STACK_NAME

PREFIX = "vidpipe:"
"""Every context key of this app starts with this prefix (``vidpipe:workerCpu``)."""

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip


class SettingsError(ValueError):
    """One or more context values are invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid vidpipe settings:\n  - " + "\n  - ".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------------------
# Parsers: take a context value (JSON value or the string -c gives), return the typed value or raise ValueError.
# --------------------------------------------------------------------------------------------------------
def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"expected true or false, got {value!r}")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value.strip()


def _str_list(value: Any) -> tuple[str, ...]:
    """A JSON list of strings, or a comma-separated string (what ``-c`` can express)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ValueError(f"expected a list of strings or a comma-separated string, got {value!r}")


def _json_object(value: Any) -> str:
    """An analyzer-options object, given as a JSON object or its JSON text; returned as compact JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"expected a JSON object, got invalid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {value!r}")
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _str(value).upper()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    parse.__doc__ = " | ".join(choices)
    return parse


def _ranged(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = _int(value)
        if not low <= number <= high:
            raise ValueError(f"expected {low}..{high}, got {number}")
        return number

    parse.__doc__ = f"integer {low}..{high}"
    return parse


def _retention(value: Any) -> int:
    days = _int(value)
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"expected one of CloudWatch's retention periods {LOG_RETENTION_DAYS}, got {days}")
    return days


_retention.__doc__ = "days, a CloudWatch Logs retention period"


@dataclass(frozen=True)
class Setting:
    """One context key: its default (as written in cdk.json), parser, type label for the docs and meaning."""

    key: str
    default: Any
    parse: Callable[[Any], Any]
    kind: str
    doc: str

    @property
    def context_key(self) -> str:
        return PREFIX + self.key


SETTINGS: tuple[Setting, ...] = (
    # -- stack ------------------------------------------------------------------------------------------------
    Setting("stackName", DEFAULT_STACK_NAME, _str, "string", "CloudFormation stack name."),
    Setting("removalPolicy", "RETAIN", _choice("RETAIN", "DESTROY"), "RETAIN | DESTROY",
            "What happens to the buckets, the job table and their keys when the stack is deleted. RETAIN also "
            "turns on the table's deletion protection. DESTROY is for throw-away stacks (a non-empty bucket "
            "still blocks the delete)."),
    Setting("logRetentionDays", 30, _retention, "days", "Retention of every log group of the stack."),
    # -- storage ----------------------------------------------------------------------------------------------
    Setting("bucketEncryption", "S3_MANAGED", _choice("S3_MANAGED", "KMS"), "S3_MANAGED | KMS",
            "Encryption of the video and results buckets: SSE-S3, or SSE-KMS with a customer-managed key "
            "(rotation on) created by the stack. The access-log bucket always uses SSE-S3 (S3 server access "
            "logging cannot write to SSE-KMS buckets)."),
    Setting("tableEncryption", "AWS_MANAGED", _choice("AWS_MANAGED", "CUSTOMER_MANAGED"),
            "AWS_MANAGED | CUSTOMER_MANAGED", "Encryption of the job table."),
    # -- queue and pipe ---------------------------------------------------------------------------------------
    Setting("queueMaxReceiveCount", 5, _ranged(1, 1000), "integer 1..1000",
            "Deliveries of one message the pipe may fail (e.g. StartExecution throttled) before the message "
            "moves to the dead-letter queue."),
    Setting("queueVisibilityTimeoutSeconds", 120, _ranged(30, 43200), "seconds 30..43200",
            "Visibility timeout of the queue. It must cover the pipe's batching window plus the "
            "StartExecution call (FIRE_AND_FORGET returns at once): at least batching window + 30 s."),
    Setting("queueRetentionDays", 4, _ranged(1, 14), "days 1..14", "Retention of messages in the queue."),
    Setting("dlqRetentionDays", 14, _ranged(1, 14), "days 1..14",
            "Retention of messages in the dead-letter queues (pipe source and status-change rule)."),
    Setting("pipeBatchSize", 1, _ranged(1, 10000), "integer 1..10000",
            "Records per state machine execution. Above 10 the batching window must be at least 1 s. Bounded "
            "by AWS limits (rules below): the pipe's 262,144-character payload, Prepare's 256 KB state output "
            "and the 25,000-event execution history, worst cases computed at synth (the history from the ASL)."),
    Setting("pipeMaximumBatchingWindowSeconds", 0, _ranged(0, 300), "seconds 0..300",
            "How long the pipe waits to fill a batch."),
    Setting("pipeLogLevel", "ERROR", _choice("OFF", "ERROR", "INFO", "TRACE"), "OFF | ERROR | INFO | TRACE",
            "Log level of the pipe's CloudWatch Logs destination."),
    # -- workflow ---------------------------------------------------------------------------------------------
    Setting("stateMachineDefinition", "statemachine/pipeline.asl.json", _str, "path",
            "ASL file (relative to the repository root) with `${Placeholder}` values the stack substitutes."),
    Setting("stateMachineLogLevel", "ALL", _choice("ALL", "ERROR", "FATAL", "OFF"), "ALL | ERROR | FATAL | OFF",
            "Step Functions execution logging to CloudWatch Logs (execution data included)."),
    Setting("executionTimeoutSeconds", 86400, _ranged(60, 31536000), "seconds",
            "Overall timeout of one execution, written as the deployed definition's top-level TimeoutSeconds "
            "(replacing the file's). It covers waiting for a concurrency slot, every analysis attempt and "
            "recording: size it for a burst of uploads queued behind maxConcurrentTasks."),
    Setting("maxConcurrentTasks", 20, _ranged(1, 5000), "integer 1..5000",
            "Cap on analysis tasks running at once across all executions (the concurrency slots in DynamoDB). "
            "Keep it at most the account's Fargate vCPU quota (Service Quotas: Fargate On-Demand vCPU resource "
            "count, and the Fargate Spot one when workerSpot is on) divided by the task's vCPUs (workerCpu / "
            "1024): tasks beyond the quota fail to start, and each failure costs a retry."),
    Setting("slotWaitSeconds", 3600, _ranged(60, 86400), "seconds 60..86400",
            "Longest single wait of a job for a free slot (TimeoutSeconds of the AcquireSlot state); then the "
            "state's States.Timeout retrier runs the acquisition again, which finds the job's place in line. "
            "slotWaitSeconds x (1 + that retrier's MaxAttempts, read from the ASL) must cover "
            "executionTimeoutSeconds."),
    Setting("analysisTimeoutSeconds", 10800, _ranged(60, 604800), "seconds 60..604800",
            "TimeoutSeconds of each analysis state (Spot and on-demand): a task running longer fails the "
            "attempt. Must cover workerMaxDurationSeconds at the worker's design speed (real time) plus 600 s "
            "to start the task and fetch the video."),
    Setting("reconcilerIntervalMinutes", 5, _ranged(1, 60), "minutes 1..60",
            "Period of the reconciler's schedule, which frees the slots and fails the jobs of executions that "
            "ended without cleaning up (a lost status-change event)."),
    # -- worker (ECS Fargate) ---------------------------------------------------------------------------------
    Setting("workerCpu", 2048, _int, "CPU units", "Fargate task CPU (256, 512, 1024, 2048, 4096, 8192, 16384)."),
    Setting("workerMemoryMiB", 4096, _int, "MiB", "Fargate task memory; must be valid for workerCpu."),
    Setting("workerArchitecture", "X86_64", _choice("X86_64", "ARM64"), "X86_64 | ARM64",
            "CPU architecture of the task (and of the image built from worker/Dockerfile). ARM64 needs "
            "workerSpot false (Fargate Spot runs X86_64 Linux tasks only)."),
    Setting("workerSpot", True, _bool, "true | false",
            "Run each analysis on Fargate Spot first, then on on-demand Fargate if Spot fails; false: "
            "on-demand Fargate only."),
    Setting("workerEphemeralStorageGiB", 21, _ranged(21, 200), "GiB 21..200", "Task ephemeral storage."),
    Setting("workerImage", "", _str, "image URI or empty",
            "Empty: build the image from worker/Dockerfile (build context: the repository root) as a CDK "
            "asset. Otherwise a registry image URI to run instead (no Docker needed to deploy)."),
    Setting("workerOptions", {}, _json_object, "JSON object",
            "Default analyzer options, passed to the worker as VIDPIPE_OPTIONS."),
    Setting("workerMaxBytes", 2147483648, _ranged(1, 5 * 1024**4), "bytes",
            "Largest video accepted (VIDPIPE_MAX_BYTES of the worker and of prepare); larger ones are REJECTED."),
    Setting("workerMaxDurationSeconds", 7200, _ranged(1, 86400), "seconds",
            "Longest video the worker analyses (VIDPIPE_MAX_DURATION_SECONDS); longer ones are REJECTED."),
    # -- network ----------------------------------------------------------------------------------------------
    Setting("vpcId", "", _str, "vpc id or empty",
            "Empty: create a VPC with public subnets only (no NAT gateway; tasks get public IPs and reach S3 "
            "through a gateway endpoint). Otherwise run the tasks in this existing VPC (set subnetIds too)."),
    Setting("subnetIds", [], _str_list, "list of subnet ids",
            "Subnets of the existing VPC for the tasks (JSON list or comma-separated). Private subnets need a "
            "NAT gateway or VPC endpoints (ECR, logs, S3, DynamoDB is not used by the task)."),
    Setting("assignPublicIp", "", _choice("", "ENABLED", "DISABLED"), "ENABLED | DISABLED | empty",
            "Public IP for the tasks. Empty: ENABLED for the created VPC, DISABLED for an existing VPC."),
    Setting("vpcCidr", "10.42.0.0/16", _str, "CIDR", "CIDR block of the created VPC."),
    Setting("vpcMaxAzs", 2, _ranged(1, 6), "integer 1..6", "Availability zones (public subnets) of the created VPC."),
    # -- Lambda -----------------------------------------------------------------------------------------------
    Setting("lambdaArchitecture", "ARM64", _choice("ARM64", "X86_64"), "ARM64 | X86_64",
            "Architecture of the three Lambda functions (their dependencies are installed for it)."),
    Setting("lambdaMemoryMiB", 512, _ranged(128, 10240), "MiB 128..10240", "Memory of each Lambda function."),
    Setting("lambdaTimeoutSeconds", 60, _ranged(3, 900), "seconds 3..900", "Timeout of each Lambda function."),
    # -- failure handling and monitoring ----------------------------------------------------------------------
    Setting("statusChangeRetryAttempts", 8, _ranged(0, 185), "integer 0..185",
            "Retries of the status-change rule's Lambda target before the event goes to the rule's DLQ."),
    Setting("statusChangeMaxEventAgeSeconds", 86400, _ranged(60, 86400), "seconds 60..86400",
            "Oldest status-change event the rule still retries."),
    Setting("alarmEmail", "", _str, "email or empty", "If set, subscribe this address to the alarm topic."),
)  # fmt: skip

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The validated settings; attributes are the keys in snake case (``settings.worker_memory_mib``)."""

    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        wanted = name.replace("_", "").lower()  # worker_memory_mib -> workerMemoryMiB
        for key, value in self.values.items():
            if key.lower() == wanted:
                return value
        raise AttributeError(name)

    @property
    def uses_existing_vpc(self) -> bool:
        return bool(self.values["vpcId"])

    @property
    def first_capacity_provider(self) -> str:
        """The capacity provider of the first analysis attempt: FARGATE_SPOT, or FARGATE without Spot."""
        return "FARGATE_SPOT" if self.values["workerSpot"] else "FARGATE"

    @property
    def public_ip(self) -> str:
        """ENABLED or DISABLED, resolving the empty default from the VPC choice."""
        chosen = self.values["assignPublicIp"]
        if chosen:
            return str(chosen)
        return "DISABLED" if self.uses_existing_vpc else "ENABLED"


def defaults() -> dict[str, Any]:
    """The context block of cdk.json: every key with its default, as JSON values (fresh objects)."""
    return {s.context_key: json.loads(json.dumps(s.default)) for s in SETTINGS}


def load_settings(context: Mapping[str, Any] | Callable[[str], Any]) -> Settings:
    """Merge ``context`` over the defaults, parse and cross-check every value; raise once with every problem.

    ``context`` is a mapping of context keys (with the ``vidpipe:`` prefix) or a getter such as
    ``node.try_get_context``. Unknown ``vidpipe:`` keys are errors (a typo would otherwise be ignored).

    Raises:
        SettingsError: with one line per invalid or unknown key and per violated cross-setting rule.
    """
    if callable(context):
        get = context
        unknown: list[str] = []
    else:
        get = context.get
        unknown = sorted(k for k in context if k.startswith(PREFIX) and k[len(PREFIX) :] not in BY_KEY)
    problems = [f"{key}: unknown setting (known: see docs/configuration.md)" for key in unknown]
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = get(setting.context_key)
        if raw is None:
            raw = setting.default
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            problems.append(f"{setting.context_key}: {exc}")
    problems.extend(f"{PREFIX}{key}: {message}" for key, message in rules.cross_checks(values))
    if problems:
        raise SettingsError(problems)
    return Settings(values)


def render_markdown() -> str:
    """docs/configuration.md, generated from :data:`SETTINGS` (``python -m infra.settings > docs/...``)."""
    lines = [
        "# Configuration (CDK context)",
        "",
        "<!-- Generated by `python -m infra.settings > docs/configuration.md`; "
        "tests/infra checks it is current. Do not edit by hand. -->",
        "",
        "Every setting is a CDK context key with the `vidpipe:` prefix. The committed `cdk.json` lists each "
        "key with its default; change a value there, or override it for one command with "
        "`npx cdk deploy -c vidpipe:workerCpu=4096` (values given with `-c` are strings and are parsed: "
        "numbers, `true`/`false`, comma-separated lists, JSON objects). Unknown `vidpipe:` keys and invalid "
        "values fail the synth with one message listing every problem.",
        "",
        "| Key | Default | Type | Meaning |",
        "| --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        default = json.dumps(s.default)
        lines.append(f"| `{s.context_key}` | `{default}` | {s.kind} | {s.doc} |")
    lines += [
        "",
        "Cross-setting rules (infra/settings_rules.py): workerMemoryMiB must be a Fargate size valid for "
        "workerCpu; workerArchitecture ARM64 needs workerSpot false; pipeBatchSize > 10 needs "
        "pipeMaximumBatchingWindowSeconds >= 1; queueVisibilityTimeoutSeconds >= "
        "pipeMaximumBatchingWindowSeconds + 30; vpcId and subnetIds go together; analysisTimeoutSeconds >= "
        f"workerMaxDurationSeconds / {rules.WORKER_REAL_TIME_FACTOR:.1f} (the worker's design speed, in "
        f"multiples of real time) + {rules.TASK_START_ALLOWANCE_SECONDS} s.",
        "",
        "AWS limits (each message names the limit and its source): pipeBatchSize is bounded by the pipe's "
        f"{payload.PIPE_TARGET_PAYLOAD_CHARS:,}-character payload to a Step Functions target (at most "
        f"{payload.max_records_in_pipe_payload()} records of the worst size, {payload.WORST_RECORD_CHARS:,} "
        "characters: an SQS record with one S3 event, a 1,024-byte key URL-encoded, a 1,024-byte version id), "
        f"by Step Functions' {payload.STATE_PAYLOAD_BYTES:,}-byte state output for Prepare's job list (at most "
        f"{payload.max_records_in_prepare_output()} records of the worst size, "
        f"{payload.WORST_PREPARE_ENTRY_BYTES:,} bytes) and by the execution history: the worst case of the "
        "ASL file (every retry of every state used, on the costliest path through each Map iteration) times "
        f"pipeBatchSize plus the execution's own events must stay under {history.REDRIVE_EVENT_LIMIT:,} (Step "
        f"Functions fails an execution at {history.HISTORY_EVENT_LIMIT:,} events; RedriveExecution needs fewer "
        f"than {history.REDRIVE_EVENT_LIMIT:,}). slotWaitSeconds x (1 + the MaxAttempts of "
        f"{rules.ACQUIRE_SLOT_STATE}'s States.Timeout retrier in the ASL) must cover executionTimeoutSeconds. "
        "infra/payload_budget.py and infra/history_budget.py derive the bounds (S3 puts one event record in "
        "each notification message).",
        "",
        "Fixed choices (not settings): Lambda runtime python3.14 (wheels bundled for it; see deploy.md), Step Functions "
        "type STANDARD, pipe invocation FIRE_AND_FORGET, SQS-managed queue encryption (S3 notifications "
        "cannot use the AWS-managed `alias/aws/sqs` key), X-Ray tracing on the state machine and functions.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")

"""Synthesize the stack from Python and get its CloudFormation template (cached), for the local runtime.

The local runtime builds its moto resources from this template, so the deployed stack and the local
pipeline share one definition of each part. Where to find each part (one resource of each type unless
noted; logical ids carry CDK's hash suffix, so look resources up by type, or by the stable prefix below):

* State machine: ``AWS::StepFunctions::StateMachine`` (prefix ``WorkflowStateMachine``):
  ``Properties.DefinitionString`` (the ASL text, top-level ``TimeoutSeconds`` added from settings) and
  ``Properties.DefinitionSubstitutions`` (placeholder -> value or intrinsic). ``StateMachineType``.
* Notification suffix filters: ``Custom::S3BucketNotifications`` (prefix ``StorageVideoBucketNotifications``):
  ``Properties.NotificationConfiguration.QueueConfigurations[*].Filter.Key.FilterRules[*]``
  (``{"Name": "suffix", "Value": ".mp4"}``), events ``["s3:ObjectCreated:*"]``.
* Queue and DLQ: ``AWS::SQS::Queue`` ``IngestQueue...`` (``VisibilityTimeout``, ``MessageRetentionPeriod``,
  ``RedrivePolicy.maxReceiveCount``) and ``IngestDeadLetterQueue...``. ``FailuresDeadLetterQueue...`` is the
  status-change rule's DLQ, ``FailuresFailureQueue...`` its function's asynchronous on-failure destination
  (``AWS::Lambda::EventInvokeConfig`` ``StatusChangeFunctionEventInvokeConfig...``).
* Pipe: ``AWS::Pipes::Pipe`` (prefix ``IngestPipe``): ``SourceParameters.FilterCriteria.Filters[0].Pattern``
  (JSON text), ``SourceParameters.SqsQueueParameters.BatchSize`` / ``MaximumBatchingWindowInSeconds``,
  ``TargetParameters.StepFunctionStateMachineParameters.InvocationType``.
* Task definition: ``AWS::ECS::TaskDefinition``: ``ContainerDefinitions[0]`` (``Name`` "worker",
  ``Command``, ``Environment`` list of ``{"Name", "Value"}``, ``LogConfiguration``), ``Cpu``, ``Memory``.
* Tables: ``AWS::DynamoDB::Table`` ``StorageJobTable...`` (``KeySchema``, ``AttributeDefinitions``,
  ``GlobalSecondaryIndexes``) and ``StorageSlotTable...`` (partition ``pk`` and sort key ``sk``).
* Reconciler: ``AWS::Scheduler::Schedule`` ``ReconcilerSchedule...`` (``ScheduleExpression``, ``Target.Arn``
  the reconcile function, ``Target.Input``).
* Status-change rule: ``AWS::Events::Rule``: ``EventPattern`` (``source``, ``detail-type``,
  ``detail.status``, ``detail.stateMachineArn``) and ``Targets[0]`` (the status-change function).
* Lambda functions: ``AWS::Lambda::Function`` with prefixes ``PrepareFunction``, ``AcquireSlotFunction``,
  ``RecordFunction``, ``RecordFailureFunction``, ``ConcludeFunction``, ``StatusChangeFunction``,
  ``ReconcileFunction`` (``Handler``, ``Environment.Variables``). One more function,
  ``BucketNotificationsHandler...``, is CDK's deploy-time helper.
* Outputs: keys exactly ``vidpipe.contract.names.Output.*``.

Helpers :func:`resources_of_type` and :func:`resource_with_prefix` do these look-ups.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from infra.paths import CACHE_DIR, REPO_ROOT

CACHE_INPUTS = ("infra", "statemachine", "tasks", "vidpipe/contract", "vidpipe/__init__.py", "worker",
                "cdk.json", "constraints.txt", "pyproject.toml")  # fmt: skip
"""Everything the template depends on (worker/ only moves the image asset's hash, but is small to hash)."""


def cdk_json_context(path: Path = REPO_ROOT / "cdk.json") -> dict[str, Any]:
    """The ``context`` block of cdk.json (what the CLI would pass to the app)."""
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def _fingerprint(context: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(context, sort_keys=True, default=str).encode())
    for package in ("aws-cdk-lib", "cdk-nag"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    for relative in CACHE_INPUTS:
        path = REPO_ROOT / relative
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(file.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def synthesize(
    context: Mapping[str, Any] | None = None,
    outdir: str | os.PathLike[str] | None = None,
    *,
    use_cache: bool = True,
) -> dict[str, Any]:
    """Synthesize the vidpipe stack (cdk-nag included) and return its CloudFormation template as a dict.

    Args:
        context: ``vidpipe:`` context values, merged over cdk.json's context (as ``cdk synth -c`` would).
        outdir: keep the cloud assembly there; by default a temporary directory, removed afterwards.
        use_cache: reuse ``.vidpipe/cache/synth/<hash>.json`` when the context, the sources and the CDK
            versions are unchanged (a cold synth takes several seconds; a cached one milliseconds).

    Raises:
        SettingsError: invalid context values (every problem listed).
        RuntimeError: cdk-nag or another validation plugin failed (report in ``<outdir>/validation-report.json``).
    """
    merged = {**cdk_json_context(), **(context or {})}
    cache_file = CACHE_DIR / "synth" / f"{_fingerprint(merged)}.json"
    if use_cache and outdir is None and cache_file.is_file():
        return dict(json.loads(cache_file.read_text()))

    from infra.app import build_app  # heavy (starts the jsii runtime): only when really synthesizing

    temporary = outdir is None
    target = Path(tempfile.mkdtemp(prefix="vidpipe-synth-")) if temporary else Path(outdir)  # type: ignore[arg-type]
    try:
        app, stack = build_app(merged, outdir=str(target))
        assembly = app.synth()
        template = dict(assembly.get_stack_artifact(stack.artifact_id).template)
    finally:
        if temporary:
            shutil.rmtree(target, ignore_errors=True)
    if use_cache:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(template))
        os.replace(partial, cache_file)
    return template


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource for every resource of one CloudFormation type."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def resource_with_prefix(
    template: Mapping[str, Any], resource_type: str, prefix: str
) -> tuple[str, dict[str, Any]]:
    """The one resource of ``resource_type`` whose logical id starts with ``prefix`` (e.g. ``IngestQueue``)."""
    found = [(k, v) for k, v in resources_of_type(template, resource_type).items() if k.startswith(prefix)]
    if len(found) != 1:
        raise LookupError(
            f"expected one {resource_type} with prefix {prefix!r}, found {[k for k, _ in found]}"
        )
    return found[0]

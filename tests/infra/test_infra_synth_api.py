"""infra.synth: the programmatic synth the local runtime reads the stack's definitions from."""

from __future__ import annotations

import json
import time

import pytest
from infra_support import BASE_CONTEXT, Synth

from infra.synth import resource_with_prefix, resources_of_type, synthesize


def test_cached_synth_returns_the_same_template_quickly(synth: Synth) -> None:
    """The session synth (with an outdir) wrote the cache; a plain call with the same context hits it."""
    from infra.synth import _fingerprint, cdk_json_context

    if _fingerprint({**cdk_json_context(), **BASE_CONTEXT}) != synth.fingerprint:
        pytest.skip("a source file changed during the test session (someone is editing the checkout)")
    started = time.perf_counter()
    template = synthesize(BASE_CONTEXT)
    assert time.perf_counter() - started < 1.0
    assert json.dumps(template, sort_keys=True) == json.dumps(synth.template, sort_keys=True)


def test_documented_lookups_find_each_part(synth: Synth) -> None:
    """The look-ups promised in infra.synth's docstring (the local runtime relies on them)."""
    t = synth.template
    assert len(resources_of_type(t, "AWS::StepFunctions::StateMachine")) == 1
    _, machine = resource_with_prefix(t, "AWS::StepFunctions::StateMachine", "WorkflowStateMachine")
    assert {"DefinitionString", "DefinitionSubstitutions"} <= set(machine["Properties"])
    _, notifications = resource_with_prefix(
        t, "Custom::S3BucketNotifications", "StorageVideoBucketNotifications"
    )
    assert notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    _, queue = resource_with_prefix(t, "AWS::SQS::Queue", "IngestQueue")
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    resource_with_prefix(t, "AWS::SQS::Queue", "IngestDeadLetterQueue")
    resource_with_prefix(t, "AWS::SQS::Queue", "FailuresDeadLetterQueue")
    resource_with_prefix(t, "AWS::SQS::Queue", "FailuresFailureQueue")
    resource_with_prefix(t, "AWS::DynamoDB::Table", "StorageJobTable")
    resource_with_prefix(t, "AWS::DynamoDB::Table", "StorageSlotTable")
    resource_with_prefix(t, "AWS::Scheduler::Schedule", "ReconcilerSchedule")
    resource_with_prefix(t, "AWS::Lambda::EventInvokeConfig", "StatusChangeFunctionEventInvokeConfig")
    _, pipe = resource_with_prefix(t, "AWS::Pipes::Pipe", "IngestPipe")
    assert pipe["Properties"]["TargetParameters"]["StepFunctionStateMachineParameters"]["InvocationType"]
    for name in (
        "Prepare",
        "AcquireSlot",
        "Record",
        "RecordFailure",
        "Conclude",
        "StatusChange",
        "Reconcile",
    ):
        resource_with_prefix(t, "AWS::Lambda::Function", f"{name}Function")
    for single in (
        "AWS::ECS::TaskDefinition",
        "AWS::Events::Rule",
        "AWS::Pipes::Pipe",
    ):
        assert len(resources_of_type(t, single)) == 1, single


def test_context_changes_the_cache_key(synth: Synth) -> None:
    from infra.synth import _fingerprint

    assert _fingerprint({"vidpipe:workerCpu": 1024}) != _fingerprint({"vidpipe:workerCpu": 2048})
    assert _fingerprint({"a": 1, "b": 2}) == _fingerprint({"b": 2, "a": 1})

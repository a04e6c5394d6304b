"""A redeploy after `cdk destroy` must work: no retained resource keeps a physical name the next deploy reuses.

With ``removalPolicy=RETAIN`` (the default) CloudFormation leaves the buckets, the job table, the KMS keys and
every log group behind on delete. A retained resource whose name is fixed (a literal, or built from the stack
name only) makes the next ``cdk deploy`` of the same stack fail with "already exists". Each check runs on
both synthesized variants (created VPC, and existing VPC + KMS + DESTROY).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from infra_support import Synth

RETAINING_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def _name_properties(properties: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Properties that name the resource itself (``LogGroupName``, ``TableName``, ``Name``, ``Family``...)."""
    for key, value in properties.items():
        if key.endswith("Name") or key == "Family":
            yield key, value


def _unique_per_stack_instance(value: Any, logical_ids: set[str]) -> bool:
    """True when the value depends on ``AWS::StackId`` or on another resource (whose physical id CloudFormation
    generates per stack instance); a literal or a join of literals and the stack name is fixed."""
    if isinstance(value, dict):
        if value.get("Ref") == "AWS::StackId" or value.get("Ref") in logical_ids:
            return True
        if "Fn::GetAtt" in value:
            return True
        return any(_unique_per_stack_instance(v, logical_ids) for v in value.values())
    if isinstance(value, list):
        return any(_unique_per_stack_instance(v, logical_ids) for v in value)
    return False


def fixed_names_of_retained_resources(template: dict[str, Any]) -> list[str]:
    resources = template["Resources"]
    found = []
    for logical_id, resource in resources.items():
        policies = {resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")}
        if not policies & RETAINING_POLICIES:
            continue
        for key, value in _name_properties(resource.get("Properties", {})):
            if not _unique_per_stack_instance(value, set(resources)):
                found.append(f"{logical_id}.{key} = {value!r}")
    return found


def _resolve(value: Any, stack_id: str) -> Any:
    """Just the intrinsics a name may use, for a given stack id (CloudFormation's semantics)."""
    if isinstance(value, str):
        return value
    (function, argument), *_ = value.items()
    if function == "Ref" and argument == "AWS::StackId":
        return stack_id
    if function == "Fn::Join":
        separator, parts = argument
        return separator.join(_resolve(part, stack_id) for part in parts)
    if function == "Fn::Split":
        separator, source = argument
        return _resolve(source, stack_id).split(separator)
    if function == "Fn::Select":
        index, source = argument
        return _resolve(source, stack_id)[int(index)]
    raise AssertionError(f"unexpected intrinsic in a name: {value!r}")


@pytest.mark.parametrize("which", ["synth", "variant"])
def test_no_retained_resource_has_a_fixed_physical_name(request: pytest.FixtureRequest, which: str) -> None:
    synth: Synth = request.getfixturevalue(which)
    retained = [
        k for k, r in synth.template["Resources"].items() if r.get("DeletionPolicy") in RETAINING_POLICIES
    ]
    if which == "synth":  # RETAIN: buckets, table, keys and log groups survive a delete
        assert len(retained) >= 10, retained
    assert fixed_names_of_retained_resources(synth.template) == []


def test_the_audit_finds_a_fixed_name() -> None:
    """The check itself can fail: the state machine log group as it was named before (stack name only)."""
    template = {"Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                 "Properties": {"LogGroupName": "/aws/vendedlogs/states/Vidpipe-pipeline", "RetentionInDays": 30}},
        "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
                  "Properties": {"TableName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "jobs"]]}}},
        "Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Delete", "Properties": {"QueueName": "fixed"}},
        "Flow": {"Type": "AWS::EC2::FlowLog", "DeletionPolicy": "Retain",
                 "Properties": {"LogGroupName": {"Ref": "Logs"}}},
    }}  # fmt: skip
    assert fixed_names_of_retained_resources(template) == [
        "Logs.LogGroupName = '/aws/vendedlogs/states/Vidpipe-pipeline'",
        "Table.TableName = {'Fn::Join': ['-', [{'Ref': 'AWS::StackName'}, 'jobs']]}",
    ]


@pytest.mark.parametrize("which", ["synth", "variant"])
def test_execution_log_group_is_vended_and_new_for_each_stack_instance(
    request: pytest.FixtureRequest, which: str
) -> None:
    synth: Synth = request.getfixturevalue(which)
    (group,) = [r for k, r in synth.resources("AWS::Logs::LogGroup").items() if k.startswith("WorkflowLogs")]
    name = group["Properties"]["LogGroupName"]
    stack_arn = "arn:aws:cloudformation:eu-west-1:123456789012:stack/Vidpipe/"
    first = _resolve(name, stack_arn + "51af3dc0-da77-11e4-872e-1234567db123")
    again = _resolve(name, stack_arn + "9e8d7c6b-0000-4a4a-9b9b-abcdefabcdef")
    assert first == "/aws/vendedlogs/states/Vidpipe-pipeline-51af3dc0-da77-11e4-872e-1234567db123"
    assert again != first and again.startswith("/aws/vendedlogs/states/Vidpipe-pipeline-")
    assert len(first) <= 512  # CloudWatch Logs' limit on log group names
    assert group["DeletionPolicy"] == ("Retain" if which == "synth" else "Delete")
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    destination = machine["Properties"]["LoggingConfiguration"]["Destinations"][0]
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0].startswith("WorkflowLogs")

"""cdk-nag AwsSolutions checks (cdk-nag 3 validation-plugin API) and every finding the stack accepts, with why.

cdk-nag 3 runs as a policy-validation plugin at synth time; ``Aspects.of(app).add(AwsSolutionsChecks())``
(the 2.x way) crashes. A finding is accepted with ``Validations.of(scope).acknowledge(...)`` on the
narrowest construct that causes it. Wildcard-resource findings (IAM5) are granular: their id names the
resource pattern, e.g. ``AwsSolutions-IAM5[Resource::<VideoBucket1234.Arn>/*]``, so each accepted
pattern is acknowledged one by one; a new wildcard anywhere fails the synth until someone justifies it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.grants import INVOKED_BY_STATE_MACHINE, USES_SLOT_POOL
from infra.workflow import executions_arn
from vidpipe.contract.names import RESULTS_PREFIX

if TYPE_CHECKING:
    from infra.stack import VidpipeStack

PACK = "AwsSolutions"


def nag_resource(stack: cdk.Stack, value: str) -> str:
    """How cdk-nag spells a (possibly tokenised) resource in a finding id: tokens become ``<LogicalId>``,
    ``<LogicalId.Attr>`` or ``<AWS::Region>``."""

    def render(part: Any) -> str:
        if isinstance(part, str):
            return part
        if "Ref" in part:
            return f"<{part['Ref']}>"
        if "Fn::GetAtt" in part:
            return f"<{'.'.join(part['Fn::GetAtt'])}>"
        if "Fn::Join" in part:
            separator, parts = part["Fn::Join"]
            return separator.join(render(p) for p in parts)
        raise ValueError(f"cannot spell {part!r} as cdk-nag does")

    return render(stack.resolve(value))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))


def acknowledge_wildcards(scope: IConstruct, resources: dict[str, str]) -> None:
    """Accept IAM5 for each resource pattern (value -> reason) in the policies under ``scope``."""
    stack = cdk.Stack.of(scope)
    for resource, reason in resources.items():
        acknowledge(scope, f"IAM5[Resource::{nag_resource(stack, resource)}]", reason)


XRAY = "X-Ray's PutTraceSegments/PutTelemetryRecords (and sampling reads) support no resource-level scoping."


def apply_nag(app: cdk.App, stack: VidpipeStack) -> None:
    """Run AwsSolutions on synth; an unacknowledged finding makes synth raise ValidationFailed (and write
    ``<outdir>/validation-report.json``). Every acknowledgement of the stack is here, each with its reason."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    storage, worker, workflow = stack.storage, stack.worker, stack.workflow
    video_objects = storage.video_bucket.arn_for_objects("*")
    results_objects = storage.results_bucket.arn_for_objects(f"{RESULTS_PREFIX}*")

    # -- Lambda functions ----------------------------------------------------------------------------------
    for function in stack.functions.values():  # (no L1: python3.14 is the newest runtime cdk-nag knows)
        acknowledge_wildcards(function.role, {"*": XRAY})
    acknowledge_wildcards(stack.functions["prepare"].role, {
        video_objects: "prepare must read any uploaded video's metadata: every key of the video bucket is an "
                       "input (the keys are user-chosen upload names).",
    })  # fmt: skip
    acknowledge_wildcards(stack.functions["record"].role, {
        results_objects: "record reads the results document of any job: scoped to the results prefix.",
    })  # fmt: skip
    executions = executions_arn(stack)
    for name in USES_SLOT_POOL:
        acknowledge_wildcards(stack.functions[name].role, {
            "*": "states:SendTaskSuccess supports no resource-level permissions (Service Authorization Reference "
                 "for Step Functions); it wakes the AcquireSlot state a slot was handed to.",
            executions: "DescribeExecution on the executions of this state machine only (execution names are "
                        "random): tells a waiter whose execution ended from one that is still running.",
        })  # fmt: skip
    acknowledge_wildcards(stack.functions["reconcile"].role, {
        f"{storage.table.table_arn}/index/*": "Query on the job table's own by-status index (jobs in flight).",
    })  # fmt: skip

    # -- worker --------------------------------------------------------------------------------------------
    acknowledge_wildcards(worker.task_role, {
        video_objects: "The worker downloads the one video of its job; the key is only known per job.",
        results_objects: "The worker writes only under the results prefix (jobs/<job id>/...).",
    })  # fmt: skip
    acknowledge(worker.task_definition, "ECS2",
                "The environment holds non-secret defaults (analyzer options, size and duration limits); "
                "per-job values come as container overrides. No secrets are passed.")  # fmt: skip
    execution_role = worker.task_definition.execution_role
    if execution_role is not None and not stack.settings.worker_image:  # asset image: pulled from CDK's ECR
        acknowledge_wildcards(execution_role, {
            "*": "ecr:GetAuthorizationToken supports no resource-level scoping (needed to pull the image asset).",
        })  # fmt: skip

    # -- workflow ------------------------------------------------------------------------------------------
    functions = [stack.functions[name].function for name in INVOKED_BY_STATE_MACHINE]
    acknowledge_wildcards(workflow.state_machine.role, {
        "*": "Step Functions log delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray require "
             "resource '*' (AWS documentation for state machine logging and tracing).",
        **{f"{f.function_arn}:*": "Invoke any version or alias of the stack's own task functions."
           for f in functions},
        stack.format_arn(service="ecs", resource="task-definition",
                         resource_name=f"{worker.task_definition.family}:*"):
            "RunTask on any revision of the worker's task definition family (condition: this cluster).",
        stack.format_arn(service="ecs", resource="task", resource_name=f"{worker.cluster.cluster_name}/*"):
            "StopTask/DescribeTasks on tasks of this cluster; task ids are only known at run time.",
    })  # fmt: skip
    if stack.settings.state_machine_log_level != "ALL":
        acknowledge(workflow.state_machine, "SF1",
                    f"The operator chose log level {stack.settings.state_machine_log_level} "
                    "(vidpipe:stateMachineLogLevel) to cut log volume.")  # fmt: skip

    reconcile = stack.functions["reconcile"].function
    acknowledge_wildcards(stack.reconciler.role, {
        f"{reconcile.function_arn}:*": "The schedule invokes the reconcile function (grantInvoke also allows its "
                                       "versions and aliases).",
    })  # fmt: skip

    # -- queues --------------------------------------------------------------------------------------------
    acknowledge(stack.failures.dead_letter_queue, "SQS3",
                "This queue is the dead-letter queue of the status-change rule's target (an EventBridge target "
                "DLQ, which cdk-nag does not recognise as a DLQ); an alarm watches it.")  # fmt: skip
    acknowledge(stack.failures.failure_queue, "SQS3",
                "This queue is the status-change function's asynchronous on-failure destination (a Lambda "
                "destination, which cdk-nag does not recognise as a DLQ); an alarm watches it.")  # fmt: skip

    # -- CDK's bucket-notifications custom resource --------------------------------------------------------
    handler = stack.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
    if handler is not None:
        acknowledge(handler, "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]",
                    "CDK's own singleton handler that applies the S3 notification configuration at deploy "
                    "time; its role is created by aws-s3 and cannot be customised.")  # fmt: skip

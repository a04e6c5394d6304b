"""Least-privilege grants of the Lambda functions: each gets exactly the calls its handler makes.

DynamoDB authorises TransactWriteItems per item action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem
on each table involved: there is no TransactWriteItems IAM action), so the slot pool's transactions need
those actions on the slot table. states:SendTaskSuccess supports no resource-level permissions (Service
Authorization Reference for Step Functions: no resource type), so it is granted on "*"; DescribeExecution
is scoped to this state machine's executions.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk

from infra.functions import TaskFunction
from infra.storage import Storage
from infra.workflow import executions_arn
from vidpipe.contract.names import RESULTS_PREFIX

SLOT_POOL_ACTIONS = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
                     "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"]  # fmt: skip
"""Everything tasks.slots.SlotPool does on the slot table."""

INVOKED_BY_STATE_MACHINE = ("prepare", "acquire_slot", "record", "record_failure", "conclude")
USES_SLOT_POOL = ("acquire_slot", "record", "record_failure", "status_change", "reconcile")
JOB_ACTIONS: Mapping[str, list[str]] = {
    "prepare": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],  # read, reject, claim
    "record": ["dynamodb:UpdateItem"],
    "record_failure": ["dynamodb:UpdateItem"],
    "status_change": ["dynamodb:UpdateItem"],
    "reconcile": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
}


def grant_tasks(stack: cdk.Stack, storage: Storage, functions: Mapping[str, TaskFunction]) -> None:
    """Add every function's statements to its own role."""
    table, slots = storage.table.table_arn, storage.slot_table.table_arn
    for name, actions in JOB_ACTIONS.items():
        functions[name].allow(actions, [table])
    functions["reconcile"].allow(["dynamodb:Query"], [f"{table}/index/*"])  # in-flight jobs by status
    for name in USES_SLOT_POOL:
        functions[name].allow(SLOT_POOL_ACTIONS, [slots])
        functions[name].allow(["states:SendTaskSuccess"], ["*"])
        functions[name].allow(["states:DescribeExecution"], [executions_arn(stack)])
    # s3:ListBucket lets HeadObject on a missing key answer 404 (not 403), so prepare can tell a deleted
    # upload (REJECTED) from a permission problem.
    prepare = functions["prepare"]
    prepare.allow(["s3:GetObject", "s3:GetObjectVersion"], [storage.video_bucket.arn_for_objects("*")])
    prepare.allow(["s3:ListBucket"], [storage.video_bucket.bucket_arn])
    functions["record"].allow(
        ["s3:GetObject"], [storage.results_bucket.arn_for_objects(f"{RESULTS_PREFIX}*")]
    )
    if storage.bucket_key is not None:
        for name in ("prepare", "record"):
            functions[name].allow(["kms:Decrypt"], [storage.bucket_key.key_arn])
    if storage.table_key is not None:
        for name in sorted({*JOB_ACTIONS, *USES_SLOT_POOL}):
            functions[name].allow(
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [storage.table_key.key_arn]
            )

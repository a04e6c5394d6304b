"""Synth assertions: every resource and setting of the stack (default settings unless noted)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from infra_support import DOCKERFILE_PRESENT, Synth

from infra.ingest import PIPE_FILTER
from vidpipe.contract.names import (
    VIDEO_SUFFIXES,
    WORKER_CONTAINER_NAME,
    Output,
    SlotTable,
    Table,
    TaskEnv,
    WorkerEnv,
)

ENCRYPTED_BUCKET = {
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    },
    "VersioningConfiguration": {"Status": "Enabled"},
}  # fmt: skip


# -- storage ----------------------------------------------------------------------------------------------
def test_data_buckets_are_encrypted_private_versioned_and_logged(synth: Synth) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    assert len(buckets) == 3  # videos, results, access logs
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == ENCRYPTED_BUCKET["PublicAccessBlockConfiguration"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", logical_id
        if not logical_id.startswith("StorageAccessLogBucket"):
            assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith(
                "StorageAccessLogBucket"
            )
        assert bucket["DeletionPolicy"] == "Retain"


def test_every_bucket_policy_denies_plain_http(synth: Synth) -> None:
    policies = synth.resources("AWS::S3::BucketPolicy")
    assert len(policies) == 3
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_kms_variant_encrypts_buckets_and_table_with_customer_keys(variant: Synth) -> None:
    for logical_id, bucket in variant.resources("AWS::S3::Bucket").items():
        rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        expected = "AES256" if logical_id.startswith("StorageAccessLogBucket") else "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == expected
    for prefix in ("StorageJobTable", "StorageSlotTable"):
        table = variant.one("AWS::DynamoDB::Table", prefix)
        assert table["SSESpecification"]["SSEType"] == "KMS"
        assert "KMSMasterKeyId" in table["SSESpecification"]
    assert variant.one("AWS::DynamoDB::Table", "StorageJobTable")["DeletionProtectionEnabled"] is False
    for key in variant.resources("AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True


def test_notifications_cover_each_video_suffix_in_both_cases(synth: Synth) -> None:
    props = synth.one("Custom::S3BucketNotifications")
    assert props["BucketName"]["Ref"].startswith("StorageVideoBucket")
    configs = props["NotificationConfiguration"]["QueueConfigurations"]
    suffixes = set()
    for config in configs:
        assert config["Events"] == ["s3:ObjectCreated:*"]
        assert config["QueueArn"]["Fn::GetAtt"][0].startswith("IngestQueue")
        (rule,) = config["Filter"]["Key"]["FilterRules"]
        assert rule["Name"] == "suffix"
        suffixes.add(rule["Value"])
    assert suffixes == {s.lower() for s in VIDEO_SUFFIXES} | {s.upper() for s in VIDEO_SUFFIXES}
    assert len(configs) == len(suffixes)


def test_results_bucket_never_triggers_the_pipeline(synth: Synth) -> None:
    (notifications,) = synth.resources("Custom::S3BucketNotifications").values()
    assert not notifications["Properties"]["BucketName"]["Ref"].startswith("StorageResultsBucket")


def test_job_table(template: Template, synth: Synth) -> None:
    template.has_resource("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Retain",
        "Properties": {
            "KeySchema": [{"AttributeName": Table.PARTITION_KEY, "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "DeletionProtectionEnabled": True,
        },
    })  # fmt: skip
    indexes = {
        i["IndexName"]: i
        for i in synth.one("AWS::DynamoDB::Table", "StorageJobTable")["GlobalSecondaryIndexes"]
    }
    assert indexes[Table.STATUS_INDEX]["KeySchema"] == [
        {"AttributeName": "status", "KeyType": "HASH"},
        {"AttributeName": Table.STATUS_INDEX_SORT, "KeyType": "RANGE"},
    ]
    assert indexes[Table.OBJECT_INDEX]["KeySchema"] == [
        {"AttributeName": Table.OBJECT_INDEX_PARTITION, "KeyType": "HASH"},
        {"AttributeName": Table.OBJECT_INDEX_SORT, "KeyType": "RANGE"},
    ]
    assert all(i["Projection"] == {"ProjectionType": "ALL"} for i in indexes.values())


def test_slot_table_has_a_composite_key_and_holds_only_transient_state(synth: Synth) -> None:
    table = synth.one("AWS::DynamoDB::Table", "StorageSlotTable")
    assert table["KeySchema"] == [
        {"AttributeName": SlotTable.PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SlotTable.SORT_KEY, "KeyType": "RANGE"},
    ]
    assert table["BillingMode"] == "PAY_PER_REQUEST" and "GlobalSecondaryIndexes" not in table
    assert table["SSESpecification"] == {"SSEEnabled": True}
    [(logical_id, resource)] = [
        (k, r) for k, r in synth.resources("AWS::DynamoDB::Table").items() if k.startswith("StorageSlotTable")
    ]
    assert resource["DeletionPolicy"] == "Delete" and "TableName" not in resource["Properties"], logical_id


# -- queue and pipe ---------------------------------------------------------------------------------------
def test_queue_and_dead_letter_queue(synth: Synth) -> None:
    queue = synth.one("AWS::SQS::Queue", "IngestQueue")
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["VisibilityTimeout"] == 120
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0].startswith("IngestDeadLetterQueue")
    for queue in synth.resources("AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert "KmsMasterKeyId" not in queue["Properties"]  # S3 cannot use alias/aws/sqs


def test_every_queue_policy_denies_plain_http(synth: Synth) -> None:
    policies = synth.resources("AWS::SQS::QueuePolicy")
    assert len(policies) == len(synth.resources("AWS::SQS::Queue"))
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                   for s in statements)  # fmt: skip


def test_s3_may_send_to_the_queue_only_from_the_video_bucket(synth: Synth) -> None:
    policy = synth.one("AWS::SQS::QueuePolicy", "IngestQueuePolicy")
    (allow,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert "sqs:SendMessage" in allow["Action"]
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::GetAtt"][0].startswith("StorageVideoBucket")


def test_pipe(template: Template, synth: Synth) -> None:
    template.has_resource_properties("AWS::Pipes::Pipe", {
        "DesiredState": "RUNNING",
        "Source": {"Fn::GetAtt": [Match.string_like_regexp("^IngestQueue"), "Arn"]},
        "Target": {"Ref": Match.string_like_regexp("^WorkflowStateMachine")},
        "SourceParameters": {
            "SqsQueueParameters": {"BatchSize": 1, "MaximumBatchingWindowInSeconds": 0},
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps(PIPE_FILTER)}]},
        },
        "TargetParameters": {"StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"}},
        "LogConfiguration": {
            "Level": "ERROR",
            "CloudwatchLogsLogDestination": {"LogGroupArn": {"Fn::GetAtt": [Match.string_like_regexp("^IngestPipeLogs"), "Arn"]}},
        },
    })  # fmt: skip
    assert json.loads(
        synth.one("AWS::Pipes::Pipe")["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]
    ) == {"body": {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}}


def test_pipe_filter_drops_the_s3_test_event() -> None:
    """The filter requires body.Records[].eventName starting with ObjectCreated: (s3:TestEvent has no Records)."""
    from infra.paths import REPO_ROOT

    test_event = json.loads((REPO_ROOT / "tests/events/s3_test_event.json").read_text())
    created = json.loads((REPO_ROOT / "tests/events/s3_object_created.json").read_text())
    assert "Records" not in test_event
    assert all(r["eventName"].startswith("ObjectCreated:") for r in created["Records"])


def test_variant_pipe_batching(variant: Synth) -> None:
    params = variant.one("AWS::Pipes::Pipe")["SourceParameters"]["SqsQueueParameters"]
    assert params == {"BatchSize": 5, "MaximumBatchingWindowInSeconds": 5}


# -- workflow ---------------------------------------------------------------------------------------------
def test_state_machine(template: Template, synth: Synth, asl_text: str) -> None:
    template.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineType": "STANDARD",
        "TracingConfiguration": {"Enabled": True},
        "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": True, "Destinations": Match.any_value()},
    })  # fmt: skip
    props = synth.one("AWS::StepFunctions::StateMachine")
    assert "DefinitionS3Location" not in props  # inline, not an S3 asset
    deployed = json.loads(props["DefinitionString"])
    assert deployed["TimeoutSeconds"] == 86400
    original = json.loads(asl_text)
    assert {k: v for k, v in deployed.items() if k != "TimeoutSeconds"} == {
        k: v for k, v in original.items() if k != "TimeoutSeconds"
    }


def test_every_placeholder_is_substituted_and_nothing_else(synth: Synth, asl_text: str) -> None:
    from infra.workflow import placeholders

    props = synth.one("AWS::StepFunctions::StateMachine")
    assert placeholders(asl_text) == set(props["DefinitionSubstitutions"])
    assert placeholders(props["DefinitionString"]) == set(props["DefinitionSubstitutions"])


def test_substitution_values(synth: Synth) -> None:
    subs = synth.one("AWS::StepFunctions::StateMachine")["DefinitionSubstitutions"]
    for name in ("Prepare", "AcquireSlot", "Record", "RecordFailure", "Conclude"):
        assert subs[f"{name}FunctionArn"]["Fn::GetAtt"][0].startswith(f"{name}Function")
    assert subs["JobTableName"]["Ref"].startswith("StorageJobTable")
    assert subs["ClusterArn"]["Fn::GetAtt"][0].startswith("WorkerCluster")
    # The family, never the revisioned ARN (a Ref): a redrive after a deploy must run the current worker,
    # and CloudFormation deregisters the revision a running execution's definition names.
    family = synth.one("AWS::ECS::TaskDefinition")["Family"]
    assert subs["TaskDefinitionFamily"] == family and isinstance(family, str)
    assert subs["FirstCapacityProvider"] == "FARGATE_SPOT"
    assert (subs["SlotWaitSeconds"], subs["AnalysisTimeoutSeconds"]) == ("3600", "10800")
    joined = subs["SubnetIds"]["Fn::Join"]
    assert joined[0] == "," and len(joined[1]) == 2
    assert subs["SecurityGroupIds"]["Fn::GetAtt"][0].startswith("NetworkTaskSecurityGroup")
    assert subs["AssignPublicIp"] == "ENABLED"
    assert subs["MaxConcurrentTasks"] == "20"


def test_variant_uses_the_existing_vpc_and_error_logging(variant: Synth) -> None:
    props = variant.one("AWS::StepFunctions::StateMachine")
    assert (
        props["DefinitionSubstitutions"]["SubnetIds"] == "subnet-0123456789abcdef0,subnet-0fedcba9876543210"
    )
    assert props["DefinitionSubstitutions"]["AssignPublicIp"] == "DISABLED"
    assert props["DefinitionSubstitutions"]["FirstCapacityProvider"] == "FARGATE"  # ARM64: no Spot
    assert props["LoggingConfiguration"]["Level"] == "ERROR"
    assert variant.resources("AWS::EC2::VPC") == {}
    assert variant.one("AWS::EC2::SecurityGroup")["VpcId"] == "vpc-0123456789abcdef0"


def test_status_change_rule(template: Template) -> None:
    template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": ["ABORTED", "TIMED_OUT", "FAILED"],
                       "stateMachineArn": [{"Ref": Match.string_like_regexp("^WorkflowStateMachine")}]},
        },
        "Targets": [{
            "Arn": {"Fn::GetAtt": [Match.string_like_regexp("^StatusChangeFunction"), "Arn"]},
            "RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 86400},
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [Match.string_like_regexp("^FailuresDeadLetterQueue"), "Arn"]}},
            "Id": Match.any_value(),
        }],
    })  # fmt: skip


def test_status_change_failures_go_to_a_queue(template: Template) -> None:
    """EventBridge invokes the function asynchronously: after Lambda's two retries a failed event lands in a
    queue (alarmed) instead of being dropped."""
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {
        "FunctionName": {"Ref": Match.string_like_regexp("^StatusChangeFunction")},
        "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {
            "Destination": {"Fn::GetAtt": [Match.string_like_regexp("^FailuresFailureQueue"), "Arn"]}}},
    })  # fmt: skip


def test_reconciler_runs_on_a_schedule(synth: Synth) -> None:
    schedule = synth.one("AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"]["Fn::GetAtt"][0].startswith("ReconcileFunction")
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    role = synth.one("AWS::IAM::Role", "ReconcilerRole")
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert set(statement["Condition"]) == {"StringEquals", "ArnLike"}  # confused-deputy protection


# -- compute ----------------------------------------------------------------------------------------------
def test_cluster_capacity_providers_and_insights(template: Template) -> None:
    template.has_resource_properties("AWS::ECS::Cluster", {
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]})  # fmt: skip
    template.has_resource_properties("AWS::ECS::ClusterCapacityProviderAssociations", {
        "CapacityProviders": Match.array_with(["FARGATE", "FARGATE_SPOT"])})  # fmt: skip


def _environment(container: dict[str, Any]) -> dict[str, str]:
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def test_task_definition(synth: Synth) -> None:
    props = synth.one("AWS::ECS::TaskDefinition")
    assert props["RequiresCompatibilities"] == ["FARGATE"]
    assert props["NetworkMode"] == "awsvpc"
    assert (props["Cpu"], props["Memory"]) == ("2048", "4096")
    assert props["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}
    (container,) = props["ContainerDefinitions"]
    assert container["Name"] == WORKER_CONTAINER_NAME
    assert container["Command"] == ["python", "-m", "worker"]
    assert container["Essential"] is True
    assert container["Memory"] == 4096
    assert _environment(container) == {
        WorkerEnv.OPTIONS: "{}", WorkerEnv.MAX_BYTES: "2147483648", WorkerEnv.MAX_DURATION_SECONDS: "7200",
    }  # fmt: skip
    log = container["LogConfiguration"]
    assert log["LogDriver"] == "awslogs"
    assert log["Options"]["awslogs-stream-prefix"] == "worker"
    assert log["Options"]["awslogs-group"]["Ref"].startswith("WorkerWorkerLogs")


@pytest.mark.skipif(
    not DOCKERFILE_PRESENT, reason="worker/Dockerfile does not exist yet (worker engineer's file)"
)
def test_worker_image_is_built_from_the_repository_root(synth: Synth) -> None:
    assets = json.loads(next(synth.outdir.glob("*.assets.json")).read_text())
    (image,) = assets["dockerImages"].values()
    assert image["source"]["dockerFile"] == "worker/Dockerfile"
    assert image["source"].get("platform") == "linux/amd64"
    staged = synth.outdir / image["source"]["directory"]
    assert (staged / "worker" / "Dockerfile").is_file()
    for heavy in (".venv", "node_modules", ".git", "cdk.out", ".vidpipe"):
        assert not (staged / heavy).exists(), heavy


def test_variant_task_is_arm64(variant: Synth) -> None:
    props = variant.one("AWS::ECS::TaskDefinition")
    assert props["RuntimePlatform"]["CpuArchitecture"] == "ARM64"


def test_new_vpc_has_no_nat_and_an_s3_gateway_endpoint(template: Template, synth: Synth) -> None:
    assert synth.resources("AWS::EC2::NatGateway") == {}
    template.resource_count_is("AWS::EC2::Subnet", 2)
    template.has_resource_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": True})
    template.has_resource_properties("AWS::EC2::VPCEndpoint", {
        "VpcEndpointType": "Gateway",
        "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]},
    })  # fmt: skip
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "REJECT"})


def test_security_group_allows_no_inbound(synth: Synth) -> None:
    group = synth.one("AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in group
    assert synth.resources("AWS::EC2::SecurityGroupIngress") == {}


# -- Lambda -----------------------------------------------------------------------------------------------
HANDLERS = {"Prepare": "tasks.prepare.handler", "AcquireSlot": "tasks.acquire_slot.handler",
            "Record": "tasks.record.handler", "RecordFailure": "tasks.record_failure.handler",
            "Conclude": "tasks.conclude.handler", "StatusChange": "tasks.status_change.handler",
            "Reconcile": "tasks.reconcile.handler"}  # fmt: skip


@pytest.mark.parametrize("prefix", HANDLERS)
def test_functions(synth: Synth, prefix: str) -> None:
    props = synth.one("AWS::Lambda::Function", f"{prefix}Function")
    assert props["Handler"] == HANDLERS[prefix]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogGroup"]["Ref"].startswith(f"{prefix}Logs")
    env = props["Environment"]["Variables"]
    assert env[TaskEnv.MAX_BYTES] == "2147483648"
    assert env[TaskEnv.TABLE]["Ref"].startswith("StorageJobTable")
    assert env[TaskEnv.SLOT_TABLE]["Ref"].startswith("StorageSlotTable")
    assert env[TaskEnv.RESULTS_BUCKET]["Ref"].startswith("StorageResultsBucket")
    assert set(env) == {
        TaskEnv.TABLE,
        TaskEnv.SLOT_TABLE,
        TaskEnv.RESULTS_BUCKET,
        TaskEnv.MAX_BYTES,
        "POWERTOOLS_SERVICE_NAME",
    }


def test_log_groups_have_retention(synth: Synth) -> None:
    groups = synth.resources("AWS::Logs::LogGroup")
    assert len(groups) >= 7
    assert all(g["Properties"]["RetentionInDays"] == 30 for g in groups.values())


# -- monitoring and outputs -------------------------------------------------------------------------------
def test_alarms_publish_to_an_encrypted_topic(synth: Synth) -> None:
    topic = synth.one("AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("MonitoringTopicKey")
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 13  # executions x2, pipe, three queues, seven functions' errors
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [
            {"Ref": next(iter(synth.resources("AWS::SNS::Topic")))}
        ]
    metrics = json.dumps([a["Properties"] for a in alarms.values()])
    for name in (
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
        "ExecutionThrottled",
        "ApproximateNumberOfMessagesVisible",
        "ExecutionFailed",
        "TargetStageFailed",
        "Errors",
    ):
        assert f'"{name}"' in metrics, name
    assert '"AWS/EventBridge/Pipes"' in metrics
    assert synth.resources("AWS::SNS::Subscription") == {}


def test_variant_subscribes_the_alarm_email(variant: Synth) -> None:
    assert variant.one("AWS::SNS::Subscription")["Endpoint"] == "ops@example.com"


def test_dashboard_exists(synth: Synth) -> None:
    assert len(synth.resources("AWS::CloudWatch::Dashboard")) == 1


def test_outputs_use_the_contract_keys(synth: Synth) -> None:
    expected = {v for k, v in vars(Output).items() if not k.startswith("_")}
    assert set(synth.template["Outputs"]) == expected
    assert synth.template["Outputs"][Output.WORKER_LOG_STREAM_PREFIX]["Value"] == "worker/worker"
    console = json.dumps(synth.template["Outputs"][Output.CONSOLE_URL]["Value"])
    assert "statemachines/view/" in console
    dashboard = json.dumps(synth.template["Outputs"][Output.DASHBOARD_URL]["Value"])
    assert "dashboards:name=" in dashboard


def test_stack_is_environment_agnostic(synth: Synth) -> None:
    text = json.dumps(synth.template)
    assert '"AWS::Region"' in text and '"AWS::AccountId"' in text
    assert not (synth.outdir / "cdk.context.json").exists()


def test_task_resources_are_found_in_nested_states() -> None:
    from infra.workflow import SUPPORTED_INTEGRATION, dynamodb_actions, task_resources

    definition = json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Next": "M"},
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "B", "States": {
            "B": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "C", "States": {
                "C": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:query", "End": True}}}]}}},
              "End": True},
    }})  # fmt: skip
    resources = task_resources(definition)
    assert dynamodb_actions(resources) == ["dynamodb:PutItem", "dynamodb:Query"]
    assert all(SUPPORTED_INTEGRATION.fullmatch(r) for r in resources)
    assert not SUPPORTED_INTEGRATION.fullmatch("arn:aws:states:::sns:publish")

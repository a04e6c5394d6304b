"""Create the stack's resources in moto from the synthesized template.

Only the resources the pipeline needs are created: the closure of what the stack's Outputs, the pipe, the
rules, schedules, Lambda event invoke configs, the bucket notifications and the worker's task definition
reference (so CDK's own helper functions and roles are skipped). Each resource type has one small creator that
reads the template's properties, resolved against
the local resources already created (:class:`~vidpipe.local.template.Resolver`); creation follows the
references (topological order). The deployed VPC is replaced by one local VPC, subnet and security group
(every template subnet and security group resolves to them).
"""

from __future__ import annotations

import io
import json
import logging
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from vidpipe.local.aws import client
from vidpipe.local.provision_events import ROOT_TYPES, EventCreators, local_name
from vidpipe.local.template import Resolver, Resource, Template, TemplateError, referenced_ids

log = logging.getLogger(__name__)

NETWORK_TYPES = ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup")


@dataclass
class Provisioned:
    """What provisioning created, for the parts of the runtime that act on it."""

    resolver: Resolver
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> resolved properties
    state_machine_arns: list[str] = field(default_factory=list)
    pipes: list[dict[str, Any]] = field(default_factory=list)  # resolved AWS::Pipes::Pipe properties
    rules: list[dict[str, Any]] = field(default_factory=list)  # resolved AWS::Events::Rule with EventPattern
    scheduled_rules: list[dict[str, Any]] = field(default_factory=list)  # ... with ScheduleExpression
    schedules: list[dict[str, Any]] = field(default_factory=list)  # resolved AWS::Scheduler::Schedule
    task_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # arn -> resolved properties
    outputs: dict[str, str] = field(default_factory=dict)


def _literal(properties: Mapping[str, Any], key: str) -> str | None:
    value = properties.get(key)
    return value if isinstance(value, str) else None


class Provisioner(EventCreators):
    """Creates the needed resources of ``template`` in the moto server at ``endpoint_url``.

    ``tags`` are the registered stack's tags (the runtime's boot id, for the CLI).
    """

    def __init__(
        self,
        template: Template,
        endpoint_url: str,
        stack_name: str,
        substitution_overrides: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.endpoint_url = endpoint_url
        self.stack_name = stack_name
        self.overrides = dict(substitution_overrides or {})
        self.tags = dict(tags or {})
        self.result = Provisioned(Resolver(stack_name))
        self._clients: dict[str, Any] = {}
        self._creators: dict[str, Callable[[Resource], None]] = {
            "AWS::IAM::Role": self._role,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::SQS::Queue": self._queue,
            "AWS::S3::Bucket": self._bucket,
            "AWS::DynamoDB::Table": self._table,
            "AWS::ECS::Cluster": self._cluster,
            "AWS::Lambda::Function": self._function,
            "AWS::ECS::TaskDefinition": self._task_definition,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "Custom::S3BucketNotifications": self._bucket_notifications,
            "AWS::Events::Rule": self._rule,
            "AWS::Pipes::Pipe": self._pipe,
            "AWS::Scheduler::Schedule": self._schedule,
            "AWS::Lambda::EventInvokeConfig": self._event_invoke_config,
        }

    @property
    def resolver(self) -> Resolver:
        return self.result.resolver

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = client(service, self.endpoint_url)
        return self._clients[service]

    # -- orchestration -------------------------------------------------------------------------------------
    def run(self) -> Provisioned:
        """Create everything, then register the stack with its resolved Outputs (how the CLI finds things)."""
        self._network()
        resources = self.template.resources
        graph: dict[str, set[str]] = {}
        pending = [r.logical_id for r in resources.values() if r.type in ROOT_TYPES]
        for value in self.template.output_values().values():
            pending.extend(referenced_ids(value) & resources.keys())
        while pending:
            logical_id = pending.pop()
            resource = resources[logical_id]
            if logical_id in graph or resource.type not in self._creators:
                continue
            # A custom resource's ServiceToken is CDK's provider function: not part of the pipeline.
            used = {k: v for k, v in resource.properties.items() if k != "ServiceToken"}
            deps = referenced_ids(used) & resources.keys()
            graph[logical_id] = {d for d in deps if resources[d].type in self._creators}
            pending.extend(graph[logical_id])
        for logical_id in TopologicalSorter(graph).static_order():
            resource = resources[logical_id]
            log.debug("creating %s %s", resource.type, logical_id)
            self._creators[resource.type](resource)
        self._stack()
        return self.result

    # -- network -------------------------------------------------------------------------------------------
    def _network(self) -> None:
        """One VPC (DNS hostnames on: moto's awsvpc run_task needs it), one subnet, one security group."""
        ec2 = self._client("ec2")
        vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
        group_id = ec2.create_security_group(
            GroupName=f"{self.stack_name}-worker", Description="vidpipe local worker", VpcId=vpc_id
        )["GroupId"]
        self.resolver.register("LocalVpc", vpc_id, VpcId=vpc_id)
        self.resolver.register("LocalSubnet", subnet_id, SubnetId=subnet_id, VpcId=vpc_id)
        self.resolver.register("LocalSecurityGroup", group_id, GroupId=group_id, VpcId=vpc_id)
        local = {"AWS::EC2::VPC": "LocalVpc", "AWS::EC2::Subnet": "LocalSubnet"}
        for resource in self.template.resources.values():
            if resource.type in NETWORK_TYPES:
                self.resolver.alias(resource.logical_id, local.get(resource.type, "LocalSecurityGroup"))

    # -- creators (one per resource type) ------------------------------------------------------------------
    def _role(self, r: Resource) -> None:
        name = _literal(r.properties, "RoleName") or local_name(self.stack_name, r.logical_id)
        policy = self.resolver.resolve(r.properties.get("AssumeRolePolicyDocument", {}))
        arn = self._client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))[
            "Role"
        ]["Arn"]
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _log_group(self, r: Resource) -> None:
        props = self.resolver.resolve(dict(r.properties))
        name = props.get("LogGroupName") or f"/{self.stack_name}/{r.logical_id}"
        logs = self._client("logs")
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _queue(self, r: Resource) -> None:
        props = self.resolver.resolve(dict(r.properties))
        name = props.pop("QueueName", None) or local_name(self.stack_name, r.logical_id, 80)
        attributes: dict[str, str] = {}
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "MaximumMessageSize",
            "SqsManagedSseEnabled",
        ):
            if key in props:
                attributes[key] = str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs = self._client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.resolver.register(r.logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _bucket(self, r: Resource) -> None:
        name = _literal(r.properties, "BucketName") or local_name(
            self.stack_name, r.logical_id, 63, lower=True
        )
        s3 = self._client("s3")
        s3.create_bucket(Bucket=name)
        versioning = r.properties.get("VersioningConfiguration", {}).get("Status")
        if versioning:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        self.resolver.register(
            r.logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self.resolver.region}.amazonaws.com",
        )

    def _table(self, r: Resource) -> None:
        props = self.resolver.resolve(dict(r.properties))
        name = props.get("TableName") or local_name(self.stack_name, r.logical_id, 255)
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if kwargs["BillingMode"] == "PROVISIONED":
            kwargs["ProvisionedThroughput"] = props.get("ProvisionedThroughput")
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [
                    {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                    | (
                        {"ProvisionedThroughput": index["ProvisionedThroughput"]}
                        if "ProvisionedThroughput" in index
                        else {}
                    )
                    for index in props[key]
                ]
        dynamodb = self._client("dynamodb")
        arn = dynamodb.create_table(**kwargs)["TableDescription"]["TableArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _cluster(self, r: Resource) -> None:
        name = _literal(r.properties, "ClusterName") or local_name(self.stack_name, r.logical_id, 255)
        providers = sorted(
            {
                p
                for assoc in self.template.of_type("AWS::ECS::ClusterCapacityProviderAssociations")
                for p in assoc.properties.get("CapacityProviders", [])
                if isinstance(p, str)
            }
        ) or ["FARGATE", "FARGATE_SPOT"]
        arn = self._client("ecs").create_cluster(clusterName=name, capacityProviders=providers)["cluster"][
            "clusterArn"
        ]
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _function(self, r: Resource) -> None:
        props = self.resolver.resolve(
            {k: v for k, v in r.properties.items() if k in ("FunctionName", "Role", "Handler", "Runtime",
                                                             "Environment", "Timeout", "MemorySize",
                                                             "LoggingConfig")}
        )  # fmt: skip
        name = props.get("FunctionName") or local_name(self.stack_name, r.logical_id, 64)
        archive = io.BytesIO()
        with zipfile.ZipFile(
            archive, "w"
        ) as zipped:  # the code runs in-process: the archive is a placeholder
            zipped.writestr("README", "vidpipe local runtime: handler runs in-process\n")
        arn = self._client("lambda").create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.11"),
            Role=props["Role"],
            Handler=props["Handler"],
            Code={"ZipFile": archive.getvalue()},
            Environment=props.get("Environment", {"Variables": {}}),
            Timeout=int(props.get("Timeout", 60)),
            MemorySize=int(props.get("MemorySize", 512)),
            **({"LoggingConfig": props["LoggingConfig"]} if "LoggingConfig" in props else {}),
        )["FunctionArn"]
        self.result.functions[name] = props | {"FunctionName": name, "FunctionArn": arn}
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _task_definition(self, r: Resource) -> None:
        props = self.resolver.resolve(dict(r.properties))
        family = props.get("Family") or local_name(self.stack_name, r.logical_id, 255)
        containers = []
        for container in props["ContainerDefinitions"]:
            definition = {
                "name": container["Name"],
                "image": str(container.get("Image", "vidpipe-worker:local")),
                "essential": container.get("Essential", True),
                # moto requires a container-level memory; Fargate definitions usually set only the task's.
                "memory": int(container.get("Memory") or props.get("Memory", 512)),
                "environment": [
                    {"name": e["Name"], "value": str(e["Value"])} for e in container.get("Environment", [])
                ],
            }
            for key, api in (
                ("Command", "command"),
                ("EntryPoint", "entryPoint"),
                ("WorkingDirectory", "workingDirectory"),
            ):
                if key in container:
                    definition[api] = container[key]
            if "LogConfiguration" in container:
                definition["logConfiguration"] = {
                    "logDriver": container["LogConfiguration"]["LogDriver"],
                    "options": container["LogConfiguration"].get("Options", {}),
                }
            containers.append(definition)
        kwargs: dict[str, Any] = {
            "family": family,
            "containerDefinitions": containers,
            "networkMode": props.get("NetworkMode", "awsvpc"),
            "requiresCompatibilities": props.get("RequiresCompatibilities", ["FARGATE"]),
        }
        for key, api in (("Cpu", "cpu"), ("Memory", "memory"), ("ExecutionRoleArn", "executionRoleArn"),
                         ("TaskRoleArn", "taskRoleArn")):  # fmt: skip
            if key in props:
                kwargs[api] = str(props[key])
        arn = self._client("ecs").register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
        self.result.task_definitions[arn] = props
        self.resolver.register(r.logical_id, arn, Family=family)

    def _state_machine(self, r: Resource) -> None:
        props = r.properties
        definition = self.resolver.resolve(props.get("DefinitionString"))
        if not isinstance(definition, str):
            if "Definition" in props:
                definition = json.dumps(self.resolver.resolve(props["Definition"]))
            else:
                raise TemplateError(f"{r.logical_id}: the definition must be inline (DefinitionString)")
        substitutions = {
            k: str(v) for k, v in self.resolver.resolve(props.get("DefinitionSubstitutions", {})).items()
        }
        substitutions.update(self.overrides)
        for key, value in substitutions.items():
            definition = definition.replace("${" + key + "}", value)
        name = _literal(props, "StateMachineName") or local_name(self.stack_name, r.logical_id, 80)
        arn = self._client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=self.resolver.resolve(props["RoleArn"]),
            type=props.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        self.result.state_machine_arns.append(arn)
        self.resolver.register(r.logical_id, arn, Arn=arn, Name=name)

    # -- stack ---------------------------------------------------------------------------------------------
    def _stack(self) -> None:
        """Register a stack whose Outputs carry the local names: the CLI discovers resources through them."""
        outputs: dict[str, str] = {}
        for key, value in self.template.output_values().items():
            try:
                outputs[key] = str(self.resolver.resolve(value))
            except TemplateError as exc:
                log.debug("output %s has no local value: %s", key, exc)
        self.result.outputs = outputs
        body = {
            "Resources": {"LocalRuntime": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        with warnings.catch_warnings():  # moto warns that it does not model the placeholder resource
            warnings.simplefilter("ignore", UserWarning)
            self._client("cloudformation").create_stack(
                StackName=self.stack_name,
                TemplateBody=json.dumps(body),
                Tags=[{"Key": key, "Value": value} for key, value in self.tags.items()],
            )

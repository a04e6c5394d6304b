"""Creators of the event sources of the stack: bucket notifications, rules, pipes, schedules and the Lambda
event invoke configs that route asynchronous invocations (a mixin of :class:`vidpipe.local.provision.Provisioner`)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from vidpipe.local.template import Resource

if TYPE_CHECKING:
    from vidpipe.local.provision import Provisioned
    from vidpipe.local.template import Resolver

log = logging.getLogger(__name__)

#: Resources created even when no Output references them (what they reference is created first).
ROOT_TYPES = (
    "AWS::Pipes::Pipe",
    "AWS::Events::Rule",
    "Custom::S3BucketNotifications",
    "AWS::Scheduler::Schedule",
    "AWS::Lambda::EventInvokeConfig",
    # The state machine names the worker's task definition by family, a literal: no reference leads to it.
    "AWS::ECS::TaskDefinition",
)


def local_name(stack_name: str, logical_id: str, max_length: int = 64, lower: bool = False) -> str:
    """A physical name like CloudFormation generates (stack name + logical id), within the type's limit."""
    name = f"{stack_name}-{logical_id}"[:max_length]
    return name.lower() if lower else name


class EventCreators:
    """Creators for event-source resource types; the Provisioner supplies the attributes below."""

    stack_name: str
    result: Provisioned

    @property
    def resolver(self) -> Resolver:
        raise NotImplementedError

    def _client(self, service: str) -> Any:
        raise NotImplementedError

    def _bucket_notifications(self, r: Resource) -> None:
        """CDK writes a bucket's notifications as a custom resource; apply its configuration directly."""
        props = self.resolver.resolve({k: v for k, v in r.properties.items() if k != "ServiceToken"})
        config = props.get("NotificationConfiguration", {})
        self._client("s3").put_bucket_notification_configuration(
            Bucket=props["BucketName"],
            NotificationConfiguration={
                key: value
                for key, value in config.items()
                if key in ("QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations")
            },
        )
        self.resolver.register(r.logical_id, f"{props['BucketName']}-notifications")

    def _rule(self, r: Resource) -> None:
        """A rule with an EventPattern (the status-change rule) or a ScheduleExpression (a scheduled target)."""
        props = self.resolver.resolve(dict(r.properties))
        name = props.get("Name") or local_name(self.stack_name, r.logical_id, 64)
        events = self._client("events")
        rule: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        pattern = props.get("EventPattern")
        if pattern is not None:
            rule["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "ScheduleExpression" in props:
            rule["ScheduleExpression"] = props["ScheduleExpression"]
        arn = events.put_rule(**rule)["RuleArn"]
        targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", [])]
        if targets:
            events.put_targets(Rule=name, Targets=targets)
        kept = self.result.scheduled_rules if "ScheduleExpression" in props else self.result.rules
        kept.append(props | {"Name": name})
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _pipe(self, r: Resource) -> None:
        props = self.resolver.resolve(dict(r.properties))
        name = props.get("Name") or local_name(self.stack_name, r.logical_id, 64)
        pipes = self._client("pipes")
        kwargs: dict[str, Any] = {"Name": name, "Source": props["Source"], "Target": props["Target"],
                                  "RoleArn": props["RoleArn"]}  # fmt: skip
        for key in ("SourceParameters", "TargetParameters", "DesiredState"):
            if key in props:
                kwargs[key] = props[key]
        try:  # moto's pipes are CRUD only; registering it lets `aws pipes list-pipes` show the local pipe
            arn = pipes.create_pipe(**kwargs)["Arn"]
        except Exception as exc:  # visibility only: the local pipe runs regardless
            log.debug("moto create_pipe failed (%s); the local pipe runs anyway", exc)
            arn = f"arn:aws:pipes:{self.resolver.region}:{self.resolver.account_id}:pipe/{name}"
        self.result.pipes.append(props | {"Name": name})
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _schedule(self, r: Resource) -> None:
        """An EventBridge Scheduler schedule: kept for the runtime's scheduled invoker; also registered in moto
        (which only stores it) so that ``aws scheduler list-schedules`` shows it."""
        props = self.resolver.resolve(dict(r.properties))
        name = props.get("Name") or local_name(self.stack_name, r.logical_id, 64)
        target = dict(props.get("Target") or {})
        try:
            arn = self._client("scheduler").create_schedule(
                Name=name,
                ScheduleExpression=props["ScheduleExpression"],
                FlexibleTimeWindow=props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
                Target={
                    k: v
                    for k, v in target.items()
                    if k in ("Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")
                },
                State=props.get("State", "ENABLED"),
            )["ScheduleArn"]
        except Exception as exc:  # visibility only: the local schedule runs regardless
            log.debug("moto create_schedule failed (%s); the local schedule runs anyway", exc)
            arn = (
                f"arn:aws:scheduler:{self.resolver.region}:{self.resolver.account_id}:schedule/default/{name}"
            )
        self.result.schedules.append(props | {"Name": name})
        self.resolver.register(r.logical_id, name, Arn=arn)

    def _event_invoke_config(self, r: Resource) -> None:
        """A function's asynchronous invocation settings: retries, maximum event age, destinations."""
        props = self.resolver.resolve(dict(r.properties))
        config = {k: props[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
                  if k in props}  # fmt: skip
        self._client("lambda").put_function_event_invoke_config(FunctionName=props["FunctionName"], **config)
        self.resolver.register(r.logical_id, f"{props['FunctionName']}-event-invoke-config")

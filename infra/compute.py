"""The analysis worker on ECS Fargate: network, cluster, task definition, its roles and logs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.paths import REPO_ROOT, WORKER_DOCKERFILE
from infra.settings import Settings
from vidpipe.contract.names import RESULTS_PREFIX, WORKER_CONTAINER_NAME, WorkerEnv

WORKER_COMMAND = ["python", "-m", "worker"]
WORKER_LOG_STREAM_PREFIX = "worker"
"""awslogs stream prefix; streams are named <prefix>/<container>/<task id> (``worker/worker/<id>``)."""

IMAGE_EXCLUDES = [
    ".git", ".venv", "node_modules", "cdk.out", ".vidpipe", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    "**/__pycache__", "*.egg-info", "build", "dist",
    # Last: re-include the Dockerfile even if .dockerignore drops it. CDK builds from the staged copy in
    # cdk.out with `--file worker/Dockerfile`, so the file must be staged (CDK only re-includes a root one).
    "!worker/Dockerfile",
]  # fmt: skip
"""Never part of the worker's build context (the repository root); the root .dockerignore adds more."""


class Network(Construct):
    """Where the tasks run: an existing VPC from context, or a new VPC with public subnets and no NAT.

    Without a NAT gateway (about $32/month each) the tasks need public IPs to reach ECR and CloudWatch Logs;
    the S3 gateway endpoint keeps video downloads and result uploads off the internet path (and free).
    The security group allows no inbound traffic: the worker only makes outbound calls.
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings,
                 log_retention: logs.RetentionDays, removal: cdk.RemovalPolicy) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        if settings.uses_existing_vpc:
            # from_vpc_attributes, not from_lookup: no account lookups, so synth stays offline and the stack
            # environment-agnostic. Only the VPC id is needed (security group); subnets are passed by id.
            self.vpc: ec2.IVpc = ec2.Vpc.from_vpc_attributes(
                self, "Vpc", vpc_id=settings.vpc_id, availability_zones=[cdk.Fn.select(0, cdk.Fn.get_azs())]
            )
            self.subnet_ids: list[str] = list(settings.subnet_ids)
        else:
            flow_logs = logs.LogGroup(self, "FlowLogs", retention=log_retention, removal_policy=removal)
            vpc = ec2.Vpc(
                self, "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(settings.vpc_cidr),
                max_azs=settings.vpc_max_azs,
                nat_gateways=0,
                subnet_configuration=[ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)],
                gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
                flow_logs={"FlowLog": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.REJECT)},
            )  # fmt: skip
            self.vpc = vpc
            self.subnet_ids = [subnet.subnet_id for subnet in vpc.public_subnets]
        self.security_group = ec2.SecurityGroup(
            self, "TaskSecurityGroup", vpc=self.vpc, allow_all_outbound=True,
            description="vidpipe worker tasks: no inbound, outbound to S3, ECR and CloudWatch Logs",
        )  # fmt: skip
        self.assign_public_ip = settings.public_ip


class Worker(Construct):
    """Cluster (FARGATE + FARGATE_SPOT, Container Insights) and the worker's Fargate task definition.

    The task role can read any object version of the video bucket and write only under the results prefix
    of the results bucket; it cannot list or delete anything.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, network: Network,
        video_bucket: s3.IBucket, results_bucket: s3.IBucket, bucket_key: kms.IKey | None,
        log_retention: logs.RetentionDays, removal: cdk.RemovalPolicy,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, enable_fargate_capacity_providers=True,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )  # fmt: skip
        self.task_role = iam.Role(
            self, "TaskRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="vidpipe worker: read videos, write results",
        )  # fmt: skip
        self.task_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[video_bucket.arn_for_objects("*")]
            )
        )
        self.task_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[results_bucket.arn_for_objects(f"{RESULTS_PREFIX}*")]
            )
        )
        if bucket_key is not None:
            self.task_role.add_to_policy(iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[bucket_key.key_arn]))  # fmt: skip

        arm = settings.worker_architecture == "ARM64"
        self.task_definition = ecs.FargateTaskDefinition(
            self, "TaskDefinition",
            cpu=settings.worker_cpu,
            memory_limit_mib=settings.worker_memory_mib,
            ephemeral_storage_gib=settings.worker_ephemeral_storage_gib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64 if arm else ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=self.task_role,
        )  # fmt: skip
        self.log_group = logs.LogGroup(self, "WorkerLogs", retention=log_retention, removal_policy=removal)
        self.container = self.task_definition.add_container(
            WORKER_CONTAINER_NAME,
            container_name=WORKER_CONTAINER_NAME,
            image=self._image(settings, arm),
            command=WORKER_COMMAND,
            essential=True,
            memory_limit_mib=settings.worker_memory_mib,
            # Defaults only; the state machine adds the per-job variables as container overrides.
            environment={
                WorkerEnv.OPTIONS: settings.worker_options,
                WorkerEnv.MAX_BYTES: str(settings.worker_max_bytes),
                WorkerEnv.MAX_DURATION_SECONDS: str(settings.worker_max_duration_seconds),
            },
            logging=ecs.LogDrivers.aws_logs(stream_prefix=WORKER_LOG_STREAM_PREFIX, log_group=self.log_group),
            stop_timeout=cdk.Duration.seconds(110),  # < the two-minute Spot warning: time to exit 143 cleanly
        )  # fmt: skip

    @staticmethod
    def _image(settings: Settings, arm: bool) -> ecs.ContainerImage:
        if settings.worker_image:
            return ecs.ContainerImage.from_registry(settings.worker_image)
        if not (REPO_ROOT / WORKER_DOCKERFILE).is_file():
            raise FileNotFoundError(
                f"{WORKER_DOCKERFILE} does not exist: the worker image is built from it "
                "(or set vidpipe:workerImage to a pre-built image URI)"
            )
        # Staged at synth time (no Docker needed); built by `cdk deploy`.
        return ecs.ContainerImage.from_asset(
            str(REPO_ROOT),
            file=WORKER_DOCKERFILE,
            exclude=IMAGE_EXCLUDES,
            platform=cdk.aws_ecr_assets.Platform.LINUX_ARM64
            if arm
            else cdk.aws_ecr_assets.Platform.LINUX_AMD64,
        )

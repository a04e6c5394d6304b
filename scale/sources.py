"""Where each parameter of the model comes from: AWS documentation, the project's notes and docs, or an assumption.

Every field of :mod:`scale.params` names one key of :data:`SOURCES`. The parameter table of docs/scale.md is
rendered from both (``python -m scale --params``), so a figure and its source cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One source: what it says, where it is."""

    title: str
    where: str


SOURCES: dict[str, Source] = {
    "sfn-quotas": Source(
        "Step Functions service quotas (state throttling, API throttling, us-east-1); 'New AWS accounts have "
        "reduced state transition quotas'",
        "https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html",
    ),
    "sfn-pricing": Source(
        "Standard workflows: $0.025 per 1,000 state transitions, retries count",
        "project notes aws-semantics.md, 'Step Functions'",
    ),
    "fargate-throttling": Source(
        "Fargate task launch token buckets (100 burst, 20/s, one for On-Demand and one for Spot); RunTask "
        "20 calls/s burst and sustained",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html",
    ),
    "ecs-quotas": Source(
        "Rate of tasks launched by a service on Fargate: 500 per minute per service",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html",
    ),
    "gr-ecs": Source(
        "Fargate On-Demand and Spot vCPU resource count: 6 by default per Region, adjustable",
        "https://docs.aws.amazon.com/general/latest/gr/ecs-service.html",
    ),
    "fargate-pricing": Source(
        "Linux/x86 $0.04048 per vCPU-hour, $0.004445 per GB-hour, per second with a one-minute minimum, from "
        "the start of the image pull; Spot typically about 70% cheaper",
        "project notes aws-semantics.md, 'Limits and prices' (copies of https://aws.amazon.com/fargate/pricing/)",
    ),
    "fargate-pull": Source(
        "Fargate pulls the whole image for every task; pull time drives task start time",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html",
    ),
    "spot-notice": Source(
        "Fargate Spot: two-minute warning as SIGTERM and an EventBridge event; stopTimeout default 30 s",
        "https://repost.aws/knowledge-center/fargate-spot-termination-notice",
    ),
    "lambda-quotas": Source(
        "Lambda concurrent executions: 1,000 per Region by default (new accounts lower)",
        "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
    ),
    "lambda-pricing": Source(
        "Lambda: $0.20 per 1M requests; Arm $0.0000133334 per GB-second (first tier, us-east-1)",
        "https://aws.amazon.com/lambda/pricing/",
    ),
    "ddb-partition": Source(
        "DynamoDB: each partition serves at most 1,000 write units and 3,000 read units per second",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html",
    ),
    "ddb-units": Source(
        "DynamoDB: a write request unit writes up to 1 KB; a transactional write takes two",
        "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/dynamodb.html",
    ),
    "ddb-pricing": Source(
        "DynamoDB on-demand (us-east-1, after the November 2024 reduction): $0.625 per million write request "
        "units, $0.125 per million read request units (read in a third-party copy of the pricing page)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    "sqs-pricing": Source(
        "SQS standard: $0.40 per million requests (each 64 KB chunk is a request)",
        "https://aws.amazon.com/sqs/pricing/",
    ),
    "sqs-metrics": Source(
        "SQS metrics reach CloudWatch at one-minute intervals",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html",
    ),
    "pipes-pricing": Source(
        "EventBridge Pipes: $0.40 per million requests after filtering (read in a third-party copy of the pricing page)",
        "https://aws.amazon.com/eventbridge/pricing/",
    ),
    "s3-notifications": Source(
        "S3 event notifications: 'typically delivered in seconds but can sometimes take a minute or longer'",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html",
    ),
    "aas-step": Source(
        "Application Auto Scaling step scaling: cooldown default 300 s; scale-out during cooldown counts the "
        "capacity already added; scale-in blocked during its cooldown",
        "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html",
    ),
    "task-protection": Source(
        "ECS task scale-in protection: protected tasks are not stopped by service auto scaling scale-in",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html",
    ),
    "cw-pricing": Source(
        "CloudWatch: $0.10 per standard-resolution alarm metric per month (read in third-party copies)",
        "https://aws.amazon.com/cloudwatch/pricing/",
    ),
    "ipv4-pricing": Source(
        "Public IPv4 addresses: $0.005 per address-hour since 2024-02-01 (vidpipe's created VPC gives tasks public IPs)",
        "https://aws.amazon.com/vpc/pricing/",
    ),
    "worker-doc": Source(
        "The worker: 8.21 s wall for a 60 s 720p clip on an idle 2-core machine",
        "docs/worker.md, 'Benchmark'",
    ),
    "video-ml": Source(
        "Fargate vCPUs are hyperthreads: a 2-vCPU task is slower than 2 real cores",
        "project notes video-ml.md",
    ),
    "local-runtime": Source(
        "No-op worker on the local runtime: 57 jobs/min with 4 tasks, i.e. ~4.2 s per job",
        "docs/local-runtime.md, 'Benchmark'",
    ),
    "slot-design": Source(
        "Slot hand-off: waiters park on .waitForTaskToken, a release hands the slot to the oldest waiter; 7 "
        "transitions per successful video; ~2 transactional writes of the counter item per acquisition; "
        "slotWaitSeconds 3600",
        "docs/architecture.md (the lead's slot hand-off design, issue 9)",
    ),
    "issue-9": Source(
        "Polling AcquireSlot: 25.2 transitions per video at 300 uploads with cap 2; each holder adds ~155 bytes "
        "to the one semaphore item",
        "issue 9",
    ),
    "asl": Source(
        "Retry policies of AnalyzeOnSpot and AnalyzeOnDemand, read from the definition at run time",
        "statemachine/pipeline.asl.json",
    ),
    "settings": Source(
        "Deployment defaults, read from the code at run time", "infra/settings.py (docs/configuration.md)"
    ),
    "assumption": Source(
        "Assumption of this model (no published figure); see docs/scale.md", "docs/scale.md"
    ),
}

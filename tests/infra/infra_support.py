"""Shared values and helpers of the infra tests (a uniquely named module: tests/ has several conftests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import infra  # noqa: F401  (first: silences jsii's Node banner before aws_cdk starts the runtime)
from infra.paths import REPO_ROOT, WORKER_DOCKERFILE

# Until the worker's Dockerfile exists, synthesize with a registry image instead of the image asset.
DOCKERFILE_PRESENT = (REPO_ROOT / WORKER_DOCKERFILE).is_file()
BASE_CONTEXT: dict[str, Any] = (
    {} if DOCKERFILE_PRESENT else {"vidpipe:workerImage": "example.com/vidpipe-worker:test"}
)

# Every non-default branch of the stack in one variant: existing VPC, KMS everywhere, ARM64 without Spot,
# ERROR logs.
VARIANT_CONTEXT: dict[str, Any] = {
    **BASE_CONTEXT,
    "vidpipe:vpcId": "vpc-0123456789abcdef0",
    "vidpipe:subnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "vidpipe:bucketEncryption": "KMS",
    "vidpipe:tableEncryption": "CUSTOMER_MANAGED",
    "vidpipe:workerArchitecture": "ARM64",
    "vidpipe:workerSpot": "false",  # Fargate Spot runs no ARM64 tasks
    "vidpipe:lambdaArchitecture": "X86_64",
    "vidpipe:stateMachineLogLevel": "ERROR",
    "vidpipe:removalPolicy": "DESTROY",
    "vidpipe:alarmEmail": "ops@example.com",
    "vidpipe:pipeBatchSize": "5",  # within the payload and history bounds of the ASL
    "vidpipe:pipeMaximumBatchingWindowSeconds": "5",
}


@dataclass(frozen=True)
class Synth:
    """A synthesized cloud assembly: the template and where it was written."""

    template: dict[str, Any]
    outdir: Path
    fingerprint: str  # infra.synth's cache key when the session synthesized

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def one(self, resource_type: str, prefix: str = "") -> dict[str, Any]:
        found = [v for k, v in self.resources(resource_type).items() if k.startswith(prefix)]
        assert len(found) == 1, f"expected one {resource_type} {prefix!r}, found {len(found)}"
        return found[0]["Properties"]


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)

"""boto3 clients for the local runtime: one place that knows the endpoint, the region and the dummy keys.

moto accepts any credentials; fixed dummy ones keep a user's real AWS credentials (or their absence) out of
the runtime, so that nothing the runtime does can ever reach a real account.
"""

from __future__ import annotations

from typing import Any, Final

import boto3
from botocore.config import Config

REGION: Final = "us-east-1"
ACCOUNT_ID: Final = "123456789012"  # moto's default account
DUMMY_CREDENTIALS: Final = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=70)


def client(service: str, endpoint_url: str, region: str = REGION) -> Any:
    """A boto3 client of ``service`` bound to the local endpoint with dummy credentials."""
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=_CONFIG,
    )


def client_environment(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """Environment variables that point any AWS SDK (the worker, the CLI, boto3 in handlers) at the runtime."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        **DUMMY_CREDENTIALS,
    }

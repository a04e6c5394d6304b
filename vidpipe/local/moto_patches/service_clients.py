"""Patch of moto 5.2.5's Step Functions interpreter: the boto3 clients its Task states call other services
with. Defect 28. Applied by :func:`vidpipe.local.moto_patches.apply`, before the patches that call
``boto_client_for`` themselves (``ecs_integration``), so that they bind the shared version.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from typing import Any

from vidpipe.local import in_memory

#: Every moto module that imports ``boto_client_for`` by name (the test checks this list against moto's source).
IMPORTERS = tuple(
    f"moto.stepfunctions.parser.asl.component.state.exec.{name}"
    for name in (
        "state_map.result_writer.resource_eval.resource_eval_s3",
        "state_map.item_reader.eval.resource_eval_s3",
        "state_task.lambda_eval_utils",
        *(
            f"state_task.service.state_task_service_{service}"
            for service in (
                "unsupported",
                "glue",
                "events",
                "ecs",
                "sqs",
                "sfn",
                "dynamodb",
                "batch",
                "sns",
                "aws_sdk",
            )
        ),
    )
)

#: Connections each shared client keeps open: a burst of executions calls Lambda (whose call lasts as long as
#: the handler runs) from as many threads at once; botocore's default of 10 would open and drop the rest.
MAX_POOL_CONNECTIONS = 128


def _patch_shared_service_clients() -> None:
    """Defect 28: every Task state's service call creates a new boto3 client (``boto_client_for``).

    Creating a client loads and parses the service's botocore model and lists botocore's data directories; in
    a burst, threads that create clients at once all miss botocore's caches. Measured with py-spy on the slot
    benchmark (60 uploads, cap 2): 27% of the runtime process's busy samples, more than all the Lambda
    handlers together. AWS has no such cost (the service calls the integration's API directly).
    Patch: one client per region, service and endpoint, made with moto's settings (its credentials, no
    parameter validation, no retries, its timeouts) and a larger connection pool, shared by every Task state
    (botocore clients are thread-safe). moto ignores the ``state_credentials`` it passes; so does the patch.
    """
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    clients: dict[tuple[str, str, str | None], Any] = {}
    lock = threading.Lock()
    # moto's settings for these clients (boto_client.py), plus the pool. (Not read back from a client moto
    # made: a client's ``meta.config`` does not keep ``parameter_validation``.)
    config = Config(
        parameter_validation=False,
        retries={"max_attempts": 0, "total_max_attempts": 1},
        connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )

    @functools.wraps(original)
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        intercepted = boto_client.botocore_stubber.enabled  # in-process mock_aws: no endpoint, as moto does
        endpoint = None if intercepted else f"http://localhost:{boto_client.moto_server_port()}"
        key = (region, service, endpoint)
        with lock:
            client = clients.get(key)
            if client is None:
                client = boto_client.boto3.client(
                    service_name=service,
                    region_name=region,
                    endpoint_url=endpoint,
                    aws_access_key_id="ak",
                    aws_secret_access_key="sk",
                    config=config,
                )
                clients[key] = client if intercepted else in_memory.route(client)
            return client

    boto_client.boto_client_for = boto_client_for
    for name in IMPORTERS:
        module = importlib.import_module(name)
        if getattr(module, "boto_client_for", None) is original:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]


PATCHES: tuple[Callable[[], None], ...] = (_patch_shared_service_clients,)

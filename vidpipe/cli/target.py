"""Which pipeline the CLI talks to: the session, the clients and the stack's resources.

Resources are always discovered from the stack's outputs (``cloudformation:DescribeStacks``), on AWS and
locally alike: the local runtime registers a stack with the same output keys in moto, so one code path
serves both. Everything is resolved lazily and cached for the invocation, so ``vidpipe --help`` or a bad
duration never touches the network.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from vidpipe.cli.errors import TargetError
from vidpipe.cli.local_boot import LocalBoot
from vidpipe.cli.local_boot import observe as observe_local_boot
from vidpipe.contract.names import DEFAULT_STACK_NAME, Output

if TYPE_CHECKING:
    import boto3

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}  # moto's dummy credentials


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/vidpipe/config.toml`` (default ``~/.config/vidpipe/config.toml``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vidpipe" / "config.toml"


def load_config(path: Path | None = None) -> dict[str, str]:
    """The optional config file's top-level keys: ``stack``, ``profile``, ``region``, ``endpoint_url``.

    Raises:
        TargetError: when the file exists but is not valid TOML.
    """
    path = path or config_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"{path}: not valid TOML: {exc}") from exc
    return {k: str(v) for k, v in data.items() if isinstance(v, str | int)}


@dataclass(frozen=True)
class TargetOptions:
    """The global options as given: ``None`` means "not given", resolved by :func:`resolve_options`."""

    stack: str | None = None
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


def resolve_options(
    given: TargetOptions, env: dict[str, str] | None = None, config: dict[str, str] | None = None
) -> TargetOptions:
    """Fill unset options: command line first, then environment, then the config file, then defaults.

    The stack name defaults to ``VIDPIPE_STACK``, then ``stack`` in the config file, then
    :data:`DEFAULT_STACK_NAME`. The endpoint honours ``AWS_ENDPOINT_URL`` like the AWS CLI does.
    """
    env = dict(os.environ) if env is None else env
    config = load_config() if config is None else config
    return TargetOptions(
        stack=given.stack or env.get("VIDPIPE_STACK") or config.get("stack") or DEFAULT_STACK_NAME,
        profile=given.profile or config.get("profile"),
        region=given.region or config.get("region"),
        endpoint_url=given.endpoint_url or env.get("AWS_ENDPOINT_URL") or config.get("endpoint_url"),
    )


# Resources attribute -> stack output key.
_OUTPUT_OF: dict[str, str] = {
    "video_bucket": Output.VIDEO_BUCKET,
    "results_bucket": Output.RESULTS_BUCKET,
    "queue_url": Output.QUEUE_URL,
    "dlq_url": Output.DLQ_URL,
    "state_machine_arn": Output.STATE_MACHINE_ARN,
    "job_table": Output.JOB_TABLE,
    "worker_log_group": Output.WORKER_LOG_GROUP,
    "worker_log_stream_prefix": Output.WORKER_LOG_STREAM_PREFIX,
}


@dataclass(frozen=True)
class Resources:
    """The stack's resources, by the output keys of :class:`vidpipe.contract.names.Output`."""

    stack: str
    video_bucket: str
    results_bucket: str
    queue_url: str
    dlq_url: str
    state_machine_arn: str
    job_table: str
    worker_log_group: str
    worker_log_stream_prefix: str
    outputs: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_outputs(cls, stack: str, outputs: dict[str, str]) -> Resources:
        """Build from a stack's outputs.

        Raises:
            TargetError: naming every missing output key at once (an older or foreign stack).
        """
        missing = [key for key in _OUTPUT_OF.values() if key not in outputs]
        if missing:
            raise TargetError(f"stack {stack} lacks the outputs {', '.join(missing)}: is it a vidpipe stack?")
        values = {attr: outputs[key] for attr, key in _OUTPUT_OF.items()}
        return cls(stack=stack, outputs=dict(outputs), **values)


@cache
def _data_loader() -> Any:
    """botocore's service-model loader, shared: parsing the models is most of a client's creation time."""
    from botocore.loaders import create_loader

    return create_loader()


def _botocore_session() -> Any:
    """A fresh botocore session (own credentials and config) that reuses the parsed service models."""
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("data_loader", _data_loader())
    return session


class Target:
    """A session on AWS or on the local runtime, its clients, and the stack's resources (all lazy)."""

    def __init__(self, options: TargetOptions) -> None:
        self.options = options
        self._clients: dict[str, Any] = {}
        self.local_boot: LocalBoot | None = None  # the local runtime's boot, once the stack was read

    @property
    def endpoint_url(self) -> str | None:
        return self.options.endpoint_url

    @property
    def is_local(self) -> bool:
        """An endpoint URL means the local runtime (moto): no console, dummy credentials if none."""
        return bool(self.options.endpoint_url)

    @cached_property
    def session(self) -> boto3.Session:
        """The boto3 session; locally, dummy credentials when none are configured and us-east-1 by default."""
        import boto3

        session = boto3.Session(
            botocore_session=_botocore_session(),
            profile_name=self.options.profile,
            region_name=self.options.region,
        )
        if self.is_local:
            # The local runtime lives in us-east-1: a profile's region (~/.aws/config) must not move the CLI
            # elsewhere; only an explicit --region / AWS_REGION / config-file region does.
            # Credentials are resolved once and passed explicitly, so that the clients made later never
            # look them up again (moto accepts any; the dummy ones stand in when none are configured).
            kwargs: dict[str, str] = {"region_name": self.options.region or LOCAL_REGION}
            found = session.get_credentials()
            if found is None:
                kwargs |= LOCAL_CREDENTIALS
            else:
                frozen = found.get_frozen_credentials()
                kwargs |= {"aws_access_key_id": frozen.access_key, "aws_secret_access_key": frozen.secret_key}
                if frozen.token:
                    kwargs["aws_session_token"] = frozen.token
            session = boto3.Session(
                botocore_session=_botocore_session(), profile_name=self.options.profile, **kwargs
            )
        return session

    @property
    def region(self) -> str:
        region = self.session.region_name
        if not region:
            raise TargetError("no AWS region configured: pass --region or set AWS_REGION")
        return region

    def client(self, service: str) -> Any:
        """A cached client; locally with few retries so that a stopped runtime fails fast."""
        if service not in self._clients:
            config = Config(retries={"max_attempts": 2 if self.is_local else 5, "mode": "standard"})
            if self.is_local:
                config = config.merge(Config(connect_timeout=2, read_timeout=30))
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.options.endpoint_url, config=config
            )
        return self._clients[service]

    @cached_property
    def resources(self) -> Resources:
        """The stack's resources from ``describe_stacks``.

        Raises:
            TargetError: when the stack does not exist (with what to do about it).
        """
        stack = self.options.stack or DEFAULT_STACK_NAME
        try:
            response = self.client("cloudformation").describe_stacks(StackName=stack)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ValidationError":
                raise TargetError(self._missing_stack_message(stack)) from exc
            raise
        stacks = response.get("Stacks", [])
        if not stacks:
            raise TargetError(self._missing_stack_message(stack))
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        if self.is_local:
            self._observe_local_boot(stacks[0])
        return Resources.from_outputs(stack, outputs)

    def _observe_local_boot(self, stack: dict[str, Any]) -> None:
        """Remember the local runtime's boot; the first command after a restart says so (stderr)."""
        import typer

        self.local_boot = observe_local_boot(str(self.endpoint_url), stack)
        if self.local_boot is not None and self.local_boot.first_contact:
            typer.echo(f"note: {self.local_boot.notice()}", err=True)

    def _missing_stack_message(self, stack: str) -> str:
        if self.is_local:
            return (
                f"stack {stack} not found at {self.endpoint_url}: start the local runtime with "
                "`vidpipe local up` (or pass --stack)"
            )
        return (
            f"stack {stack} not found in {self.region}: deploy it with `npx cdk deploy`, "
            "or pass --stack / --region / --profile"
        )

    def console_url(self, execution_arn: str) -> str:
        """The Step Functions console page of an execution; locally there is no console."""
        if self.is_local:
            return f"(local runtime: no console; `vidpipe show {execution_arn.rsplit(':', 1)[-1]}`)"
        region = self.region
        return (
            f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{execution_arn}"
        )

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
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import ClientError

from vidpipe.cli.errors import BadArgument, TargetError, local_hint
from vidpipe.cli.local_boot import LocalBoot
from vidpipe.cli.local_boot import observe as observe_local_boot
from vidpipe.contract.names import DEFAULT_STACK_NAME, Output

if TYPE_CHECKING:
    import boto3

LOCAL_REGION = "us-east-1"  # the region the local runtime serves (vidpipe.local.aws.REGION)
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
    """The global options as given: ``None`` means "not given", resolved by :func:`resolve_options`.

    ``region_source`` says where the region came from (for messages), once resolved.
    """

    stack: str | None = None
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    region_source: str | None = None


def _first(*candidates: tuple[str | None, str]) -> tuple[str | None, str | None]:
    """The first (value, source) whose value is set, or (None, None)."""
    return next(((value, source) for value, source in candidates if value), (None, None))


def check_endpoint_url(url: str | None, source: str = "--endpoint-url") -> str | None:
    """``url`` when it is an http(s) URL with a host.

    Raises:
        BadArgument: for anything else, e.g. ``127.0.0.1:4566`` without its scheme (botocore would fail
        with a traceback deep inside client creation).
    """
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise BadArgument(f"bad endpoint URL {url!r} ({source}): {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        example = "http://" + url.split("://", 1)[-1]
        raise BadArgument(f"bad endpoint URL {url!r} ({source}): give a scheme and a host, e.g. {example}")
    return url


def resolve_options(
    given: TargetOptions, env: dict[str, str] | None = None, config: dict[str, str] | None = None
) -> TargetOptions:
    """Fill unset options: command line first, then environment, then the config file, then defaults.

    The stack name defaults to ``VIDPIPE_STACK``, then ``stack`` in the config file, then
    :data:`DEFAULT_STACK_NAME`. As with the AWS CLI, the endpoint honours ``AWS_ENDPOINT_URL``, the region
    ``AWS_REGION`` then ``AWS_DEFAULT_REGION``, and the profile ``AWS_PROFILE``.

    Raises:
        BadArgument: for an endpoint URL that is not an http(s) URL.
    """
    env = dict(os.environ) if env is None else env
    config = load_config() if config is None else config
    region, region_source = _first(
        (given.region, given.region_source or "--region"),
        (env.get("AWS_REGION"), "AWS_REGION"),
        (env.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
        (config.get("region"), f"region in {config_path()}"),
    )
    endpoint, endpoint_source = _first(
        (given.endpoint_url, "--endpoint-url"),
        (env.get("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"),
        (config.get("endpoint_url"), f"endpoint_url in {config_path()}"),
    )
    return TargetOptions(
        stack=given.stack or env.get("VIDPIPE_STACK") or config.get("stack") or DEFAULT_STACK_NAME,
        profile=given.profile or env.get("AWS_PROFILE") or config.get("profile"),
        region=region,
        endpoint_url=check_endpoint_url(endpoint, endpoint_source or "--endpoint-url"),
        region_source=region_source,
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


def _botocore_session(profiles: bool = True) -> Any:
    """A fresh botocore session (own credentials and config) that reuses the parsed service models.

    ``profiles=False`` makes it blind to ``AWS_PROFILE``: a profile that no longer exists would otherwise
    fail every call with ProfileNotFound, also where no profile is needed (the local runtime).
    """
    import botocore.session

    session = botocore.session.Session(
        session_vars=None if profiles else {"profile": (None, None, None, None)}
    )
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
        """The boto3 session.

        Locally (an endpoint URL is set) no credentials and no profile are looked up: moto accepts any
        credentials, so fixed dummy ones are used and a stale ``AWS_PROFILE`` or an expired SSO login cannot
        get in the way. The region is the one given explicitly (``--region``, ``AWS_REGION``,
        ``AWS_DEFAULT_REGION``, the config file), else the local runtime's ``us-east-1``; a profile's
        region (``~/.aws/config``) is for AWS and is ignored.
        """
        import boto3

        if self.is_local:
            return boto3.Session(
                botocore_session=_botocore_session(profiles=False),
                region_name=self.options.region or LOCAL_REGION,
                **LOCAL_CREDENTIALS,
            )
        return boto3.Session(
            botocore_session=_botocore_session(),
            profile_name=self.options.profile,
            region_name=self.options.region,
        )

    @property
    def region(self) -> str:
        region = self.session.region_name
        if not region:
            raise TargetError("no AWS region configured: pass --region or set AWS_REGION")
        return region

    def client(self, service: str) -> Any:
        """A cached client; locally with few retries so that a stopped runtime fails fast."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service,
                region_name=self.region,
                endpoint_url=self.options.endpoint_url,
                config=self._config(),
            )
        return self._clients[service]

    def _config(self) -> Config:
        config = Config(retries={"max_attempts": 2 if self.is_local else 5, "mode": "standard"})
        if self.is_local:
            config = config.merge(Config(connect_timeout=2, read_timeout=30))
        return config

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
        if not self.is_local:
            return (
                f"stack {stack} not found in {self.region}: deploy it with `npx cdk deploy`, "
                "or pass --stack / --region / --profile"
            )
        where = f"at {self.endpoint_url} in {self.region}"
        if self.region != LOCAL_REGION and self._stack_exists(stack, LOCAL_REGION):
            source = f" (from {self.options.region_source})" if self.options.region_source else ""
            return (
                f"stack {stack} not found {where}: the region differs, the local runtime serves "
                f"{LOCAL_REGION}, not {self.region}{source}: pass --region {LOCAL_REGION}"
            )
        others = self._stack_names()
        if others:
            return f"stack {stack} not found {where}: the stacks there are {', '.join(others)} (pass --stack)"
        return f"no stack {stack} {where}: {local_hint(self.endpoint_url)} (or pass --stack)"

    def _stack_exists(self, stack: str, region: str) -> bool:
        """Whether ``stack`` exists in another region of the same endpoint (a message's probe)."""
        other = self.session.client(
            "cloudformation", region_name=region, endpoint_url=self.endpoint_url, config=self._config()
        )
        try:
            return bool(other.describe_stacks(StackName=stack).get("Stacks"))
        except ClientError:
            return False

    def _stack_names(self) -> list[str]:
        """The stacks the endpoint holds in the target's region (a message's hint)."""
        try:
            stacks = self.client("cloudformation").describe_stacks().get("Stacks", [])
        except ClientError:
            return []
        return sorted(str(s["StackName"]) for s in stacks)

    def console_url(self, execution_arn: str) -> str:
        """The Step Functions console page of an execution; locally there is no console."""
        if self.is_local:
            return f"(local runtime: no console; `vidpipe show {execution_arn.rsplit(':', 1)[-1]}`)"
        region = self.region
        return (
            f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{execution_arn}"
        )

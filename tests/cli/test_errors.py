"""Expected failures are one line on stderr and exit 1: unknown job, bad duration, unreachable endpoint,
missing stack, missing credentials; and target resolution rules."""

from __future__ import annotations

import socket

import pytest
from botocore.exceptions import CredentialRetrievalError, NoCredentialsError

from vidpipe.cli.errors import translate
from vidpipe.cli.lookup import Kind, kind_of
from vidpipe.cli.target import Resources, TargetOptions, resolve_options
from vidpipe.contract.names import DEFAULT_STACK_NAME


def _one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unknown_job(cli) -> None:
    line = _one_error_line(cli("status", "0" * 24))
    assert "no job 000000000000000000000000" in line


def test_unknown_object_and_execution(cli) -> None:
    assert "no job for s3://nope/x.mp4" in _one_error_line(cli("status", "s3://nope/x.mp4"))
    assert "no execution" in _one_error_line(cli("status", "no-such-execution"))


@pytest.mark.parametrize("command", [("jobs",), ("executions",), ("replay", "--failed")])
def test_bad_duration(cli, command: tuple[str, ...]) -> None:
    line = _one_error_line(cli(*command, "--since", "3 fortnights"))
    assert "bad duration '3 fortnights'" in line


def test_unreachable_endpoint(cli) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    line = _one_error_line(cli("jobs", endpoint=endpoint))
    assert line == f"Error: cannot reach {endpoint}: start the local runtime with `vidpipe local up`"


def test_missing_stack(cli) -> None:
    line = _one_error_line(cli("jobs", stack_name="NoSuchStack"))
    assert "stack NoSuchStack not found" in line and "vidpipe local up" in line


def test_bad_status(cli) -> None:
    assert "unknown job status 'done'" in _one_error_line(cli("jobs", "--status", "done"))


def test_missing_credentials_message() -> None:
    error = translate(NoCredentialsError())
    assert error is not None and "no AWS credentials found" in str(error)
    retrieval = translate(CredentialRetrievalError(provider="container-role", error_msg="denied"))
    assert retrieval is not None and "could not get AWS credentials" in str(retrieval)
    assert translate(ValueError("a bug")) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("0123456789abcdef01234567", Kind.JOB),
        ("s3://bucket/some key.mp4", Kind.OBJECT),
        ("arn:aws:states:us-east-1:1:execution:sm:name", Kind.EXECUTION),
        ("5f2d1c0e-1111-2222-3333-444455556666", Kind.EXECUTION),
        ("0123456789ABCDEF01234567", Kind.EXECUTION),
    ],
)
def test_target_kinds(text: str, kind: Kind) -> None:
    assert kind_of(text) is kind


def test_bad_s3_target() -> None:
    from vidpipe.cli.errors import BadArgument

    with pytest.raises(BadArgument, match="bucket and a key"):
        kind_of("s3://bucket-only")


def test_option_precedence() -> None:
    env = {"VIDPIPE_STACK": "FromEnv", "AWS_ENDPOINT_URL": "http://env:1"}
    config = {"stack": "FromConfig", "region": "eu-west-1"}
    assert resolve_options(TargetOptions(stack="Given"), env, config).stack == "Given"
    resolved = resolve_options(TargetOptions(), env, config)
    assert (resolved.stack, resolved.endpoint_url, resolved.region) == (
        "FromEnv",
        "http://env:1",
        "eu-west-1",
    )
    assert resolve_options(TargetOptions(), {}, {}).stack == DEFAULT_STACK_NAME


def test_foreign_stack_names_every_missing_output() -> None:
    from vidpipe.cli.errors import TargetError

    with pytest.raises(TargetError, match="VideoBucketName, ResultsBucketName"):
        Resources.from_outputs("Other", {"QueueUrl": "q"})


def test_missing_credentials_on_aws(cli, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No endpoint (AWS) and no credentials anywhere: one line saying how to get some, no network call."""
    from typer.testing import CliRunner

    from vidpipe.cli.main import app

    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for variable in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(variable, raising=False)
    result = CliRunner().invoke(app, ["--region", "eu-west-1", "jobs"], catch_exceptions=False)
    line = _one_error_line(result)
    assert "no AWS credentials found" in line and "--endpoint-url" in line


def test_config_file(tmp_path) -> None:
    from vidpipe.cli.errors import TargetError
    from vidpipe.cli.target import load_config

    path = tmp_path / "config.toml"
    path.write_text('stack = "Staging"\nregion = "eu-central-1"\n')
    assert load_config(path) == {"stack": "Staging", "region": "eu-central-1"}
    assert load_config(tmp_path / "absent.toml") == {}
    path.write_text("stack = ")
    with pytest.raises(TargetError, match="not valid TOML"):
        load_config(path)


def test_local_target_ignores_the_profile_region(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from vidpipe.cli.target import Target

    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    local = Target(TargetOptions(endpoint_url="http://127.0.0.1:4566"))
    assert local.region == "us-east-1"
    assert local.session.get_credentials() is not None  # dummy ones when none are configured
    assert (
        Target(TargetOptions(endpoint_url="http://127.0.0.1:4566", region="eu-west-1")).region == "eu-west-1"
    )
    assert Target(TargetOptions()).region == "eu-west-3"  # on AWS the profile's region applies

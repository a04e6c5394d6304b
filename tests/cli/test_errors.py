"""Expected failures are one line on stderr and exit 1 (unknown job, unreachable endpoint, missing stack,
missing credentials), usage errors one line and exit 2 (bad duration, bad status, an endpoint without a
scheme); the target options (region, profile, endpoint) and target resolution rules."""

from __future__ import annotations

import json
import socket

import pytest
from botocore.exceptions import CredentialRetrievalError, NoCredentialsError

from vidpipe.cli.errors import translate
from vidpipe.cli.lookup import Kind, kind_of
from vidpipe.cli.target import Resources, TargetOptions, resolve_options
from vidpipe.contract.names import DEFAULT_STACK_NAME


def _one_error_line(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
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
    line = _one_error_line(cli("status", "s3://nope/x.mp4"))
    assert "no job for s3://nope/x.mp4 or s3://vidpipe-test-videos/x.mp4" in line
    line = _one_error_line(cli("status", "no-such-execution"))
    assert "no job, execution or object no-such-execution" in line


def test_error_lines_show_user_text_literally(cli) -> None:
    """`status ZZZ` printed the ARN with an emoji (``:zzz:``); markup in a target was read as markup."""
    line = _one_error_line(cli("status", "ZZZ"))
    assert "ZZZ" in line and "💤" not in line
    line = _one_error_line(cli("status", "s3://b/[bold]x[/]:fire:.mp4"))
    assert "s3://b/[bold]x[/]:fire:.mp4" in line and "🔥" not in line


@pytest.mark.parametrize("command", [("jobs",), ("executions",), ("replay", "--failed")])
def test_bad_duration_is_a_usage_error(cli, command: tuple[str, ...]) -> None:
    line = _one_error_line(cli(*command, "--since", "3 fortnights"), code=2)
    assert "bad duration '3 fortnights'" in line and "ISO 8601" in line


@pytest.mark.parametrize("since", ["1000000w", "99999999999w", "1.5h", "2026-12-01T08:00:00Z"])
def test_hostile_and_new_since_values(cli, since: str) -> None:
    """1000000w was an OverflowError traceback, 99999999999w "int too large", 1.5h and ISO times refused."""
    for command in (("jobs",), ("executions",), ("replay", "--failed", "--dry-run")):
        result = cli(*command, "--since", since, "--json")
        assert result.exit_code == 0, result.output
        assert isinstance(json.loads(result.stdout), list)


def test_unreachable_endpoint_names_its_port(cli) -> None:
    port = _closed_port()
    endpoint = f"http://127.0.0.1:{port}"
    line = _one_error_line(cli("jobs", endpoint=endpoint))
    assert (
        line
        == f"Error: cannot reach {endpoint}: start the local runtime with `vidpipe local up --port {port}`"
    )


@pytest.mark.parametrize("endpoint", ["127.0.0.1:4630", "localhost:4566", "ftp://127.0.0.1:4566", "http://"])
def test_endpoint_without_scheme_is_a_usage_error(cli, endpoint: str) -> None:
    """`--endpoint-url 127.0.0.1:4630` was a 100-line traceback from botocore."""
    line = _one_error_line(cli("jobs", endpoint=endpoint), code=2)
    assert f"bad endpoint URL {endpoint!r} (--endpoint-url)" in line
    if "://" not in endpoint:
        assert f"e.g. http://{endpoint}" in line


def test_endpoint_from_the_environment_is_checked_too(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from vidpipe.cli.main import app

    monkeypatch.setenv("AWS_ENDPOINT_URL", "127.0.0.1:4630")
    line = _one_error_line(CliRunner().invoke(app, ["jobs"]), code=2)
    assert "(AWS_ENDPOINT_URL)" in line


def test_missing_stack_lists_the_stacks_there(cli, stack) -> None:
    line = _one_error_line(cli("jobs", stack_name="NoSuchStack"))
    assert "stack NoSuchStack not found" in line and f"the stacks there are {stack.name}" in line


def test_region_that_the_local_runtime_does_not_serve(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_REGION=eu-west-1 said "stack not found ... start the local runtime" with the runtime up."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    line = _one_error_line(cli("jobs"))
    assert "the region differs, the local runtime serves us-east-1, not eu-west-1 (from AWS_REGION)" in line
    assert "--region us-east-1" in line
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")  # honoured as well, with its name
    assert "not eu-west-2 (from AWS_DEFAULT_REGION)" in _one_error_line(cli("jobs"))
    assert cli("--region", "us-east-1", "jobs").exit_code == 0


def test_local_use_needs_no_credentials_and_ignores_a_stale_profile(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "deleted-long-ago")
    result = cli("jobs", "--json")
    assert result.exit_code == 0, result.output
    assert cli("--profile", "also-missing", "jobs").exit_code == 0


def test_bad_status(cli) -> None:
    assert "unknown job status 'done'" in _one_error_line(cli("jobs", "--status", "done"), code=2)


def test_bad_query_and_contradictory_output(cli) -> None:
    assert "bad --query '[[['" in _one_error_line(cli("jobs", "--query", "[[["), code=2)
    line = _one_error_line(cli("jobs", "--json", "--output", "table"), code=2)
    assert "--json and --output table contradict each other" in line


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
    assert "no AWS credentials found" in line and "--endpoint-url http://127.0.0.1:4566" in line


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
    local = Target(resolve_options(TargetOptions(endpoint_url="http://127.0.0.1:4566"), {}, {}))
    assert local.region == "us-east-1"
    assert local.session.get_credentials().access_key == "test"  # dummy ones, never looked up
    given = TargetOptions(endpoint_url="http://127.0.0.1:4566", region="eu-west-1")
    assert Target(resolve_options(given, {}, {})).region == "eu-west-1"
    assert Target(TargetOptions()).region == "eu-west-3"  # on AWS the profile's region applies


def test_region_precedence() -> None:
    env = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}
    assert resolve_options(TargetOptions(region="ap-south-1"), env, {}).region == "ap-south-1"
    resolved = resolve_options(TargetOptions(), env, {"region": "eu-north-1"})
    assert (resolved.region, resolved.region_source) == ("eu-west-1", "AWS_REGION")
    resolved = resolve_options(TargetOptions(), {"AWS_DEFAULT_REGION": "eu-west-2"}, {})
    assert (resolved.region, resolved.region_source) == ("eu-west-2", "AWS_DEFAULT_REGION")
    assert resolve_options(TargetOptions(), {}, {"region": "eu-north-1"}).region == "eu-north-1"

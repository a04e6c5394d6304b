"""``vidpipe sample`` (clips from the project's generator) and shell completion of statuses and targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_stack import Stack, put_job
from typer.testing import CliRunner

from vidpipe.cli.main import app


def test_sample_demo_clip_of_a_given_length(cli, tmp_path: Path) -> None:
    pytest.importorskip("av")
    out = tmp_path / "sample.mp4"
    result = cli("sample", str(out), "--seconds", "3", "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["kind"] == "demo" and made["duration"] == pytest.approx(3.0, abs=0.05)
    assert made["cuts"] == [2.0] and out.stat().st_size == made["size"] > 0
    import av

    with av.open(str(out)) as container:
        assert container.streams.video[0].frames > 0


@pytest.mark.parametrize("kind", ["corrupt", "not-a-video", "empty"])
def test_sample_bad_inputs(cli, tmp_path: Path, kind: str) -> None:
    pytest.importorskip("av")
    out = tmp_path / f"{kind}.mp4"
    result = cli("sample", str(out), "--kind", kind)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out} ({kind}: ")
    assert out.exists()


def test_sample_usage_errors(cli, tmp_path: Path) -> None:
    result = cli("sample", str(tmp_path / "x.mp4"), "--kind", "nope")
    assert result.exit_code == 2 and "unknown kind 'nope': use one of demo" in result.output
    result = cli("sample", str(tmp_path / "x.mp4"), "--kind", "corrupt", "--seconds", "3")
    assert result.exit_code == 2 and "--seconds is for the demo kind" in result.output
    result = cli("sample", str(tmp_path / "missing" / "x.mp4"))
    assert result.exit_code == 1 and "no such folder" in result.output


def _complete(words: str) -> list[str]:
    """What bash completion offers for the command line ``words`` (the last word is being typed)."""
    env = {
        "_VIDPIPE_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = CliRunner().invoke(app, [], env=env, prog_name="vidpipe")
    return result.stdout.split()


def test_completion_of_statuses() -> None:
    assert _complete("vidpipe jobs --status F") == ["FAILED"]
    assert set(_complete("vidpipe executions --status ")) >= {"TIMED_OUT", "PENDING_REDRIVE"}


def test_completion_of_targets(stack: Stack) -> None:
    job = put_job(stack)
    words = f"vidpipe --endpoint-url {stack.endpoint_url} --stack {stack.name} status {job['job_id'][:6]}"
    assert _complete(words) == [job["job_id"]]
    # an unreachable endpoint completes nothing (and prints no error into the shell)
    assert _complete(f"vidpipe --endpoint-url http://127.0.0.1:9 status {job['job_id'][:6]}") == []

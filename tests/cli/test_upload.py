"""``vidpipe upload``: folders, job ids as the pipeline computes them, --wait, and its error paths."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from cli_stack import Stack, put_job

from vidpipe.cli.errors import BadArgument
from vidpipe.cli.upload import outcome_exit_code, plan, scan, triggers_pipeline
from vidpipe.contract.identity import job_id_for
from vidpipe.contract.names import Output


def _tree(root: Path) -> Path:
    (root / "day1").mkdir(parents=True)
    (root / "day1" / "a.mp4").write_bytes(b"a" * 1000)
    (root / "day1" / "B.MOV").write_bytes(b"b" * 10)
    (root / "notes.txt").write_text("not a video")
    (root / "c.Mp4").write_bytes(b"c")  # mixed case: the S3 notification filter would not fire
    return root


def test_plan_folder_keeps_relative_paths_and_videos_only(tmp_path: Path) -> None:
    root = _tree(tmp_path / "clips")
    assert [(p.key, p.path.name) for p in plan([root], "in/")] == [
        ("in/day1/B.MOV", "B.MOV"),
        ("in/day1/a.mp4", "a.mp4"),
    ]
    assert plan([root / "day1" / "a.mp4"], "")[0].key == "a.mp4"
    assert plan([root / "day1" / "a.mp4"], "/x/y")[0].key == "x/y/a.mp4"


def test_scan_says_which_folder_files_are_skipped_and_why(tmp_path: Path) -> None:
    root = _tree(tmp_path / "clips")
    skipped = {item.path.name: item.reason for item in scan([root], "").skipped}
    assert set(skipped) == {"c.Mp4", "notes.txt"}
    assert (
        "suffix .Mp4 would not start the pipeline" in skipped["c.Mp4"] and ".mp4 and .MP4" in skipped["c.Mp4"]
    )
    assert skipped["notes.txt"] == "not a video suffix"


def test_folder_upload_reports_skipped_files(cli, tmp_path: Path) -> None:
    """A folder upload silently left out `.Mp4` files (the notification filter is case-sensitive)."""
    root = _tree(tmp_path / "clips")
    result = cli("upload", str(root), "--prefix", "skips")
    assert result.exit_code == 0, result.output
    assert f"skipped {root / 'c.Mp4'}: suffix .Mp4 would not start the pipeline" in result.stderr
    assert "skipped 1 file that are not videos (.txt)" in result.stderr


def test_plan_reports_every_problem_at_once(tmp_path: Path) -> None:
    root = _tree(tmp_path / "clips")
    with pytest.raises(BadArgument) as caught:
        plan([tmp_path / "missing.mp4", root / "notes.txt", root / "c.Mp4"], "")
    message = str(caught.value)
    assert "missing.mp4: no such file" in message
    assert "notes.txt: not a video suffix" in message
    assert "c.Mp4" in message
    assert triggers_pipeline(Path("x.MP4")) and not triggers_pipeline(Path("x.Mp4"))


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["SUCCEEDED", "SUCCEEDED"], 0),
        (["SUCCEEDED", "REJECTED"], 3),
        (["REJECTED", "FAILED"], 1),
        (["SUCCEEDED", "RUNNING"], 1),
        (["PENDING"], 1),
    ],
)
def test_wait_exit_codes(statuses: list[str], code: int) -> None:
    assert outcome_exit_code(statuses) == code


def test_hostile_keys_upload_and_list_literally(
    cli, stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`x[/]y.mp4` raised MarkupError after two of three uploads (no job id printed), `a[b]/c.mp4` showed as
    `a/c.mp4` in the progress bar, `fire:fire:.mp4` as an emoji in `vidpipe jobs`."""
    import io

    from rich.console import Console

    from vidpipe.cli import render

    root = tmp_path / "hostile"
    for name in ("x[/]y.mp4", "a[b]/c.mp4", "fire:fire:.mp4"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(name.encode() * 100)
    # The progress bar is drawn only on a terminal: give the upload one, and read what it drew.
    drawn = io.StringIO()
    terminal = Console(file=drawn, force_terminal=True, width=200, markup=False, emoji=False, highlight=False)
    monkeypatch.setattr(render, "err_console", terminal)
    result = cli("upload", str(root), "--prefix", "markup")
    assert result.exit_code == 0, result.output
    keys = ["markup/a[b]/c.mp4", "markup/fire:fire:.mp4", "markup/x[/]y.mp4"]
    lines = result.stdout.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == keys  # "<job id>  <key>", one per object
    assert "a[b]/c.mp4" in drawn.getvalue() and "markup/x[/]y.mp4" in drawn.getvalue()
    for line in lines:
        job_id, key = line.split("  ", 1)
        put_job(stack, key=key, job_id=job_id)
    table = cli("jobs").stdout
    assert all(key in table for key in keys) and "🔥" not in table
    status = cli("status", "markup/fire:fire:.mp4")
    assert status.exit_code == 0, status.output
    assert "markup/fire:fire:.mp4" in status.stdout and "🔥" not in status.stdout


def test_upload_folder_prints_keys_and_job_ids(cli, stack: Stack, tmp_path: Path) -> None:
    root = _tree(tmp_path / "clips")
    result = cli("upload", str(root), "--prefix", "batch1", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["key"] for r in rows] == ["batch1/day1/B.MOV", "batch1/day1/a.mp4"]
    s3 = stack.client("s3")
    bucket = stack.outputs[Output.VIDEO_BUCKET]
    for row in rows:
        head = s3.head_object(Bucket=bucket, Key=row["key"])
        assert row["version"] == head["VersionId"]
        assert row["job_id"] == job_id_for(bucket, row["key"], head["VersionId"], head["ETag"])


def test_upload_multipart_with_wait_follows_jobs(cli, stack: Stack, tmp_path: Path) -> None:
    """A stand-in pipeline thread records each new object version as a job; --wait sees them finish."""
    video = tmp_path / "big.mp4"
    video.write_bytes(b"\0" * (9 * 1024 * 1024))  # above the 8 MB multipart threshold
    small = tmp_path / "bad.mp4"
    small.write_bytes(b"x")
    stop = threading.Event()

    def pipeline() -> None:
        s3, bucket, seen = stack.client("s3"), stack.outputs[Output.VIDEO_BUCKET], set()
        while not stop.wait(0.1):
            for version in s3.list_object_versions(Bucket=bucket, Prefix="wait/").get("Versions", []):
                if version["VersionId"] in seen:
                    continue
                seen.add(version["VersionId"])
                if version["Key"].endswith("bad.mp4"):
                    # As with moto's notifications, which carry no versionId: the id comes from the ETag.
                    etag = version["ETag"].strip('"')
                    job_id = job_id_for(bucket, version["Key"], None, etag)
                    put_job(
                        stack, key=version["Key"], version="", etag=etag, job_id=job_id, status="REJECTED"
                    )
                else:
                    put_job(stack, key=version["Key"], version=version["VersionId"], status="SUCCEEDED")

    thread = threading.Thread(target=pipeline, daemon=True)
    thread.start()
    try:
        result = cli(
            "upload",
            str(video),
            str(small),
            "--prefix",
            "wait",
            "--wait",
            "--interval",
            "0.2",
            "--timeout",
            "20",
        )
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 3, result.output  # one REJECTED, none FAILED
    assert "SUCCEEDED" in result.stdout and "REJECTED" in result.stdout
    assert result.stdout.splitlines()[0].endswith("  wait/big.mp4")  # the id came before the wait
    etag = stack.client("s3").head_object(Bucket=stack.outputs[Output.VIDEO_BUCKET], Key="wait/bad.mp4")[
        "ETag"
    ]
    assert job_id_for(stack.outputs[Output.VIDEO_BUCKET], "wait/bad.mp4", None, etag) in result.stdout
    parts = stack.client("s3").head_object(Bucket=stack.outputs[Output.VIDEO_BUCKET], Key="wait/big.mp4")[
        "ETag"
    ]
    assert parts.strip('"').endswith("-2")  # really multipart


def test_upload_wait_times_out_with_one_line(cli, tmp_path: Path) -> None:
    video = tmp_path / "lonely.mp4"
    video.write_bytes(b"x")
    result = cli("upload", str(video), "--prefix", "nowhere", "--wait", "--timeout", "1", "--interval", "0.2")
    assert result.exit_code == 1
    assert "timed out after 1s waiting for nowhere/lonely.mp4" in result.output
    assert "Traceback" not in result.output


def test_upload_missing_file_is_one_line(cli, tmp_path: Path) -> None:
    result = cli("upload", str(tmp_path / "nope.mp4"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("Error:")
    assert "no such file or folder" in result.output


def _vidpipe(stack: Stack, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """The console script in its own process, stdout and stderr piped (not a terminal)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "AWS_PROFILE", "AWS_ENDPOINT_URL")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    script = str(Path(sys.executable).with_name("vidpipe"))
    argv = [script, "--endpoint-url", stack.endpoint_url, "--stack", stack.name, *args]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("output", ["table", "json"])
def test_ctrl_c_during_wait_exits_130_with_the_job_ids_printed(
    stack: Stack, tmp_path: Path, output: str
) -> None:
    """`upload --wait` printed the job ids only at the end: on Ctrl-C stdout was empty."""
    video = tmp_path / "waiting.mp4"
    video.write_bytes(uuid.uuid4().bytes)
    args = (
        "upload",
        str(video),
        "--prefix",
        "interrupted",
        "--wait",
        "--interval",
        "0.2",
        "--output",
        output,
    )
    process = _vidpipe(stack, tmp_path, *args)
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    # Each object is announced as soon as it is stored (stdout for tables, stderr for JSON): wait for it.
    stream = process.stdout if output == "table" else process.stderr
    assert stream is not None
    announced = stream.readline()
    assert "interrupted/waiting.mp4" in announced, announced
    assert time.monotonic() < deadline
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    if output == "table":
        job_id = announced.split("  ", 1)[0]
    else:
        [row] = json.loads(stdout)
        job_id = row["job_id"]
        assert row["key"] == "interrupted/waiting.mp4" and row["status"] in ("uploaded", "PENDING")
        assert job_id in announced
    assert len(job_id) == 24 and "Traceback" not in stderr


def test_piped_output_neither_wraps_nor_pads(stack: Stack, tmp_path: Path) -> None:
    """Piped tables wrapped at 80 columns (an `ATTEMPT S` header, a timestamp over four lines) and padded
    their lines with spaces."""
    key = "piped/" + "a-long-folder-name/" * 8 + "clip.mp4"
    job = put_job(stack, key=key, status="FAILED", error="Worker.Crashed", cause="the worker exited " * 6)
    for args in (("jobs", "--status", "FAILED"), ("status", job["job_id"])):
        process = _vidpipe(stack, tmp_path, *args)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        lines = stdout.splitlines()
        assert any(key in line for line in lines), stdout  # the key on one line
        assert all(line == line.rstrip() for line in lines), [line for line in lines if line != line.rstrip()]
        assert "ATTEMPTS" in stdout or args[0] == "status"
        assert any(job["updated_at"] in line for line in lines)

"""``vidpipe upload``: folders, job ids as the pipeline computes them, --wait, and its error paths."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from cli_stack import Stack, put_job

from vidpipe.cli.errors import BadArgument
from vidpipe.cli.upload import outcome_exit_code, plan, triggers_pipeline
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
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error:")
    assert "no such file or folder" in result.output

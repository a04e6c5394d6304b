"""The console in a real browser (Debian's headless Chromium) against the real local runtime and worker.

One runtime, two consoles (one read-only, each `vidpipe console` in its own process) and one browser for
the module. Uploads go through the Upload page; a forced worker crash fails an execution, the Replay
action brings the job to SUCCEEDED; keys and captions with markup are shown as text and nothing runs.
Screenshots of every page land in the test's temporary directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.support import SECRET, Watch, chromium, console_process
from tests.e2e.conftest import Pipeline, start_pipeline, wait_until

pytestmark = pytest.mark.slow

XSS_PREFIX = "xss<script>window.__pwned=1</script>"
HTML_CAPTION = "<B>BOLD</B> & <I>CO</I>"
DEMO_TEXTS = ("WELCOME TO VIDPIPE", "A CAT NAMED CHELSEA", "SHOT FOUR")


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=2)


@pytest.fixture(scope="module")
def consoles(pipeline: Pipeline) -> Iterator[dict[str, str]]:
    endpoint = pipeline.runtime.endpoint_url
    with console_process(endpoint) as url, console_process(endpoint, "--read-only") as read_only:
        yield {"rw": url, "ro": read_only}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    tab = browser.new_page()
    watch = Watch(tab)
    tab.shots = tmp_path  # type: ignore[attr-defined]
    yield tab
    tab.close()
    assert watch.dialogs == [], "a dialog opened: injected script ran"
    assert watch.errors == [], "script errors or Content-Security-Policy violations"


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(page.shots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from vidpipe.clipgen import Shot, make_clip, make_demo_clip

    folder = tmp_path_factory.mktemp("console-clips")
    demo = folder / "vidpipe demo.mp4"
    make_demo_clip(demo)
    captions = folder / "captions.mp4"
    make_clip(captions, [Shot(2.0, "#2a5599", HTML_CAPTION, pan=False)])
    tiny = folder / "tiny.mp4"
    make_clip(tiny, [Shot(1.0, "coffee")])
    return {"demo": demo, "captions": captions, "tiny": tiny}


@pytest.fixture(scope="module")
def demo_job(
    pipeline: Pipeline, consoles: dict[str, str], browser: Any, clips: dict[str, Path]
) -> dict[str, Any]:
    """The demo clip uploaded through the Upload page under a key with a <script> element, analysed."""
    tab = browser.new_page()
    watch = Watch(tab)
    tab.goto(consoles["rw"] + "/upload")
    tab.set_input_files("#files", str(clips["demo"]))
    tab.fill("input[name=prefix]", XSS_PREFIX)
    tab.get_by_role("button", name="Upload").click()
    tab.wait_for_selector("text=Uploaded 1 file")
    key = tab.locator("td.key").first.inner_text()
    tab.close()
    assert watch.dialogs == []
    assert key == f"{XSS_PREFIX}/vidpipe demo.mp4"
    return wait_until(lambda: _final_job(pipeline, key), 120, "the demo clip's job", interval=0.5)


def _final_job(pipeline: Pipeline, key: str) -> dict[str, Any] | None:
    """The job of ``key`` once it is SUCCEEDED (None before; a test failure if it ends otherwise)."""
    from vidpipe.cli.jobs_store import JobStore
    from vidpipe.contract.names import Output

    for record in JobStore(pipeline.dynamodb, pipeline.outputs[Output.JOB_TABLE]).recent():
        if record.get("key") == key and record["status"] in ("FAILED", "REJECTED"):
            pytest.fail(f"the job of {key} ended {record['status']}: {record}")
        if record.get("key") == key and record["status"] == "SUCCEEDED":
            return record
    return None


def _name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def test_upload_is_listed_and_its_graph_shows_record_succeeded(
    page: Any, consoles: dict[str, str], demo_job: dict[str, Any]
) -> None:
    page.goto(consoles["rw"] + "/executions")
    row = page.locator("tr", has_text=demo_job["job_id"])
    row.wait_for()
    assert f"{XSS_PREFIX}/vidpipe demo.mp4" in row.locator("td.key").inner_text()  # the key, as text
    assert "SUCCEEDED" in row.inner_text()
    assert page.evaluate("window.__pwned") is None
    shoot(page, "executions")

    page.goto(consoles["rw"] + "/executions?q=" + demo_job["job_id"][:10])  # search by job id
    assert page.locator("tbody tr").count() == 1

    page.goto(consoles["rw"] + f"/executions/{_name(demo_job['execution_arn'])}")
    names = page.locator("svg.graph a.node text.name").all_text_contents()
    assert names[0] == "Prepare" and "Record" in names
    record = page.locator('svg.graph a.node[data-state="Record"]')
    assert "succeeded" in (record.get_attribute("class") or "")
    assert "✓ succeeded" in record.locator("text.label").text_content()
    assert page.evaluate("window.__pwned") is None
    shoot(page, "execution")


def test_job_page_shows_thumbnails_faces_and_the_ocr_strings(
    page: Any, pipeline: Pipeline, consoles: dict[str, str], demo_job: dict[str, Any], clips: dict[str, Path]
) -> None:
    page.goto(consoles["rw"] + f"/jobs/{demo_job['job_id']}")
    images = page.locator(".strip img")
    assert images.count() == 6
    page.wait_for_function("Array.from(document.querySelectorAll('.strip img')).every(i => i.complete)")
    assert all(w > 0 for w in page.eval_on_selector_all(".strip img", "els => els.map(e => e.naturalWidth)"))
    assert page.locator(".strip svg.faces rect").count() >= 1  # the astronaut's face, boxed
    texts = page.locator("td.ocr-text").all_inner_texts()
    for expected in DEMO_TEXTS:
        assert expected in texts
    assert page.locator("svg.lanes .lane-name").all_text_contents() == [
        "shots",
        "on-screen text",
        "faces",
        "speech",
    ]
    shoot(page, "job")

    up = pipeline.upload("captions/markup.mp4", clips["captions"])  # a caption that is HTML
    record = pipeline.wait_job(up)
    assert record["status"] == "SUCCEEDED", record
    document = json.loads(page.request.get(consoles["rw"] + f"/jobs/{record['job_id']}/results.json").text())
    read = [line["text"] for line in document["analyzers"]["text"]["lines"]]
    assert read and all("<B>BOLD</B>" in text for text in read), read  # OCR read the markup characters
    page.goto(consoles["rw"] + f"/jobs/{record['job_id']}")
    cells = page.locator("td.ocr-text")
    assert sorted(cells.all_inner_texts()) == sorted(read)  # shown as the characters OCR read, not as markup
    assert page.locator("td.ocr-text b, td.ocr-text i, figcaption b").count() == 0
    shoot(page, "job-html-caption")


def test_forced_failure_is_drawn_failed_and_replay_makes_the_job_succeed(
    page: Any, pipeline: Pipeline, consoles: dict[str, str], clips: dict[str, Path]
) -> None:
    pipeline.runtime.faults.add("worker-crash")  # every attempt crashes until cleared
    try:
        up = pipeline.upload("fail/crash <b>me</b>.mp4", clips["tiny"])
        failed = pipeline.wait_job(up)
    finally:
        pipeline.runtime.faults.clear()
    assert failed["status"] == "FAILED"
    execution = pipeline.wait_execution(failed["execution_arn"])
    assert execution["status"] == "FAILED"
    page.goto(consoles["rw"] + f"/executions/{_name(failed['execution_arn'])}")
    shoot(page, "execution-failed")
    failing = page.locator("svg.graph a.node.failed")  # the state that failed the execution
    assert failing.count() >= 1
    assert "✗ failed" in failing.first.locator("text.label").text_content()
    failing.first.focus()
    page.keyboard.press("Enter")  # keyboard-reachable: Tab to a state, Enter opens its details
    page.locator("#state .failure").first.wait_for()
    assert execution["error"] in page.locator("#state").inner_text()  # with its error text

    node = page.locator('svg.graph a.node[data-state="AnalyzeOnDemand"]')  # the worker crashed here
    assert "caught" in (node.get_attribute("class") or "") or "failed" in (node.get_attribute("class") or "")
    node.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#state")
    panel.locator(".failure").first.wait_for()
    assert "States.TaskFailed" in panel.inner_text()
    assert "exit code 1: crashed" in panel.inner_text()
    assert "fault injection" in panel.locator("pre.log").first.inner_text()  # the worker's log
    shoot(page, "execution-failed-state")

    page.get_by_role("link", name="Replay…").click()
    assert "would-" in page.locator("td.action").inner_text()
    shoot(page, "replay-plan")
    page.locator("form[method=post] button").click()
    action = page.locator("td.action").inner_text()
    assert action in ("redriven", "restarted"), action
    page.goto(consoles["rw"] + f"/jobs/{failed['job_id']}")
    page.locator(".facts .status", has_text="SUCCEEDED").wait_for(timeout=90_000)  # live updates
    assert page.locator("#chain-heading + table tbody tr").count() >= (2 if action == "restarted" else 1)
    shoot(page, "job-replayed")
    if action == "redriven":  # the page kept the failed run's history: the redrive's must show instead
        page.goto(consoles["rw"] + f"/executions/{_name(failed['execution_arn'])}")
        page.locator('svg.graph a.node.succeeded[data-state="Record"]').wait_for(timeout=60_000)


def test_read_only_console_offers_no_working_action(
    page: Any, pipeline: Pipeline, consoles: dict[str, str], demo_job: dict[str, Any]
) -> None:
    import httpx

    base = consoles["ro"]
    for path in ("/executions", f"/executions/{_name(demo_job['execution_arn'])}", "/dlq", "/upload"):
        page.goto(base + path)
        assert page.locator("text=read-only").first.is_visible()
        enabled = page.locator("form[method=post] button:enabled, form[method=post] input[type=file]:enabled")
        assert enabled.count() == 0, path
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    shoot(page, "read-only-upload")
    response = httpx.post(
        base + f"/executions/{_name(demo_job['execution_arn'])}/stop", data={"csrf": token}, timeout=10
    )
    assert response.status_code == 403 and "read-only" in response.text


def test_dead_letter_queue_lists_messages_with_a_reason_and_redrives(
    page: Any, pipeline: Pipeline, consoles: dict[str, str]
) -> None:
    pipeline.sqs.send_message(QueueUrl=pipeline.outputs["DeadLetterQueueUrl"], MessageBody="<b>poison</b>")
    page.goto(consoles["rw"] + "/dlq")
    row = page.locator("tbody tr", has_text="not an S3 notification")
    row.wait_for()
    row.locator("summary").click()
    assert row.locator("pre").inner_text() == "<b>poison</b>"
    shoot(page, "dlq")
    page.get_by_role("button", name="Redrive every message").click()
    assert "Moved 1 message back" in page.locator(".notice").inner_text()


def test_http_defences(pipeline: Pipeline, consoles: dict[str, str], demo_job: dict[str, Any]) -> None:
    import httpx

    base = consoles["rw"]
    name = _name(demo_job["execution_arn"])
    pages = [
        "/executions",
        f"/executions/{name}",
        f"/executions/{name}?state=AnalyzeOnSpot",
        f"/executions/{name}/history.json",
        f"/jobs/{demo_job['job_id']}",
        "/jobs",
        "/dlq",
        "/upload",
    ]
    for path in pages:
        response = httpx.get(base + path, timeout=20)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        assert SECRET not in response.text and "AKIACONSOLETEST00001" not in response.text, path
    stop = f"{base}/executions/{name}/stop"
    assert httpx.post(stop, data={}, timeout=10).status_code == 403  # no CSRF token
    token = httpx.get(base + "/upload", timeout=10).text.split('name="csrf" value="')[1].split('"')[0]
    foreign = httpx.post(stop, data={"csrf": token}, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 403
    assert httpx.get(base + "/executions", headers={"Host": "evil.example"}, timeout=10).status_code == 400
    assert (
        httpx.get(
            base + f"/jobs/{demo_job['job_id']}/artifacts/shots%2F..%2F..%2Fresults.json", timeout=10
        ).status_code
        == 404
    )
    assert httpx.get(base + "/jobs/0000/artifacts/shots/000.jpg", timeout=10).status_code == 404


def test_results_html_is_self_contained_and_out_saves_thumbnails(
    page: Any, pipeline: Pipeline, demo_job: dict[str, Any], tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    script = str(Path(sys.executable).with_name("vidpipe"))
    run = [script, "--endpoint-url", pipeline.runtime.endpoint_url, "results", demo_job["job_id"]]
    html, out = tmp_path / "share" / "results.html", tmp_path / "saved"
    printed = subprocess.run(
        [*run, "--html", str(html), "--out", str(out)], capture_output=True, text=True, timeout=60
    )
    assert printed.returncode == 0, printed.stderr
    assert json.loads((out / "results.json").read_text())["job_id"] == demo_job["job_id"]
    assert len(list((out / "shots").glob("*.jpg"))) == 6
    env = {**os.environ, "COLUMNS": "200"}
    summary = subprocess.run(run, capture_output=True, text=True, timeout=60, env=env)
    for expected in DEMO_TEXTS:
        assert expected in summary.stdout  # the OCR strings, with their times
    assert "0.0-2.0s" in summary.stdout

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(html.as_uri())
    page.wait_for_function("Array.from(document.querySelectorAll('.strip img')).every(i => i.complete)")
    assert all(w > 0 for w in page.eval_on_selector_all(".strip img", "els => els.map(e => e.naturalWidth)"))
    assert requests == [html.as_uri()]  # images embedded, nothing fetched
    assert page.locator("style").count() == 1 and page.locator("script").count() == 0
    assert page.evaluate("window.__pwned") is None
    shoot(page, "results-export")

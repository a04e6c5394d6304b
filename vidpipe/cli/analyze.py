"""``vidpipe analyze FILE``: the worker's analysis of a local file, without the pipeline.

The worker package (and its heavy dependencies: PyAV, ONNX Runtime...) is imported only here, so the rest
of the CLI works with the ``cli`` extra alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from vidpipe.cli import render
from vidpipe.cli.errors import BadArgument, UserError
from vidpipe.cli.results import print_summary, write_document
from vidpipe.contract.names import Verdict

EXIT_REJECTED = 3
INVALID_OPTIONS = "invalid_options"  # worker.errors.RejectionCode.INVALID_OPTIONS (worker not imported here)


def parse_options(options: str | None, analyzers: str | None) -> dict[str, Any]:
    """``--options`` (JSON text or ``@file.json``) merged with ``--analyzers a,b``.

    Raises:
        BadArgument: when the options are not a JSON object or the file is missing.
    """
    parsed: dict[str, Any] = {}
    if options:
        text = options
        if options.startswith("@"):
            path = Path(options[1:])
            if not path.is_file():
                raise BadArgument(f"{path}: no such options file")
            text = path.read_text("utf-8")
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise BadArgument(f"--options is not JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise BadArgument("--options must be a JSON object")
    if analyzers:
        parsed["analyzers"] = [a.strip() for a in analyzers.split(",") if a.strip()]
    return parsed


def analyze(
    path: Path, options: dict[str, Any], artifacts: Path | None, progress: bool = False
) -> dict[str, Any]:
    """Run the worker on ``path`` (with a progress bar on stderr when ``progress``).

    Raises:
        BadArgument: when the file does not exist, or the options are invalid (an unknown analyzer...):
            the worker's ``invalid_options`` rejection names the known analyzers.
        UserError: when the worker extra is not installed.
    """
    if not path.is_file():
        raise BadArgument(f"{path}: no such file")
    try:
        from worker.api import analyze_file
    except ImportError as exc:
        raise UserError(f"the worker is not installed ({exc.name}): pip install 'vidpipe[worker]'") from None
    with _progress(path, enabled=progress):
        document = analyze_file(path, options, artifacts_dir=artifacts)
    rejection = document.get("rejection") or {}
    if rejection.get("code") == INVALID_OPTIONS:
        raise BadArgument(f"invalid analyzer options: {rejection.get('reason')}")
    return document


def _progress(path: Path, enabled: bool) -> Progress:
    """A bar on stderr while the worker runs: the worker reports no position, so it pulses, with the time
    spent so far (Rich refreshes it from its own thread while the analysis blocks this one)."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=render.err_console,
        transient=True,
        disable=not (enabled and render.err_console.is_terminal),
    )
    bar.add_task(f"analysing {path.name}", total=None)
    return bar


def command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A local video file.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the results document here (e.g. results.json).")
    ] = None,
    options: Annotated[str | None, typer.Option(help="Analyzer options: JSON text or @file.json.")] = None,
    analyzers: Annotated[
        str | None, typer.Option(help="Comma-separated analyzers: metadata, shots, text, faces, speech.")
    ] = None,
    artifacts: Annotated[
        Path | None, typer.Option(help="Folder for shot thumbnails (shots/NNN.jpg).")
    ] = None,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Analyse a local video with the worker, without the pipeline (exit 3 when the video is rejected)."""
    shown = render.Output.of(output, as_json, query)
    document = analyze(file, parse_options(options, analyzers), artifacts, progress=True)
    if out:
        write_document(document, out)

    def draw() -> None:
        print_summary(document)
        if out:
            render.say("wrote ", str(out))

    render.emit(shown, document, draw)
    if document.get("verdict") == Verdict.REJECTED:
        raise typer.Exit(EXIT_REJECTED)

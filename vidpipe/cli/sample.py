"""``vidpipe sample OUT.mp4 [--seconds N] [--kind KIND]``: a clip to try the pipeline with.

Made on the spot by the project's clip generator (:mod:`vidpipe.clipgen`): ``demo`` is the demo's video
(shots, captions, faces and speech at known times), repeated or cut to ``--seconds``; the other kinds are
the bad and unusual inputs the test suite feeds the worker (:data:`vidpipe.clipgen.unusual.UNUSUAL_INPUTS`:
empty, not a video, truncated, audio only, VP9, HEVC, rotated...), named with dashes.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from vidpipe.cli import render
from vidpipe.cli.errors import BadArgument, UserError

DEMO = "demo"
# Short names for the kinds whose generator name says how they are made rather than what they are.
ALIASES = {"corrupt": "truncated", "empty": "zero-bytes", "not-a-video": "text-named-mp4"}
MAX_SECONDS = 3600.0
SHORTEST_SHOT = 0.1  # a remainder shorter than this is left out (a few frames at most)


def kinds() -> dict[str, Any]:
    """Every kind by its command-line name: ``demo``, the unusual inputs (dashed), and the aliases."""
    from vidpipe.clipgen.unusual import UNUSUAL_INPUTS

    makers: dict[str, Any] = {name.replace("_", "-"): maker for name, (maker, _) in UNUSUAL_INPUTS.items()}
    makers |= {alias: makers[name] for alias, name in ALIASES.items() if name in makers}
    return {DEMO: None, **makers}


def complete_kind(incomplete: str) -> list[str]:
    return [k for k in kinds() if k.startswith(incomplete)]


def demo_clip(path: Path, seconds: float | None) -> dict[str, Any]:
    """The demo video, or the demo's shots and sentences repeated (or cut) to ``seconds``."""
    from vidpipe.clipgen import REFERENCE_SHOTS, REFERENCE_SPEECH, Shot, Utterance, make_clip, make_demo_clip

    if seconds is None:
        return make_demo_clip(path).to_dict()
    shots: list[Shot] = []
    at = 0.0
    while seconds - at > SHORTEST_SHOT:
        for shot in REFERENCE_SHOTS:
            length = min(shot.seconds, seconds - at)
            if length <= SHORTEST_SHOT:
                break
            shots.append(Shot(length, shot.picture, shot.caption, shot.pan))
            at += length
    cycle = sum(shot.seconds for shot in REFERENCE_SHOTS)
    utterances = [
        Utterance(turn * cycle + u.start, u.text)
        for turn in range(math.ceil(seconds / cycle))
        for u in REFERENCE_SPEECH
        if turn * cycle + u.start < seconds
    ]
    return make_clip(path, shots, utterances).to_dict()


def make_sample(out: Path, kind: str, seconds: float | None) -> dict[str, Any]:
    """Write the sample; what it is (the clip's manifest for ``demo``).

    Raises:
        BadArgument: for an unknown kind, or ``seconds`` with a kind that has a fixed length.
        UserError: when ``out``'s folder does not exist.
    """
    available = kinds()
    if kind not in available:
        raise BadArgument(f"unknown kind {kind!r}: use one of {', '.join(available)}")
    if seconds is not None and kind != DEMO:
        raise BadArgument(f"--seconds is for the demo kind: the {kind} sample has its own length")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: no such folder")
    if kind == DEMO:
        return {"kind": kind, **demo_clip(out, seconds), "size": out.stat().st_size}
    with tempfile.TemporaryDirectory(prefix="vidpipe-sample-") as folder:
        made = available[kind](Path(folder))
        shutil.move(made, out)
    return {"kind": kind, "path": str(out), "made_as": made.name, "size": out.stat().st_size}


def command(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="The file to write, e.g. sample.mp4.")],
    kind: Annotated[
        str,
        typer.Option(
            help="demo, or a bad input: corrupt, empty, not-a-video...", autocompletion=complete_kind
        ),
    ] = DEMO,
    seconds: Annotated[
        float | None, typer.Option(min=0.1, max=MAX_SECONDS, help="Length of a demo sample (default 12).")
    ] = None,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Write a sample video (or a bad input) made by the project's clip generator."""
    shown = render.Output.of(output, as_json, query)
    made = make_sample(out, kind, seconds)

    def draw() -> None:
        details = (
            f"{made['duration']:.1f}s {made['width']}x{made['height']} {made['codec']}"
            if "duration" in made
            else f"as {made['made_as']}"
        )
        render.say("wrote ", str(out), f" ({made['kind']}: {details}, {made['size']} bytes)")

    render.emit(shown, made, draw)

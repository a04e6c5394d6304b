"""The standard clips: the demo's sample video and the test suite's reference clip."""

from __future__ import annotations

from pathlib import Path

from vidpipe.clipgen.clip import Manifest, Utterance, make_clip
from vidpipe.clipgen.encode import Encoding
from vidpipe.clipgen.scenes import Shot

#: Six shots, three captions, faces in two shots only, two spoken sentences (12 s).
REFERENCE_SHOTS = (
    Shot(2.0, "astronaut", "WELCOME TO VIDPIPE"),
    Shot(2.0, "coffee"),
    Shot(2.0, "chelsea", "A CAT NAMED CHELSEA"),
    Shot(2.0, "#2a5599", "SHOT FOUR"),
    Shot(2.0, "astronaut"),
    Shot(2.0, "rocket"),
)
REFERENCE_SPEECH = (
    Utterance(1.0, "Hello and welcome to the video pipeline"),
    Utterance(7.0, "This sentence is spoken at seven seconds"),
)


def make_reference_clip(path: str | Path, encoding: Encoding | None = None) -> Manifest:
    """The reference clip (shots, captions, faces, speech at known times) with the given encoding."""
    return make_clip(path, REFERENCE_SHOTS, REFERENCE_SPEECH, encoding)


def make_demo_clip(path: str | Path) -> Manifest:
    """The demo's sample video: the 12 s 640x360 H.264 + AAC reference clip (a few seconds to make)."""
    return make_reference_clip(path)

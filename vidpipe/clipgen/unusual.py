"""Bad and unusual inputs, each small and generated on the spot (nothing binary is committed).

Every function writes one file and returns its path; ``UNUSUAL_INPUTS`` maps a name to its maker and
what the worker should conclude (a rejection code, or None for a correct analysis).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vidpipe.clipgen.clip import Manifest, Utterance, make_clip
from vidpipe.clipgen.encode import AUDIO_RATE, Encoding
from vidpipe.clipgen.scenes import Shot

_SHOTS = (Shot(1.0, "astronaut", "FIRST"), Shot(1.0, "coffee", "SECOND"))
_SPEECH = (Utterance(0.2, "testing one two"),)


def zero_bytes(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def text_named_mp4(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("This is a text file, not a video.\n" * 20)
    return path


def truncated(folder: Path) -> Path:
    """An H.264 MP4 cut at 40 %: the index (moov atom, written last) is lost, as in a broken upload."""
    whole = _clip(folder / "whole.mp4", Encoding())
    data = whole.read_bytes()
    path = folder / "truncated.mp4"
    path.write_bytes(data[: len(data) * 2 // 5])
    whole.unlink()
    return path


def audio_only(folder: Path) -> Path:
    """An AAC track in an MP4 with no video stream."""
    import av
    import numpy as np

    path = folder / "audio_only.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        tone = np.sin(np.arange(AUDIO_RATE) * 2 * np.pi * 440 / AUDIO_RATE).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone), format="flt", layout="mono")
        frame.sample_rate, frame.pts = AUDIO_RATE, 0
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return path


def no_audio(folder: Path) -> Path:
    return _clip(folder / "no_audio.mp4", Encoding(audio_codec=None))


def vp9_webm(folder: Path) -> Path:
    return _clip(folder / "clip.webm", Encoding(codec="libvpx-vp9", audio_codec="libopus"))


def hevc(folder: Path) -> Path:
    return _clip(folder / "hevc.mp4", Encoding(codec="libx265"))


def rotated(folder: Path) -> Path:
    """A portrait phone video: pictures stored sideways with a 90 degree display matrix."""
    return _clip(folder / "rotated.mp4", Encoding(width=360, height=640, rotation=90))


def variable_frame_rate(folder: Path) -> Path:
    return _clip(folder / "vfr.mp4", Encoding(vfr=True))


def shorter_than_a_second(folder: Path) -> Path:
    path = folder / "short.mp4"
    make_clip(path, [Shot(0.48, "astronaut", "SHORT")], (), Encoding())
    return path


def _clip(path: Path, enc: Encoding) -> Path:
    make_clip(path, _SHOTS, _SPEECH if enc.audio_codec else (), enc)
    return path


def manifest_of(path: Path, enc: Encoding) -> Manifest:
    """The manifest of the two-shot clip the unusual video inputs share (for content assertions)."""
    return make_clip(path, _SHOTS, _SPEECH if enc.audio_codec else (), enc)


UNUSUAL_INPUTS: dict[str, tuple[Callable[[Path], Path], str | None]] = {
    "zero_bytes": (zero_bytes, "empty"),
    "text_named_mp4": (text_named_mp4, "not_a_video"),
    "truncated": (truncated, "corrupt"),
    "audio_only": (audio_only, "no_video_stream"),
    "no_audio": (no_audio, None),
    "vp9_webm": (vp9_webm, None),
    "hevc": (hevc, None),
    "rotated": (rotated, None),
    "variable_frame_rate": (variable_frame_rate, None),
    "shorter_than_a_second": (shorter_than_a_second, None),
}

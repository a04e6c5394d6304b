"""Write a clip from shots and an audio track with PyAV (libx264/libx265/libvpx-vp9 and AAC/Opus encoders)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidpipe.clipgen.scenes import Shot, frames


@dataclass(frozen=True)
class Encoding:
    """How to encode the video track.

    Attributes:
        codec: PyAV encoder name (``libx264``, ``libx265``, ``libvpx-vp9``).
        fps: nominal frame rate.
        width, height: frame size (even numbers).
        options: encoder options (``preset``, ``crf``...).
        rotation: display rotation (degrees counter-clockwise, a multiple of 90) written as a display
            matrix, as phones do; pictures are stored turned the other way so that they display upright
            at ``width`` x ``height``.
        vfr: give frames irregular durations (variable frame rate).
        audio_codec: ``aac`` or ``libopus`` (WebM), or None for no audio track.
        grain: amplitude of per-frame sensor-like noise (0: none); real footage is noisy, which sets its
            bitrate and decoding cost.
    """

    codec: str = "libx264"
    fps: int = 25
    width: int = 640
    height: int = 360
    options: dict[str, str] | None = None
    rotation: int = 0
    vfr: bool = False
    audio_codec: str | None = "aac"
    grain: int = 0


AUDIO_RATE = 48000
_DEFAULT_OPTIONS = {
    "libx264": {"preset": "veryfast", "crf": "23"},
    "libx265": {"preset": "ultrafast", "crf": "28", "x265-params": "log-level=error"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8", "crf": "40", "b": "0"},
}


def frame_times(shots: Sequence[Shot], enc: Encoding) -> Iterator[tuple[Shot, int, float]]:
    """(shot, frame count, start time) per shot; every shot starts exactly on a frame boundary."""
    t = 0.0
    for shot in shots:
        count = max(1, round(shot.seconds * enc.fps))
        yield shot, count, t
        t += count / enc.fps


def write_clip(path: Path, shots: Sequence[Shot], audio: np.ndarray | None, enc: Encoding) -> None:
    """Encode ``shots`` (and ``audio``: float32 mono at AUDIO_RATE) into ``path``; the suffix picks the muxer."""
    import av

    with av.open(str(path), "w") as out:
        video: Any = out.add_stream(
            enc.codec, rate=enc.fps, options=enc.options or _DEFAULT_OPTIONS.get(enc.codec)
        )
        turns = enc.rotation // 90 % 4
        video.width, video.height = (enc.height, enc.width) if turns % 2 else (enc.width, enc.height)
        video.pix_fmt = "yuv420p"
        if enc.vfr:
            video.time_base = video.codec_context.time_base = Fraction(1, 1000)
        if enc.rotation:
            video.set_display_rotation(enc.rotation)
        sound = None
        if audio is not None and enc.audio_codec:
            sound = out.add_stream(enc.audio_codec, rate=AUDIO_RATE, layout="mono")
        _write_video(out, video, shots, enc)
        if sound is not None and audio is not None:
            _write_audio(out, sound, audio)


def _write_video(out: object, video: object, shots: Sequence[Shot], enc: Encoding) -> None:
    import av

    index = 0
    pts_ms = 0
    turns = enc.rotation // 90 % 4
    noise = _grain(enc) if enc.grain else None
    for shot, count, _start in frame_times(shots, enc):
        for view in frames(shot, enc.width, enc.height, count):
            if noise is not None:
                view = np.clip(view + noise[index % len(noise)], 0, 255).astype(np.uint8)
            stored = np.rot90(view, -turns) if turns else view
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(stored), format="rgb24")
            if enc.vfr:
                # Alternate short and long frames around the nominal rate: the mean rate stays enc.fps,
                # so shot boundaries stay at the same times as the constant-rate clip.
                frame.pts = pts_ms
                frame.time_base = Fraction(1, 1000)
                nominal = 1000 // enc.fps
                pts_ms += nominal // 2 if index % 2 == 0 else 2 * nominal - nominal // 2
            index += 1
            for packet in video.encode(frame):  # type: ignore[attr-defined]
                out.mux(packet)  # type: ignore[attr-defined]
    for packet in video.encode():  # type: ignore[attr-defined]
        out.mux(packet)  # type: ignore[attr-defined]


def _grain(enc: Encoding) -> np.ndarray:
    """A small bank of noise frames, cycled (cheaper than fresh noise for every frame)."""
    rng = np.random.default_rng(1)
    return rng.integers(-enc.grain, enc.grain + 1, (7, enc.height, enc.width, 3), dtype=np.int16)


def _write_audio(out: object, sound: object, audio: np.ndarray) -> None:
    import av

    block = 1024 * 8
    pts = 0
    for start in range(0, len(audio), block):
        chunk = np.ascontiguousarray(audio[start : start + block], dtype=np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        pts += chunk.shape[1]
        for packet in sound.encode(frame):  # type: ignore[attr-defined]
            out.mux(packet)  # type: ignore[attr-defined]
    for packet in sound.encode():  # type: ignore[attr-defined]
        out.mux(packet)  # type: ignore[attr-defined]

"""Assemble a clip with known content and return the manifest of what an analyzer should find."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidpipe.clipgen.encode import AUDIO_RATE, Encoding, frame_times, write_clip
from vidpipe.clipgen.scenes import Shot


@dataclass(frozen=True)
class Utterance:
    """A sentence spoken at ``start`` seconds."""

    start: float
    text: str


@dataclass
class Manifest:
    """What the clip contains, in seconds from its start.

    ``cuts`` are the start times of every shot but the first; ``captions`` and ``face_ranges`` /
    ``no_face_ranges`` are (start, end, ...) spans of shots; ``speech`` the audible extent of each utterance.
    """

    path: str
    duration: float
    width: int
    height: int
    fps: int
    codec: str
    rotation: int
    has_audio: bool
    cuts: list[float] = field(default_factory=list)
    captions: list[tuple[float, float, str]] = field(default_factory=list)
    face_ranges: list[tuple[float, float]] = field(default_factory=list)
    no_face_ranges: list[tuple[float, float]] = field(default_factory=list)
    speech: list[tuple[float, float, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_clip(
    path: str | Path,
    shots: Sequence[Shot],
    utterances: Sequence[Utterance] = (),
    encoding: Encoding | None = None,
) -> Manifest:
    """Write a clip made of ``shots`` with ``utterances`` spoken at their start times.

    With an audio codec but no utterances the clip still gets a (silent) audio track.
    """
    enc = encoding or Encoding()
    path = Path(path)
    spans = [(shot, start, start + count / enc.fps) for shot, count, start in frame_times(shots, enc)]
    duration = spans[-1][2] if spans else 0.0
    audio, speech = _soundtrack(utterances, duration) if enc.audio_codec else (None, [])
    write_clip(path, shots, audio, enc)
    return Manifest(
        path=str(path),
        duration=duration,
        width=enc.width,
        height=enc.height,
        fps=enc.fps,
        codec=enc.codec,
        rotation=enc.rotation,
        has_audio=audio is not None,
        cuts=[start for _shot, start, _end in spans[1:]],
        captions=[(s, e, shot.caption) for shot, s, e in spans if shot.caption],
        face_ranges=[(s, e) for shot, s, e in spans if shot.has_face],
        no_face_ranges=[(s, e) for shot, s, e in spans if not shot.has_face],
        speech=speech,
    )


def _soundtrack(
    utterances: Sequence[Utterance], duration: float
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """A mono track at AUDIO_RATE with each utterance placed at its start, and their audible extents."""
    from vidpipe.clipgen.speech import synthesize, voiced_extent

    track = np.zeros(round(duration * AUDIO_RATE), np.float32)
    speech = []
    for utt in utterances:
        samples, rate = synthesize(utt.text)
        samples = _resample(samples, rate, AUDIO_RATE)
        at = round(utt.start * AUDIO_RATE)
        piece = samples[: max(0, len(track) - at)]
        track[at : at + len(piece)] += 0.8 * piece
        lead, trail = voiced_extent(piece, AUDIO_RATE)
        speech.append((utt.start + lead, utt.start + trail, utt.text))
    # A little noise so the track is not digital silence (as from a real microphone).
    track += np.random.default_rng(0).normal(0, 0.002, len(track)).astype(np.float32)
    return track, speech


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear-interpolation resampling: good enough for synthetic speech fed to an AAC encoder."""
    n = round(len(samples) * target / rate)
    return np.interp(np.arange(n) * rate / target, np.arange(len(samples)), samples).astype(np.float32)

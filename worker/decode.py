"""One straight decoding pass with PyAV: every frame as a tiny thumbnail, sampled frames in full RGB,
audio resampled to 16 kHz mono. A generator, so nothing is held beyond the frame in hand.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from worker.analyzers.base import AUDIO_RATE, AudioChunk, Frame, VideoMeta
from worker.errors import Rejected, RejectionCode, Terminated
from worker.skipping import MAX_GAP, SkipLevel

THUMB_SIZE = (64, 36)
MAX_DECODE_ERRORS = 50  # damaged packets tolerated before the file is called corrupt


def open_container(path: Path) -> Any:
    """Open ``path`` with PyAV (empty files are rejected before, by ``s3io.check_size``).

    Raises:
        Rejected: ``corrupt`` when a video container cannot be read (truncated: its index is lost),
            ``not_a_video`` when FFmpeg cannot read it as media at all.
    """
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        kind = _container_signature(path)
        if kind:
            raise Rejected(
                RejectionCode.CORRUPT, f"damaged or truncated {kind} file: {exc.strerror}"
            ) from exc
        raise Rejected(RejectionCode.NOT_A_VIDEO, f"not a video file ({exc.strerror})") from exc


_SIGNATURES = ((4, b"ftyp", "MP4/MOV"), (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"), (0, b"RIFF", "AVI"))


def _container_signature(path: Path) -> str | None:
    """The container a file claims to be by its magic bytes: tells a damaged video from a non-video."""
    with path.open("rb") as f:
        head = f.read(16)
    return next((name for at, magic, name in _SIGNATURES if head[at : at + len(magic)] == magic), None)


def probe(container: Any, size_bytes: int, max_duration: float | None) -> VideoMeta:
    """What the container declares about its first video stream and its audio.

    Raises:
        Rejected: ``no_video_stream``, ``unsupported_codec`` or ``too_long``.
    """
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["no streams"]
        raise Rejected(RejectionCode.NO_VIDEO_STREAM, f"no video stream (found: {', '.join(kinds)})")
    video = container.streams.video[0]
    ctx = video.codec_context
    if ctx is None or not ctx.width or not ctx.height:
        name = getattr(ctx, "name", None) or "unknown"
        raise Rejected(RejectionCode.UNSUPPORTED_CODEC, f"cannot decode the video codec ({name})")
    audio = container.streams.audio[0] if container.streams.audio else None
    duration = _duration(container, video)
    if max_duration is not None and duration is not None and duration > max_duration:
        raise Rejected(
            RejectionCode.TOO_LONG, f"the video lasts {duration:.1f} s, over the {max_duration:g} s limit"
        )
    rate = video.average_rate or video.guessed_rate
    return VideoMeta(
        container=container.format.name,
        codec=ctx.name,
        width=ctx.width,
        height=ctx.height,
        fps=round(float(rate), 3) if rate else None,
        duration=duration,
        has_audio=audio is not None,
        audio_codec=audio.codec_context.name if audio is not None else None,
        size_bytes=size_bytes,
    )


def _duration(container: Any, video: Any) -> float | None:
    if video.duration is not None and video.time_base is not None:
        return round(float(video.duration * video.time_base), 3)
    if container.duration is not None:
        return round(container.duration / 1_000_000, 3)
    return None


def iter_media(
    container: Any,
    meta: VideoMeta,
    sample_fps: float,
    stop: threading.Event,
    max_duration: float | None = None,
    allow_skip: bool = False,
) -> Iterator[Frame | AudioChunk]:
    """Frames and audio chunks in stream order; ``meta.timeline`` counts every frame of the stream.

    With ``allow_skip`` the decoder leaves out the frames ``worker.skipping`` says it may: analyzers then
    see the decoded frames only (at most ``skipping.MAX_GAP`` apart), and sampled frames are the first
    decoded frame at or after each sampling time.

    Raises:
        Terminated: ``stop`` was set (checked at every packet).
        Rejected: ``corrupt`` (nothing decodable, or too many damaged packets), ``too_long``.
    """
    import av

    video = container.streams.video[0]
    video.thread_type = "AUTO"
    streams = [video]
    resampler = None
    if container.streams.audio:
        streams.append(container.streams.audio[0])
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    timeline = meta.timeline
    level: SkipLevel | None = None  # chosen at the first video packet
    step = 1.0 / sample_fps
    next_sample = 0.0
    index = 0
    errors = 0
    previous: float | None = None
    audio_origin: float | None = None
    audio_samples = 0
    try:
        for packet in container.demux(streams):
            if stop.is_set():
                raise Terminated()
            is_video = packet.stream.type == "video"
            if is_video and level is None and packet.size:
                level = SkipLevel.choose(meta.codec, meta.fps, bytes(packet)) if allow_skip else SkipLevel()
                timeline.skip_frame = level.name
                if level.skipping:
                    video.codec_context.skip_frame = level.name
            try:
                decoded = packet.decode()
            except av.FFmpegError:
                errors += 1
                if errors > MAX_DECODE_ERRORS:
                    raise Rejected(
                        RejectionCode.CORRUPT, f"over {MAX_DECODE_ERRORS} damaged packets"
                    ) from None
                continue
            if is_video and packet.size and timeline.skip_frame != "DEFAULT":
                timeline.add(_packet_time(packet))  # skipped frames are counted from their packets
            for item in decoded:
                if isinstance(item, av.VideoFrame):
                    time = _frame_time(item, index, meta)
                    if max_duration is not None and time > max_duration:
                        raise Rejected(
                            RejectionCode.TOO_LONG, f"the video runs past the {max_duration:g} s limit"
                        )
                    if timeline.skip_frame == "DEFAULT":
                        timeline.add(time)
                    if level and level.skipping and previous is not None and time - previous > MAX_GAP:
                        level.relax()  # this stream skips longer runs than the shot detector allows
                        video.codec_context.skip_frame = level.name
                    previous = time
                    sampled = time + 1e-6 >= next_sample
                    if sampled:
                        next_sample = max(next_sample + step, time + step / 2)
                    frame = _frame(item, index, time, sampled)
                    if index == 0:
                        timeline.rotation = frame.rotation
                    yield frame
                    index += 1
                elif resampler is not None:
                    for out in resampler.resample(item):
                        if audio_origin is None:
                            audio_origin = float(item.time or 0.0)
                        samples = out.to_ndarray().reshape(-1)
                        yield AudioChunk(audio_origin + audio_samples / AUDIO_RATE, samples)
                        audio_samples += samples.size
    except av.FFmpegError as exc:
        if index == 0:
            raise Rejected(RejectionCode.CORRUPT, f"the file is damaged: {exc}") from exc
        # A damaged tail (truncated upload): keep what was decoded; metadata reports the frames seen.
    timeline.close()
    timeline.decoded = index
    if index == 0:
        raise Rejected(RejectionCode.CORRUPT, "no decodable video frame")


def _packet_time(packet: Any) -> float | None:
    stamp = packet.pts if packet.pts is not None else packet.dts
    if stamp is None or packet.time_base is None:
        return None
    return float(stamp * packet.time_base)


def _frame_time(frame: Any, index: int, meta: VideoMeta) -> float:
    if frame.time is not None:
        return float(frame.time)
    return index / meta.fps if meta.fps else float(index)


def _frame(frame: Any, index: int, time: float, sampled: bool) -> Frame:
    """The frame in display orientation: phone videos store upright pictures rotated, with a display
    matrix (``frame.rotation``, degrees counter-clockwise) saying how to turn them back."""
    rotation = round((frame.rotation or 0) / 90.0) * 90 % 360
    turns = rotation // 90
    thumb = _thumbnail(frame)
    rgb = frame.to_ndarray(format="rgb24") if sampled else None
    if turns:
        thumb = np.ascontiguousarray(np.rot90(thumb, turns))
        rgb = np.ascontiguousarray(np.rot90(rgb, turns)) if rgb is not None else None
    return Frame(index=index, time=time, thumb=thumb, rgb=rgb, rotation=rotation)


def _thumbnail(frame: Any) -> np.ndarray:
    """64x36 RGB. For 8-bit 4:2:0 (nearly every video) it is read straight from the decoded planes on a
    sparse grid, averaging 4x4 (luma) and 2x2 (chroma) samples per thumbnail pixel: sensor noise averages
    out, and it costs a fraction of scaling the whole picture (which took ~40% of decoding time at 720p).
    Other formats go through swscale."""
    if frame.format.name not in _PLANAR_420:
        return frame.reformat(
            width=THUMB_SIZE[0], height=THUMB_SIZE[1], format="rgb24", interpolation="AREA"
        ).to_ndarray()
    w, h = frame.width, frame.height
    luma = _plane_grid(frame.planes[0], w, h, 4)
    u = _plane_grid(frame.planes[1], (w + 1) // 2, (h + 1) // 2, 2)
    v = _plane_grid(frame.planes[2], (w + 1) // 2, (h + 1) // 2, 2)
    if frame.format.name == "yuv420p":  # limited range (16-235), as swscale assumes
        luma = (luma - 16.0) * (255.0 / 219.0)
        u, v = (u - 128.0) * (255.0 / 224.0), (v - 128.0) * (255.0 / 224.0)
    else:
        u, v = u - 128.0, v - 128.0
    rgb = np.dstack([luma + 1.402 * v, luma - 0.344136 * u - 0.714136 * v, luma + 1.772 * u])  # BT.601
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


_PLANAR_420 = frozenset({"yuv420p", "yuvj420p"})


def _plane_grid(plane: Any, width: int, height: int, per: int) -> np.ndarray:
    """Mean of ``per`` x ``per`` samples for each thumbnail pixel of one plane."""
    rows, cols = _grid(width, height, per)
    data = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    samples = data[np.ix_(rows, cols)].reshape(THUMB_SIZE[1], per, THUMB_SIZE[0], per)
    return samples.mean(axis=(1, 3))


@cache
def _grid(width: int, height: int, per: int) -> tuple[np.ndarray, np.ndarray]:
    rows = ((np.arange(THUMB_SIZE[1] * per) + 0.5) * height / (THUMB_SIZE[1] * per)).astype(np.intp)
    cols = ((np.arange(THUMB_SIZE[0] * per) + 0.5) * width / (THUMB_SIZE[0] * per)).astype(np.intp)
    return rows, cols

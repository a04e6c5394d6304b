"""A results document as pictures: shot thumbnails with face boxes, timeline lanes, the OCR strings.

Pure functions of the document (``results.schema.json``). Where an image comes from is the caller's: the
console links the artifact route, ``vidpipe results --html`` embeds the bytes as ``data:`` URIs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LANE_WIDTH = 1000.0  # the timeline's SVG width in user units (it scales to the page)
ROW_HEIGHT = 22.0


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    score: float | None


@dataclass(frozen=True)
class Thumb:
    """One shot: its time range, its picture (None when the worker wrote none) and the faces on it."""

    index: int
    start: float
    end: float
    src: str | None
    boxes: list[Box]
    texts: list[str]


@dataclass(frozen=True)
class TextLine:
    start: float
    end: float
    text: str
    score: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    label: str
    css: str
    row: int = 0

    def x(self, duration: float) -> float:
        return LANE_WIDTH * self.start / duration if duration else 0.0

    def w(self, duration: float) -> float:
        return max(LANE_WIDTH * (self.end - self.start) / duration if duration else 0.0, 2.0)


@dataclass
class Lane:
    name: str
    segments: list[Segment] = field(default_factory=list)
    rows: int = 1

    @property
    def height(self) -> float:
        return self.rows * ROW_HEIGHT


@dataclass
class ResultsView:
    job_id: str
    input_uri: str
    verdict: str
    rejection: str | None
    duration: float
    width: int
    height: int
    summary: list[tuple[str, Any]]
    thumbs: list[Thumb]
    lanes: list[Lane]
    text_lines: list[TextLine]
    other_sections: list[str]

    @property
    def ticks(self) -> list[tuple[float, str]]:
        """Time axis marks: (x, label) about every tenth of the video, at round seconds."""
        if self.duration <= 0:
            return []
        step = next(
            (s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800) if self.duration / s <= 12), 3600
        )
        marks, at = [], 0.0
        while at <= self.duration + 1e-9:
            marks.append((LANE_WIDTH * at / self.duration, clock(at)))
            at += step
        return marks


def clock(seconds: float) -> str:
    """``0:07.5`` / ``1:02:03``: times as people read them on a video."""
    minutes, secs = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    text = f"{secs:04.1f}" if secs % 1 else f"{int(secs):02d}"
    return f"{hours}:{minutes:02d}:{text}" if hours else f"{minutes}:{text}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _ranges(section: Any, key: str = "ranges") -> list[dict[str, Any]]:
    items = section.get(key) if isinstance(section, dict) else None
    return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []


def _pack(segments: list[Segment]) -> tuple[list[Segment], int]:
    """Overlapping segments on separate rows (first row that is free), so that none hides another."""
    ends: list[float] = []
    packed = []
    for segment in sorted(segments, key=lambda s: (s.start, s.end)):
        row = next((i for i, end in enumerate(ends) if end <= segment.start + 1e-9), len(ends))
        if row == len(ends):
            ends.append(segment.end)
        else:
            ends[row] = segment.end
        packed.append(Segment(segment.start, segment.end, segment.label, segment.css, row))
    return packed, max(len(ends), 1)


def _lane(name: str, segments: list[Segment]) -> Lane:
    packed, rows = _pack(segments)
    return Lane(name, packed, rows)


def _face_boxes(faces: Any, start: float, end: float) -> list[Box]:
    """The faces on a shot's thumbnail: the first sampled frame of the shot, as the worker takes it."""
    for frame in _ranges(faces, "frames"):
        time = _number(frame.get("time"), -1.0)
        if start - 1e-6 <= time < end:
            boxes = []
            for box in frame.get("boxes") or []:
                if isinstance(box, list) and len(box) >= 4 and all(isinstance(v, int | float) for v in box):
                    score = float(box[4]) if len(box) > 4 else None
                    boxes.append(Box(box[0], box[1], box[2] - box[0], box[3] - box[1], score))
            return boxes
    return []


def results_view(document: dict[str, Any], image_src: Callable[[str], str | None]) -> ResultsView:
    """The view of a results document; ``image_src(artifact name)`` says where each thumbnail is."""
    analyzers: dict[str, Any] = _dict(document.get("analyzers"))
    summary: dict[str, Any] = _dict(document.get("summary"))
    metadata = _dict(analyzers.get("metadata"))
    duration = _number(metadata.get("duration"), _number(summary.get("duration_seconds")))
    width = int(_number(metadata.get("display_width"), _number(summary.get("width"), 16)))
    height = int(_number(metadata.get("display_height"), _number(summary.get("height"), 9)))
    texts = sorted(
        (
            TextLine(
                _number(t.get("start")),
                _number(t.get("end")),
                str(t.get("text", "")),
                _number(t.get("score")),
            )
            for t in _ranges(analyzers.get("text"), "lines")
        ),
        key=lambda t: (t.start, t.text),
    )
    shots = _ranges(analyzers.get("shots"))
    thumbs = []
    for number, shot in enumerate(shots):
        start, end = _number(shot.get("start")), _number(shot.get("end"))
        name = shot.get("thumbnail")
        thumbs.append(
            Thumb(
                index=int(_number(shot.get("index"), number)),
                start=start,
                end=end,
                src=image_src(name) if isinstance(name, str) else None,
                boxes=_face_boxes(analyzers.get("faces"), start, end),
                texts=[t.text for t in texts if t.start < end and t.end > start],
            )
        )
    lanes = []
    if shots:
        lanes.append(
            _lane(
                "shots",
                [
                    Segment(t.start, t.end, f"shot {t.index + 1}", "shot-even" if i % 2 == 0 else "shot-odd")
                    for i, t in enumerate(thumbs)
                ],
            )
        )
    if "text" in analyzers:
        lanes.append(_lane("on-screen text", [Segment(t.start, t.end, t.text, "text") for t in texts]))
    if "faces" in analyzers:
        faces = [
            Segment(_number(r.get("start")), _number(r.get("end")), _faces_label(r.get("max_faces")), "faces")
            for r in _ranges(analyzers.get("faces"))
        ]
        lanes.append(_lane("faces", faces))
    if "speech" in analyzers:
        speech = [
            Segment(_number(r.get("start")), _number(r.get("end")), "speech", "speech")
            for r in _ranges(analyzers.get("speech"))
        ]
        lanes.append(_lane("speech", speech))
    rejection = _dict(document.get("rejection"))
    known = {"metadata", "shots", "text", "faces", "speech"}
    return ResultsView(
        job_id=str(document.get("job_id", "")),
        input_uri=str(_dict(document.get("input")).get("uri", "")),
        verdict=str(document.get("verdict", "")),
        rejection=f"{rejection.get('code')}: {rejection.get('reason')}" if rejection else None,
        duration=duration,
        width=max(width, 1),
        height=max(height, 1),
        summary=[(k, v) for k, v in summary.items() if isinstance(v, str | int | float) and k != "verdict"],
        thumbs=thumbs,
        lanes=lanes,
        text_lines=texts,
        other_sections=sorted(set(analyzers) - known),
    )


def _faces_label(count: Any) -> str:
    number = int(_number(count, 1))
    return f"{number} face" + ("" if number == 1 else "s")

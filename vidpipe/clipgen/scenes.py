"""Shots with known content: a still picture that pans slowly, optionally with a caption burnt in.

The pictures come from scikit-image's bundled samples, so the content is known without any download:
``astronaut`` has one face; ``coffee``, ``chelsea`` (a cat), ``rocket`` and plain colours have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

FACE_PICTURES = frozenset({"astronaut"})
PAN_PIXELS_PER_FRAME = 1  # a slow pan: consecutive frames differ a little, as in real footage


@dataclass(frozen=True)
class Shot:
    """One shot of a generated clip.

    Attributes:
        seconds: how long the shot lasts.
        picture: a scikit-image sample name (``astronaut``, ``coffee``, ``chelsea``, ``rocket``) or
            ``#rrggbb`` for a plain colour.
        caption: text burnt into the bottom of the picture, or None.
        pan: slide slowly across the picture (camera motion) rather than hold it still (a slide, a tripod).
        fade_in, fade_out: seconds of fade from black at the start / to black at the end (0: none).
    """

    seconds: float
    picture: str
    caption: str | None = None
    pan: bool = True
    fade_in: float = 0.0
    fade_out: float = 0.0

    @property
    def has_face(self) -> bool:
        return self.picture in FACE_PICTURES


@cache
def _sample(name: str) -> np.ndarray:
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def render_canvas(shot: Shot, width: int, height: int, pan: int) -> np.ndarray:
    """The shot's full picture, ``pan`` pixels wider than the frame so that frames can slide across it."""
    from PIL import Image, ImageDraw, ImageFont

    canvas_w = width + pan
    if shot.picture.startswith("#"):
        canvas = Image.new("RGB", (canvas_w, height), shot.picture)
    else:
        canvas = Image.new("RGB", (canvas_w, height), (24, 24, 32))
        picture = Image.fromarray(_sample(shot.picture))
        scale = height / picture.height
        picture = picture.resize((max(1, round(picture.width * scale)), height), Image.Resampling.BILINEAR)
        canvas.paste(picture, ((canvas_w - picture.width) // 2, 0))
    if shot.caption:
        draw = ImageDraw.Draw(canvas)
        font = ImageFont.load_default(size=max(12, height // 12))
        left, top, right, bottom = draw.textbbox((0, 0), shot.caption, font=font)
        x = (canvas_w - (right - left)) // 2
        y = height - (bottom - top) - height // 10
        pad = height // 40
        draw.rectangle((x - pad, y - pad, x + right + pad, y + bottom + pad), fill=(0, 0, 0))
        draw.text((x, y), shot.caption, font=font, fill=(255, 255, 255))
    return np.asarray(canvas)


def frames(shot: Shot, width: int, height: int, count: int) -> list[np.ndarray]:
    """Views of the shot for ``count`` consecutive frames (the pan bounces back at the picture's edge)."""
    pan = min(count * PAN_PIXELS_PER_FRAME, width // 4) if shot.pan else 0
    canvas = render_canvas(shot, width, height, pan)
    period = max(1, 2 * pan)
    views = []
    for i in range(count):
        offset = (i * PAN_PIXELS_PER_FRAME) % period
        x = offset if offset <= pan else period - offset
        view = canvas[:, x : x + width]
        level = _fade_level(shot, i, count)
        views.append(view if level >= 1.0 else (view * level).astype(np.uint8))
    return views


def _fade_level(shot: Shot, index: int, count: int) -> float:
    """Brightness (0-1) of frame ``index`` of ``count``: ramps up over ``fade_in``, down over ``fade_out``."""
    t = (index + 0.5) * shot.seconds / count  # the middle of the frame, in seconds into the shot
    level = 1.0
    if shot.fade_in > 0:
        level = min(level, t / shot.fade_in)
    if shot.fade_out > 0:
        level = min(level, (shot.seconds - t) / shot.fade_out)
    return max(0.0, level)

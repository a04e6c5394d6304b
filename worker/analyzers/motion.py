"""Tell a view that only slid (a camera pan) from one whose content changed.

The thumbnail gate (``worker.analyzers.change``) reruns a model whenever the view changes, and on a pan
every sample changes. But a slow pan shows the same things, moved: its text can be reused as long as
the part of the picture that slid into view since the last real read stays small. The shift is
estimated by phase correlation on a small grey picture and checked by comparing the two pictures once
aligned, block by block, so that any local change (a caption or a slide line that changed, a subject
that moved on its own, a zoom, a fade) makes the check fail and the model run.
"""

from __future__ import annotations

import numpy as np

WORK_WIDTH = 320  # pixels of the grey picture compared (a quarter of 1280)
BLOCK = 8  # block side, in working pixels, of the residual check
BLUR = 2.0  # Gaussian sigma, in working pixels, applied to both pictures before comparing


class ShiftCheck:
    """``only_moved(rgb)``: True when ``rgb`` is the last ``remember``-ed picture translated by at most
    ``max_shift`` of its width and height, with no block of the overlap differing by ``threshold``
    (mean absolute grey difference, 0-255) or more once aligned."""

    def __init__(self, threshold: float = 8.0, max_shift: float = 0.1, min_response: float = 0.5) -> None:
        self.threshold = threshold
        self.max_shift = max_shift
        self.min_response = min_response
        self._reference: np.ndarray | None = None

    def remember(self, rgb: np.ndarray) -> None:
        """The picture the model last really saw."""
        self._reference = _grey(rgb)

    def only_moved(self, rgb: np.ndarray) -> bool:
        import cv2

        current = _grey(rgb)
        reference = self._reference
        if reference is None or reference.shape != current.shape:
            return False
        h, w = current.shape
        # (no window argument: OpenCV 4.14 multiplies the inputs by it in place)
        (dx, dy), response = cv2.phaseCorrelate(reference, current)
        if response < self.min_response or abs(dx) > self.max_shift * w or abs(dy) > self.max_shift * h:
            return False
        # The reference moved by the (sub-pixel) shift: current[y, x] ~ moved[y, x] over the overlap,
        # less a margin. Both are blurred first: a sub-pixel shift of sharp edges (text) otherwise leaves
        # a residual as large as a real change (a 7.5 px shift of a caption: 32 unblurred, 3.2 blurred).
        shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
        moved = cv2.warpAffine(reference, shift, (w, h))
        mx, my = 2 + int(abs(dx)), 2 + int(abs(dy))
        x0, x1 = (mx, w - 2) if dx > 0 else (2, w - mx)
        y0, y1 = (my, h - 2) if dy > 0 else (2, h - my)
        rows, cols = (y1 - y0) // BLOCK * BLOCK, (x1 - x0) // BLOCK * BLOCK
        if rows <= 0 or cols <= 0:
            return False
        now = cv2.GaussianBlur(current[y0 : y0 + rows, x0 : x0 + cols], (0, 0), BLUR)
        then = cv2.GaussianBlur(moved[y0 : y0 + rows, x0 : x0 + cols], (0, 0), BLUR)
        blocks = np.abs(now - then).reshape(rows // BLOCK, BLOCK, cols // BLOCK, BLOCK).mean(axis=(1, 3))
        return bool(blocks.max() < self.threshold)


def _grey(rgb: np.ndarray) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    scale = max(1, w // WORK_WIDTH)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (max(1, w // scale), max(1, h // scale)), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32)

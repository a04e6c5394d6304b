"""Skip model runs on frames that look the same as the last frame a model actually saw."""

from __future__ import annotations

import numpy as np


class ChangeGate:
    """Compares tiny thumbnails: ``changed`` is True for the first frame and whenever the mean absolute
    difference (0-255) from the last accepted thumbnail reaches ``threshold``; a negative threshold
    accepts every frame (the naive baseline)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._reference: np.ndarray | None = None
        self.accepted = 0
        self.skipped = 0

    def changed(self, thumb: np.ndarray) -> bool:
        current = thumb.astype(np.int16)
        same = (
            self.threshold >= 0
            and self._reference is not None
            and self._reference.shape == current.shape
            and float(np.abs(current - self._reference).mean()) < self.threshold
        )
        if same:
            self.skipped += 1
            return False
        self._reference = current
        self.accepted += 1
        return True

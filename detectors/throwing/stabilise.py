"""Global motion of the camera (shake, wind on the pole) as a translation between frames."""

from __future__ import annotations

import cv2
import numpy as np

SCALE = 4  # the shift is measured on a quarter-size image: cheap, and shake is smooth


class ShakeEstimator:
    """Measures how far the current frame is shifted against a reference image."""

    def __init__(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self._small = (max(8, w // SCALE), max(8, h // SCALE))
        self._window = cv2.createHanningWindow(self._small, cv2.CV_32F)

    def shrink(self, gray: np.ndarray) -> np.ndarray:
        """The reduced float image the estimator compares."""
        return cv2.resize(gray, self._small, interpolation=cv2.INTER_AREA).astype(np.float32)

    def shift(self, reference_small: np.ndarray, current_small: np.ndarray) -> tuple[float, float]:
        """(dx, dy) in full-size pixels that moves the reference onto the current frame."""
        (dx, dy), response = cv2.phaseCorrelate(reference_small, current_small, self._window)
        if response < 0.05:  # no reliable peak (a blank or flashing frame): assume still
            return 0.0, 0.0
        return dx * SCALE, dy * SCALE

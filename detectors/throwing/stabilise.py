"""Global motion of the camera (shake, wind on the pole) as a translation between frames."""

from __future__ import annotations

import cv2
import numpy as np

SCALE = 4  # the shift is measured on a quarter-size image: cheap, and shake is smooth


class ShakeEstimator:
    """Measures how far the current frame is shifted against a reference image (phase correlation)."""

    def __init__(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self._small = (max(16, w // (16 * SCALE) * 16), max(16, h // (16 * SCALE) * 16))
        self._scale = (w / self._small[0], h / self._small[1])
        wy = np.hanning(self._small[1]).astype(np.float32)
        wx = np.hanning(self._small[0]).astype(np.float32)
        self._window = wy[:, None] * wx[None, :]

    def reduce(self, gray: np.ndarray) -> np.ndarray:
        """The image at the estimator's reduced size (others may reuse it)."""
        return cv2.resize(gray, self._small, interpolation=cv2.INTER_AREA).astype(np.float32)

    def spectrum(self, small: np.ndarray) -> np.ndarray:
        """The windowed spectrum of a reduced image, ready for `shift`."""
        return np.fft.rfft2((small - small.mean()) * self._window)

    def shrink(self, gray: np.ndarray) -> np.ndarray:
        """The spectrum of a full-size image."""
        return self.spectrum(self.reduce(gray))

    def shift(self, reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
        """(dx, dy) in full-size pixels that moves the reference onto the current frame."""
        cross = current * np.conj(reference)
        cross /= np.abs(cross) + 1e-9
        surface = np.fft.irfft2(cross, s=(self._small[1], self._small[0]))
        iy, ix = np.unravel_index(int(np.argmax(surface)), surface.shape)
        peak = surface[iy, ix]
        if peak < 0.03:  # no clear peak (a blank or flashing frame): assume still
            return 0.0, 0.0
        h, w = surface.shape
        dy = iy + _vertex(surface[(iy - 1) % h, ix], peak, surface[(iy + 1) % h, ix])
        dx = ix + _vertex(surface[iy, (ix - 1) % w], peak, surface[iy, (ix + 1) % w])
        dx = dx - w if dx > w / 2 else dx
        dy = dy - h if dy > h / 2 else dy
        return float(dx) * self._scale[0], float(dy) * self._scale[1]


def _vertex(left: float, centre: float, right: float) -> float:
    """Sub-sample offset of a phase-correlation peak (a sampled sinc) from its larger neighbour."""
    if right >= left:
        return float(np.clip(right / (right + centre), 0.0, 0.5)) if right > 0 else 0.0
    return float(-np.clip(left / (left + centre), 0.0, 0.5)) if left > 0 else 0.0

"""Global motion of the camera (shake, wind on the pole) as a translation between frames."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SCALE = 4  # the shift is measured on a quarter-size image: cheap, and shake is smooth
REFINE_STEPS = 2  # gradient steps after the correlation peak (the second only when the first moved far)


@dataclass(frozen=True)
class Reference:
    """What `ShakeEstimator.measure` compares a frame with: a reduced image, ready in two forms."""

    spectrum: np.ndarray  # windowed spectrum, for the phase correlation
    image: np.ndarray  # the reduced image itself
    # Gradient refinement: per-pixel regressors (dx, dy, gain, offset) weighted by the window,
    # and the inverse of their normal matrix.
    regressors: np.ndarray
    inverse: np.ndarray


class ShakeEstimator:
    """Measures how far the current frame is shifted against a reference image (phase correlation)."""

    def __init__(self, shape: tuple[int, int]) -> None:
        h, w = shape
        # The correlation window: a size the FFT likes, a quarter of the image or a little less.
        self._small = (max(16, w // (16 * SCALE) * 16), max(16, h // (16 * SCALE) * 16))
        # The reduced image is the whole image shrunk by exactly SCALE (its last few rows and
        # columns trimmed): INTER_AREA then averages whole blocks, five times faster than at a
        # fractional factor. The window is its centre. Tiny images are shrunk onto the window.
        if w // SCALE >= self._small[0] and h // SCALE >= self._small[1]:
            self._reduced = (w // SCALE, h // SCALE)
            self._trim = (self._reduced[0] * SCALE, self._reduced[1] * SCALE)
        else:
            self._reduced, self._trim = self._small, (w, h)
        self._scale = (self._trim[0] / self._reduced[0], self._trim[1] / self._reduced[1])
        ox, oy = (self._reduced[0] - self._small[0]) // 2, (self._reduced[1] - self._small[1]) // 2
        self._crop = (slice(oy, oy + self._small[1]), slice(ox, ox + self._small[0]))
        wy = np.hanning(self._small[1]).astype(np.float32)
        wx = np.hanning(self._small[0]).astype(np.float32)
        self._window = wy[:, None] * wx[None, :]

    def reduce(self, gray: np.ndarray) -> np.ndarray:
        """The image shrunk by the estimator's factor, as float32 (others may reuse it)."""
        trimmed = gray[: self._trim[1], : self._trim[0]]
        return cv2.resize(trimmed, self._reduced, interpolation=cv2.INTER_AREA).astype(np.float32, copy=False)

    def _window_of(self, reduced: np.ndarray) -> np.ndarray:
        return reduced[self._crop]

    def spectrum(self, small: np.ndarray) -> np.ndarray:
        """The windowed spectrum of a reduced image's correlation window, ready for `shift`."""
        return np.fft.rfft2((small - small.mean()) * self._window)

    def shrink(self, gray: np.ndarray) -> np.ndarray:
        """The spectrum of a full-size image."""
        return self.spectrum(self._window_of(self.reduce(gray)))

    def reference(self, reduced: np.ndarray) -> Reference:
        """A reduced image (from `reduce`) prepared as the reference of later `measure` calls."""
        small = np.ascontiguousarray(self._window_of(reduced))
        gy, gx = np.gradient(small)
        w = self._window.ravel()
        # The frame is modelled as the reference moved by a fraction of a sample and lit a
        # little differently: cur - ref = -gx*dx - gy*dy + gain*ref + offset.
        cols = np.stack([-gx.ravel(), -gy.ravel(), small.ravel() - small.mean(), np.ones(small.size, np.float32)])
        weighted = cols.astype(np.float64) * w
        normal = weighted @ cols.T.astype(np.float64)
        return Reference(self.spectrum(small), small, weighted.astype(np.float32), np.linalg.pinv(normal))

    def measure(self, reference: Reference, reduced: np.ndarray) -> tuple[float, float]:
        """(dx, dy) in full-size pixels that moves the reference onto the reduced frame (from `reduce`)."""
        small = self._window_of(reduced)
        peak = self._peak(reference.spectrum, self.spectrum(small))
        if peak is None:  # no clear peak (a blank or flashing frame): assume still
            return 0.0, 0.0
        # The correlation peak is good to a sample of the reduced image, but its sub-sample
        # vertex is biased when noise widens the peak: at night it read a still camera as half
        # a pixel off, flipping between shifting and not and lighting every edge. A gradient
        # (Lucas-Kanade) step on the reduced images, aligned at the peak, gives the fraction.
        fx, fy = float(peak[0]), float(peak[1])
        for _ in range(REFINE_STEPS):
            m = np.array([[1.0, 0.0, fx], [0.0, 1.0, fy]], dtype=np.float32)
            aligned = cv2.warpAffine(
                small, m, self._small, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
            )
            # (einsum, not a matrix product: BLAS might start threads for this.)
            moments = np.einsum("kn,n->k", reference.regressors, (aligned - reference.image).ravel())
            step = reference.inverse @ moments
            if not np.all(np.isfinite(step[:2])) or max(abs(step[0]), abs(step[1])) > 1.5:
                break  # the linear model does not hold (a flash, a jump): keep the peak
            fx, fy = fx + float(step[0]), fy + float(step[1])
            if max(abs(step[0]), abs(step[1])) < 0.05:
                break
        return fx * self._scale[0], fy * self._scale[1]

    def _peak(self, reference: np.ndarray, current: np.ndarray) -> tuple[int, int] | None:
        """The phase-correlation peak (dx, dy) in whole reduced samples, or None if there is none."""
        cross = current * np.conj(reference)
        cross /= np.abs(cross) + 1e-9
        surface = np.fft.irfft2(cross, s=(self._small[1], self._small[0]))
        iy, ix = np.unravel_index(int(np.argmax(surface)), surface.shape)
        if surface[iy, ix] < 0.03:
            return None
        h, w = surface.shape
        return int(ix - w if ix > w / 2 else ix), int(iy - h if iy > h / 2 else iy)

    def shift(self, reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
        """(dx, dy) in full-size pixels that moves the reference onto the current frame.

        The sub-sample vertex fit here is biased under noise; `measure` is the accurate one.
        """
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

"""Foreground blobs of one frame: what moved against a shake-compensated, gain-normalised background."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detectors.throwing.stabilise import ShakeEstimator

MIN_SHIFT_PX = 0.5  # smaller measured shifts are the estimator's own noise
GAIN_CELL_PX = 48  # illumination is normalised per cell: larger than a window, smaller than a cloud


@dataclass(frozen=True)
class Blobs:
    """Foreground blobs of one frame, in ROI pixels; arrays are aligned, one row per blob."""

    xy: np.ndarray  # (N, 2) float centroids
    wh: np.ndarray  # (N, 2) int bounding box width and height
    area: np.ndarray  # (N,) int pixel count
    disturbed: bool  # the frame changed as a whole (jump, flash): births should wait

    @staticmethod
    def empty(disturbed: bool = False) -> Blobs:
        """No blobs."""
        return Blobs(np.zeros((0, 2)), np.zeros((0, 2), int), np.zeros(0, int), disturbed)


@dataclass(frozen=True)
class ForegroundParams:
    """Tuning of the foreground extraction."""

    alpha: float = 0.05  # background learning rate per frame (~0.8 s memory at 25 fps)
    k_sigma: float = 4.5  # threshold in noise deviations (mean |diff| is 0.8 sigma)
    noise_alpha: float = 0.03
    min_threshold: float = 9.0
    max_foreground_fraction: float = 0.08  # beyond this the frame is a global disturbance
    restart_after_frames: int = 5
    max_blobs: int = 400


class ForegroundExtractor:
    """Keeps a background of the ROI and returns the blobs that differ from it."""

    def __init__(self, shape: tuple[int, int], params: ForegroundParams | None = None) -> None:
        self.params = params or ForegroundParams()
        self.shape = shape
        self._shake = ShakeEstimator(shape)
        self._bg: np.ndarray | None = None
        self._bg_small: np.ndarray | None = None
        self._noise: np.ndarray | None = None  # running mean |frame - background| per pixel
        self._kernel = np.ones((3, 3), np.uint8)
        h, w = shape
        self._cells = (max(1, w // GAIN_CELL_PX), max(1, h // GAIN_CELL_PX))
        self.last_shift = (0.0, 0.0)
        self.last_threshold = 0.0
        self.last_fraction = 0.0
        self._disturbed_run = 0
        self._frames = 0

    def apply(self, gray: np.ndarray) -> Blobs:
        """Update with one grey ROI image (uint8) and return its foreground blobs."""
        cur = gray.astype(np.float32)
        if self._bg is None:
            self._bg = cur.copy()
            self._bg_small = self._shake.shrink(cur)
            self._noise = np.full_like(cur, 2.0)
            return Blobs.empty()
        cur_small = self._shake.shrink(cur)
        dx, dy = self._shake.shift(self._bg_small, cur_small)
        if abs(dx) < MIN_SHIFT_PX and abs(dy) < MIN_SHIFT_PX:
            dx = dy = 0.0
        self.last_shift = (dx, dy)
        if dx or dy:
            # Bring the frame back onto the background rather than the other way round:
            # the background is never resampled, so it stays sharp however long it shakes.
            h, w = self.shape
            back = np.float32([[1, 0, -dx], [0, 1, -dy]])
            cur = cv2.warpAffine(cur, back, (w, h), borderMode=cv2.BORDER_REPLICATE)
        bg = self._bg
        # Illumination: scale the frame cell by cell to the background's brightness, so that
        # exposure jumps and cloud shadows cancel while small objects keep their contrast.
        cells_bg = cv2.resize(bg, self._cells, interpolation=cv2.INTER_AREA)
        cells_cur = cv2.resize(cur, self._cells, interpolation=cv2.INTER_AREA)
        gain = cv2.resize((cells_bg + 4.0) / (cells_cur + 4.0), (gray.shape[1], gray.shape[0]))
        norm = cv2.multiply(cur, gain)
        diff = cv2.absdiff(norm, bg)
        # Per-pixel noise: compression and shake residue make edges noisier than flat wall, so
        # each pixel's threshold follows its own running mean absolute difference.
        assert self._noise is not None
        threshold = cv2.max(self._noise * (self.params.k_sigma * 1.25), self.params.min_threshold)
        self.last_threshold = float(np.median(threshold[::8, ::8]))
        mask = cv2.compare(diff, threshold, cv2.CMP_GT)
        fraction = cv2.countNonZero(mask) / mask.size
        self.last_fraction = fraction
        if fraction > self.params.max_foreground_fraction:
            # A global change the gain map could not absorb. One such frame (a flash, a
            # glitch) is skipped; if it lasts, the scene really changed: start afresh.
            self._disturbed_run += 1
            if self._disturbed_run >= self.params.restart_after_frames:
                self._bg = cur.copy()
                self._bg_small = self._shake.shrink(cur)
                self._disturbed_run = 0
            return Blobs.empty(disturbed=True)
        self._disturbed_run = 0
        mask = cv2.dilate(mask, self._kernel)
        # Learn the background where nothing moves; under foreground only slowly, so a passing
        # object leaves no trail behind it while a light switched on still fades in.
        calm = cv2.bitwise_not(mask)
        cv2.accumulateWeighted(cur, self._bg, self.params.alpha, mask=calm)
        cv2.accumulateWeighted(cur, self._bg, self.params.alpha / 8, mask=mask)
        cv2.accumulateWeighted(cv2.min(diff, 60.0), self._noise, self.params.noise_alpha, mask=calm)
        self._frames += 1
        if self._frames % 8 == 0:  # the reference for shake changes slowly
            self._bg_small = self._shake.shrink(self._bg)
        count, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
        if count <= 1:
            return Blobs.empty()
        stats, centroids = stats[1:], centroids[1:]
        if len(stats) > self.params.max_blobs:
            keep = np.argsort(stats[:, cv2.CC_STAT_AREA])[-self.params.max_blobs :]
            stats, centroids = stats[keep], centroids[keep]
        return Blobs(
            xy=centroids.astype(np.float64),
            wh=stats[:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].astype(int),
            area=stats[:, cv2.CC_STAT_AREA].astype(int),
            disturbed=len(stats) > self.params.max_blobs // 2,
        )

"""Foreground blobs of one frame: what moved against a shake-compensated, gain-normalised background."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from detectors.throwing.stabilise import Reference, ShakeEstimator

MAX_SHIFT_PX = 24.0
GAIN_CELL_PX = 48
GAIN_TOLERANCE = 0.03  # illumination is normalised per cell: larger than a window, smaller than a cloud


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
    # Sparkle: a tiny blob with nothing in the frame before anywhere near it is a speck of
    # sensor noise or a twinkling hot pixel; at night they are half of all blobs, and every one
    # costs the tracker a track. An object is dropped at most on the frame it first shows.
    sparkle_max_area: int = 16  # after the 3x3 dilation: a raw cluster of about four pixels
    sparkle_reach_px: int = 8  # farther than a small (hence slow or short-blurred) object moves in a frame
    # Blobs of this many frames before count: an object missed for a frame (dark glass, a
    # tumbling sheet seen edge-on) is not a sparkle when it shows again.
    sparkle_memory_frames: int = 2
    # Swamped: an exposure jump that clips the bright wall leaves the textured parts of the whole
    # facade (window frames, sills) different from a background that learns slowly under
    # foreground, and hundreds of still blobs stand about the path of any fall for a second or
    # more. After this many frames in a row with more blobs than this while the light as a whole
    # is off the background's (the median cell's gain by more than `swamp_relight`), the
    # background learns everywhere at `swamp_alpha`.
    swamp_blobs: int = 300
    swamp_frames: int = 3
    # (Noise at night, and the keyframes of a stream at a low bitrate, give as many blobs; on five
    # night scenes at 2 Mb/s the median cell was never more than 5 % off three frames in a row.)
    swamp_relight: float = 0.05
    swamp_alpha: float = 0.25


class ForegroundExtractor:
    """Keeps a background of the ROI and returns the blobs that differ from it."""

    def __init__(self, shape: tuple[int, int], params: ForegroundParams | None = None) -> None:
        self.params = params or ForegroundParams()
        self.shape = shape
        self._shake = ShakeEstimator(shape)
        self._bg: np.ndarray | None = None
        # Shake is measured against a fixed reference (the first calm frame): measuring it
        # against the background would let estimation errors feed back into the background.
        self._bg_small: Reference | None = None
        self._noise: np.ndarray | None = None  # running mean |frame - background| per pixel
        self._kernel = np.ones((3, 3), np.uint8)
        self._ring = np.ones((3, 3), np.uint8)  # the eight neighbours of a pixel, not the pixel
        self._ring[1, 1] = 0
        h, w = shape
        self._cells = (max(1, w // GAIN_CELL_PX), max(1, h // GAIN_CELL_PX))
        self.last_shift = (0, 0)
        self.last_threshold = 0.0
        self.last_fraction = 0.0
        self._disturbed_run = 0
        self._swamped_run = 0  # frames in a row swamped (`swamp_blobs` and `swamp_relight`)
        self._frames = 0
        self._cells_bg: np.ndarray | None = None
        self._floor: float | None = None
        # (x0, y0, x1, y1) of the blobs of the last few frames, the latest last
        self._last_boxes: deque[np.ndarray] = deque(maxlen=max(1, self.params.sparkle_memory_frames))
        # Every full-size intermediate is written into an array kept from frame to frame:
        # fresh ones cost a page fault per 4 KiB on every frame, as much as the arithmetic.
        self._f32 = [np.empty(shape, np.float32) for _ in range(4)]  # frame, shifted, gain-normalised, diff
        self._u8 = [np.empty(shape, np.uint8) for _ in range(4)]  # raw, has a neighbour, mask, calm
        self._u16 = np.empty(shape, np.uint16)  # the blob labels
        self._threshold = np.empty(shape, np.float32)
        self._gain = np.empty(shape, np.float32)

    def apply(self, gray: np.ndarray) -> Blobs:
        """Update with one grey ROI image (uint8) and return its foreground blobs."""
        frame, shifted, normalised, diff = self._f32
        raw, befriended, mask, calm = self._u8
        cur = frame
        cur[...] = gray
        if self._bg is None:
            self._bg = cur.copy()
            self._bg_small = self._shake.reference(self._shake.reduce(cur))
            self._noise = np.full_like(cur, 2.0)
            return Blobs.empty()
        reduced = self._shake.reduce(cur)
        assert self._bg_small is not None
        dx, dy = self._shake.measure(self._bg_small, reduced)
        # Whole pixels only: interpolating would smooth the sensor noise on shifted frames
        # and not on others, and the per-pixel noise model would learn neither.
        dx, dy = round(dx), round(dy)
        if max(abs(dx), abs(dy)) > MAX_SHIFT_PX:  # not shake: the view moved or the match failed
            return Blobs.empty(disturbed=True)
        self.last_shift = (dx, dy)
        if dx or dy:
            # Bring the frame back onto the background rather than the other way round:
            # the background is never resampled, so it stays sharp however long it shakes.
            cur = _translate(cur, -dx, -dy, shifted)
        bg = self._bg
        # Illumination: scale the frame cell by cell to the background's brightness, so that
        # exposure jumps and cloud shadows cancel while small objects keep their contrast.
        self._frames += 1
        if self._cells_bg is None or self._frames % 4 == 0:  # the background changes slowly
            self._cells_bg = cv2.resize(bg, self._cells, interpolation=cv2.INTER_AREA)
        cells_bg = self._cells_bg
        # Cells from the reduced frame (already made for shake): shake of a pixel or two
        # hardly changes a cell's mean, so the unshifted frame does.
        cells_cur = cv2.resize(reduced, self._cells, interpolation=cv2.INTER_AREA)
        # The median over neighbouring cells ignores one cell darkened or lit by an object,
        # which would otherwise be "corrected" away together with its surroundings.
        cell_gain = cv2.medianBlur(((cells_bg + 4.0) / (cells_cur + 4.0)).astype(np.float32), 3)
        cell_off = np.abs(cell_gain - 1.0)  # each cell's change of light against the background's
        if float(cell_off.max()) > GAIN_TOLERANCE:
            gain = cv2.resize(cell_gain, (gray.shape[1], gray.shape[0]), dst=self._gain)
            norm = cv2.multiply(cur, gain, dst=normalised)
        else:
            norm = cur  # steady light, the usual case: spare the full-size multiply
        cv2.absdiff(norm, bg, dst=diff)
        # Per-pixel noise: compression and shake residue make edges noisier than flat wall, so
        # each pixel's threshold follows its own running mean absolute difference.
        assert self._noise is not None
        # A frame-wide floor from the median difference covers noise the map has not learnt
        # yet (the first night frames, a gain change of the IR sensor).
        if self._frames % 4 == 1 or self._floor is None:  # the sensor's noise drifts slowly
            sigma = float(np.median(diff[::4, ::4])) / 0.6745
            self._floor = max(self.params.min_threshold, self.params.k_sigma * sigma)
        # Not cached like the floor: a threshold a few frames stale lets through the flicker
        # the noise map has just learnt (measured: more false alarms at night).
        # (numpy for the scalar operands: OpenCV's binding makes them slow; same float32 results.)
        threshold = np.multiply(self._noise, np.float32(self.params.k_sigma * 1.25), out=self._threshold)
        np.maximum(threshold, np.float32(self._floor), out=threshold)
        self.last_threshold = self._floor
        cv2.compare(diff, threshold, cv2.CMP_GT, dst=raw)
        fraction = cv2.countNonZero(raw) / raw.size
        self.last_fraction = fraction
        if fraction > self.params.max_foreground_fraction:
            # A global change the gain map could not absorb. One such frame (a flash, a
            # glitch) is skipped; if it lasts, the scene really changed: start afresh.
            self._disturbed_run += 1
            if self._disturbed_run >= self.params.restart_after_frames:
                self._bg[...] = cur
                self._bg_small = self._shake.reference(self._shake.reduce(cur))
                self._disturbed_run = 0
            return Blobs.empty(disturbed=True)
        self._disturbed_run = 0
        # A lone pixel is compression or sensor noise; even a 9 cm object at the top floors
        # covers two pixels once its blur and motion are counted.
        # (A dilation by the ring of eight neighbours: half the cost of counting them with a box
        # filter and comparing the count, and outside the image nothing is a neighbour either way.)
        cv2.bitwise_and(raw, cv2.dilate(raw, self._ring, dst=befriended), dst=raw)
        cv2.dilate(raw, self._kernel, dst=mask)
        # Learn the background where nothing moves; under foreground only slowly, so a passing
        # object leaves no trail behind it while a light switched on still fades in. (Swamped,
        # everywhere and fast: see `ForegroundParams.swamp_frames`.)
        cv2.bitwise_not(mask, dst=calm)
        if self._swamped_run >= self.params.swamp_frames:
            cv2.accumulateWeighted(cur, self._bg, self.params.swamp_alpha)
        else:
            cv2.accumulateWeighted(cur, self._bg, self.params.alpha, mask=calm)
            cv2.accumulateWeighted(cur, self._bg, self.params.alpha / 8, mask=mask)
        # The noise model learns under foreground too, slowly: an edge that shake or
        # compression keeps flickering must raise its own threshold, or it flickers forever.
        cv2.threshold(diff, 60.0, 60.0, cv2.THRESH_TRUNC, dst=diff)  # min(diff, 60), in place
        clipped = diff
        cv2.accumulateWeighted(clipped, self._noise, self.params.noise_alpha, mask=calm)
        cv2.accumulateWeighted(clipped, self._noise, self.params.noise_alpha / 4, mask=mask)
        if not cv2.countNonZero(mask):
            self._swamped_run = 0
            self._last_boxes.append(np.zeros((0, 4), np.int32))
            return Blobs.empty()  # nothing moved: spare the labelling
        count, _, stats, centroids = cv2.connectedComponentsWithStats(
            mask, labels=self._u16, connectivity=8, ltype=cv2.CV_16U
        )
        # (The median only on the rare frame with that many blobs.)
        swamped = count - 1 > self.params.swamp_blobs and float(np.median(cell_off)) > self.params.swamp_relight
        self._swamped_run = self._swamped_run + 1 if swamped else 0
        if count <= 1:
            self._last_boxes.append(np.zeros((0, 4), np.int32))
            return Blobs.empty()
        stats, centroids = stats[1:], centroids[1:]
        if len(stats) > self.params.max_blobs:
            keep = np.argsort(stats[:, cv2.CC_STAT_AREA])[-self.params.max_blobs :]
            stats, centroids = stats[keep], centroids[keep]
        disturbed = len(stats) > self.params.max_blobs // 2
        boxes = stats[:, :4].copy()
        boxes[:, 2:] += boxes[:, :2]  # (x, y, w, h) -> (x0, y0, x1, y1), x1 and y1 exclusive
        last_boxes = np.concatenate(self._last_boxes) if self._last_boxes else np.zeros((0, 4), np.int32)
        self._last_boxes.append(boxes)
        area = stats[:, cv2.CC_STAT_AREA]
        sparkle = _unheralded(boxes, area, last_boxes, self.params.sparkle_max_area, self.params.sparkle_reach_px)
        if sparkle.any():
            stats, centroids, area = stats[~sparkle], centroids[~sparkle], area[~sparkle]
        return Blobs(
            xy=centroids.astype(np.float64),
            wh=stats[:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].astype(int),
            area=area.astype(int),
            disturbed=disturbed,
        )


def _unheralded(boxes: np.ndarray, area: np.ndarray, last: np.ndarray, max_area: int, reach: int) -> np.ndarray:
    """Which blobs (boxes (N, 4) as x0, y0, x1, y1) are at most `max_area` pixels and lie
    farther than `reach` pixels from every box of the previous frame `last` (M, 4)."""
    small = np.nonzero(area <= max_area)[0]
    alone = np.zeros(len(boxes), dtype=bool)
    if not len(small):
        return alone
    if not len(last):
        alone[small] = True
        return alone
    b = boxes[small]
    # The gap between two boxes along an axis; negative when they overlap on it.
    gap_x = np.maximum(b[:, None, 0], last[None, :, 0]) - np.minimum(b[:, None, 2], last[None, :, 2])
    gap_y = np.maximum(b[:, None, 1], last[None, :, 1]) - np.minimum(b[:, None, 3], last[None, :, 3])
    near = (np.maximum(gap_x, gap_y) < reach).any(axis=1)
    alone[small[~near]] = True
    return alone


def _translate(img: np.ndarray, dx: int, dy: int, out: np.ndarray | None = None) -> np.ndarray:
    """The image moved by whole pixels, edges repeated into the uncovered border (into `out` if given)."""
    h, w = img.shape
    inner = img[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    return cv2.copyMakeBorder(inner, max(0, dy), max(0, -dy), max(0, dx), max(0, -dx), cv2.BORDER_REPLICATE, dst=out)

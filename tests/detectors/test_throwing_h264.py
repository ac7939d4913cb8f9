"""Camera-like H.264 at night: the staircases that frozen IR noise makes between keyframes."""

from __future__ import annotations

import numpy as np

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.foreground import Blobs
from ingest.registry import Facade
from tests.detectors.test_throwing_recall_rest import FPS, REST_M, image_point, run_scene


def _fall(f: int, released: int, toss_mps: float = 0.0) -> tuple[float, float]:
    """An object at its window until `released`, then tossed up at `toss_mps` and falling."""
    tau = max(f - released, 0) / FPS
    return image_point(REST_M[0] + 0.3 * tau, REST_M[1] + toss_mps * tau - 0.5 * 9.81 * tau * tau)


# Recorded on a nuisance-only night scene of the dev set 32001 sent at 2000 kb/s (scene-021),
# a false alarm of the old detector: frame -> (x, y, pixels) of a noise blob, which the encoder
# then copied for that many frames in all; between those it hopped down the facade.
STAIRCASE_FACADE = Facade(
    corners_px=[[515.4, 77.2], [729.9, 82.1], [769.2, 640.5], [452.0, 639.3]], floors=10, lowest_floor=2, columns=4
)
STAIRCASE = {
    101: (670.0, 376.3333333333333, 18, 4),
    105: (670.6666666666667, 377.0, 18, 4),
    110: (669.0, 379.0, 15, 1),
    117: (670.7142857142858, 401.57142857142856, 21, 1),
    118: (671.0, 402.0, 15, 1),
    119: (671.0, 402.5, 12, 1),
    123: (658.6, 416.6, 15, 6),
    129: (664.7532467532467, 422.35064935064935, 154, 1),
    131: (663.0, 435.0, 15, 1),
    132: (663.0, 435.5, 12, 1),
}


class Recorded:
    """Stands in for the foreground extractor: one blob per frame from a recorded track, as
    (x, y, pixels) or (x, y, pixels, width, height) in frame pixels (5 x 5 when not given)."""

    def __init__(self, points: dict[int, tuple[float, ...]], roi: tuple[int, int, int, int]) -> None:
        self.points, self.roi, self.frame = points, roi, 0

    def apply(self, gray: np.ndarray) -> Blobs:
        p = self.points.get(self.frame)
        self.frame += 1
        if p is None:
            return Blobs.empty()
        xy = np.array([[p[0] - self.roi[0], p[1] - self.roi[1]]])
        size = [p[3], p[4]] if len(p) == 5 else [5, 5]
        return Blobs(xy, np.array([size]), np.array([int(p[2])]), False)


def replay(facade: Facade, points: dict[int, tuple[float, ...]], frames: int) -> list[tuple[int, int, int]]:
    """(frame, floor, column) of every alarm raised on recorded points (see `Recorded`) over the
    first `frames` frames."""
    detector = ThrowingDetector(facade, FPS)
    blank = np.zeros((720, 1280), np.uint8)
    detector._start(0, blank)
    detector._fg = Recorded(points, detector._roi)  # type: ignore[assignment]
    return [(d.frame, d.floor, d.column) for f in range(frames) for d in detector.process(f, blank)]


def test_a_recorded_staircase_of_copied_noise_is_not_a_fall() -> None:
    points = {f + k: (x, y, area) for f, (x, y, area, n) in STAIRCASE.items() for k in range(n)}
    assert replay(STAIRCASE_FACADE, points, 140) == []


def test_an_object_held_still_and_tossed_is_found_though_copied_at_the_window_and_apex() -> None:
    # The same blob frame after frame while held (the encoder copies a still object too), and
    # twice at the apex of its toss: a fall is only stopped by repeats on its way down.
    apex = 58 + round(1.0 / 9.81 * FPS)  # a toss at 1 m/s peaks 0.1 s after the release

    def scene(f: int) -> list[tuple[float, float]]:
        if f < 50:
            return []
        return [_fall(min(f, 58) if f <= 58 else (apex if f == apex + 1 else f), 58, toss_mps=1.0)]

    alarms = run_scene(scene, 110)
    assert len(alarms) == 1
    frame, floor, column = alarms[0]
    assert (floor, column) == (9, 3)
    assert frame - 58 <= 1.0 * FPS

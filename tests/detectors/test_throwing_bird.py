"""Birds: one that dived in from above the roof."""

from __future__ import annotations

import numpy as np

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.foreground import Blobs
from detectors.throwing.physics import G_MPS2, find_release
from ingest.registry import Facade
from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, image_point, run_scene

Recording = dict[int, tuple[tuple[float, float, int, int, int], ...]]  # frame -> blobs (x, y, pixels, w, h)


class _Recorded:
    """Stands in for the foreground extractor: a frame's recorded blobs, in frame pixels."""

    def __init__(self, blobs: Recording, roi: tuple[int, int, int, int]) -> None:
        self.blobs, self.roi, self.frame = blobs, roi, 0

    def apply(self, gray: np.ndarray) -> Blobs:
        found = self.blobs.get(self.frame, ())
        self.frame += 1
        if not found:
            return Blobs.empty()
        rows = np.array(found, dtype=np.float64)
        xy = rows[:, :2] - np.array(self.roi[:2])
        return Blobs(xy, rows[:, 3:5].astype(int), rows[:, 2].astype(int), False)


def _alarms(facade: Facade, blobs: Recording) -> list[tuple[int, int, int]]:
    """(alarm frame, floor, column) of every alarm raised on the recorded blobs."""
    detector = ThrowingDetector(facade, FPS)
    blank = np.zeros((720, 1280), np.uint8)
    detector._start(0, blank)
    detector._fg = _Recorded(blobs, detector._roi)  # type: ignore[assignment]
    return [(d.frame, d.floor, d.column) for f in range(max(blobs) + 10) for d in detector.process(f, blank)]


# Recorded on a nuisance-only day scene of the dev set 32001 sent at 2000 kb/s (scene-012), a false
# alarm of the old detector: a bird diving in from the sky, first seen 1 m below the roof line
# already at 7.5 m/s and gaining speed at 0.7 g. Its parabola puts it at rest 1.4 m above the roof.
DIVE_FACADE = Facade(
    corners_px=[[549.2, 44.0], [771.5, 45.8], [839.1, 673.4], [511.1, 676.6]], floors=11, lowest_floor=1, columns=4
)
DIVE: Recording = {
    156: ((731.6, 79.4, 124, 18, 10),), 157: ((732.0, 85.2, 119, 22, 8),), 158: ((735.1, 91.9, 122, 18, 11),),
    159: ((736.6, 92.2, 108, 20, 8),), 160: ((739.1, 96.0, 102, 17, 9),), 161: ((741.1, 104.9, 120, 18, 11),),
    162: ((743.4, 108.0, 110, 18, 10),), 163: ((745.2, 111.1, 129, 17, 11),), 164: ((746.4, 120.2, 108, 20, 7),),
    165: ((747.5, 127.6, 129, 20, 11),), 166: ((748.2, 129.4, 140, 20, 10),), 167: ((750.6, 136.6, 103, 20, 7),),
    168: ((751.8, 146.5, 127, 18, 11),), 169: ((754.0, 150.8, 104, 20, 7),), 170: ((754.8, 155.7, 119, 19, 10),),
    171: ((756.1, 167.4, 119, 19, 9),), 172: ((757.3, 176.9, 113, 19, 8),), 173: ((759.8, 185.0, 127, 18, 11),),
    174: ((760.1, 201.4, 86, 17, 6),), 175: ((761.7, 219.8, 125, 19, 10),), 176: ((760.9, 234.9, 37, 7, 7),),
    181: ((775.5, 319.0, 12, 4, 3),),
}  # fmt: skip


def test_a_recorded_bird_diving_in_from_above_the_roof_is_not_a_throw() -> None:
    assert _alarms(DIVE_FACADE, DIVE) == []


def test_a_fall_first_seen_fast_is_traced_to_where_its_parabola_is_at_rest() -> None:
    # Let go at 34 m and first seen 1 s later: the release is put back 0.6 s at most, where it
    # was still falling fast; its parabola's top is where it was let go.
    t = 1.0 + np.arange(12) / FPS
    y = 34.0 - 0.5 * G_MPS2 * t * t
    release = find_release(t, np.zeros(12), y)
    assert release.traced and release.y_m < 33.5  # (34 - g 0.4² / 2: 0.4 s on from rest)
    assert release.rest_y_m is not None and abs(release.rest_y_m - 34.0) < 0.01


# The top floor of the test facade (floor 18): an object a little above the sill of its window.
TOP_M = (2.5 * GEOMETRY.column_m, 15.5 * GEOMETRY.storey_m)


def _from_top_floor(f: int, released: int) -> tuple[float, float]:
    tau = max(f - released, 0) / FPS
    return image_point(TOP_M[0] + 0.3 * tau, TOP_M[1] - 0.5 * G_MPS2 * tau * tau)


def test_an_object_held_out_of_the_top_floor_and_dropped_is_found() -> None:
    alarms = run_scene(lambda f: [_from_top_floor(f, 60)] if f >= 45 else [], 110)
    assert [(floor, column) for _, floor, column in alarms] == [(18, 3)]


def test_an_object_from_the_top_floor_first_seen_falling_fast_is_found() -> None:
    # Lost against its window as it left and found 0.3 s into its fall: traced back up its
    # parabola, it was at rest at its window, below the roof line.
    alarms = run_scene(lambda f: [_from_top_floor(f, 60)] if f >= 68 else [], 110)
    assert [(floor, column) for _, floor, column in alarms] == [(18, 3)]

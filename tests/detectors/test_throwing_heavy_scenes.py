"""Recall of heavy objects and bags, whole detector on synthetic blobs: what came before them."""

from __future__ import annotations

from detectors.throwing.physics import G_MPS2
from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, image_point, run_scene

COLUMN_M = 2.5 * GEOMETRY.column_m  # column 3
LIGHT_M = 4.4 * GEOMETRY.storey_m  # floor 7: a still blob there since the start
WINDOW_M = 3.4 * GEOMETRY.storey_m  # floor 6, right below it


def _with_light_above(fall: tuple[int, float, float] | None) -> list[tuple[int, int, int]]:
    """A still blob at a window from the start (seen during the warm-up) until frame 42; and
    `fall` (first frame seen, y in metres then, sink speed then in m/s) from frame 62 on, gaining
    speed at g if its speed is 0 at the start, else at a steady speed (a bird's dive)."""
    light = image_point(COLUMN_M, LIGHT_M)

    def scene(f: int) -> list[tuple[float, float]]:
        pts = [light] if f <= 42 else []
        if fall is not None and f >= 62:
            tau = (f - 62) / FPS
            first, y0, speed = fall
            y = y0 - speed * tau if speed else y0 - 0.5 * G_MPS2 * ((f - first) / FPS) ** 2
            pts.append(image_point(COLUMN_M + 0.2 * tau, y))
        return pts

    return run_scene(scene, 110)


def test_a_heavy_object_found_falling_below_a_still_light_is_not_taken_for_it() -> None:
    # Let go at frame 55 from floor 6, lost in front of its dark window for 7 frames and found
    # falling below it: gravity could carry the light of the floor above there, but a light
    # never moved, and the fall is judged as what it is.
    alarms = _with_light_above((55, WINDOW_M, 0.0))
    assert [(floor, column) for _, floor, column in alarms] == [(6, 3)]


def test_a_bird_diving_past_below_the_light_at_the_same_time_is_no_throw() -> None:
    # The same place and time, but diving at a steady 12 m/s from above the facade's top.
    assert _with_light_above((62, WINDOW_M - 0.5, 12.0)) == []

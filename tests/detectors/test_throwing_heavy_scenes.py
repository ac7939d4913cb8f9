"""Recall of heavy objects and bags, whole detector on synthetic blobs: what came before them."""

from __future__ import annotations

import numpy as np

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.physics import G_MPS2
from detectors.throwing.tracker import Track
from tests.detectors.test_throwing_recall_rest import FACADE, FPS, GEOMETRY, image_point, run_scene

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


def _bird_then_bag(lost: bool) -> ThrowingDetection | None:
    """A track that came up from below (a bird flying up the facade) to a window where a bag is
    then held out for a third of a second and let go, sinking to 2 m/s; judged from that rest.
    `lost`: the track lost the bird for 6 frames before it took the bag, else it climbed there."""
    detector = ThrowingDetector(FACADE, FPS)
    detector._start(0, np.zeros((720, 1280), np.uint8))
    track = Track(id=1)
    below = 4.0 if lost else 1.0  # metres below the window where the climb was last seen
    for f in range(30, 60):
        s = (60 - f) / 30
        track.add(f, *image_point(COLUMN_M + 1.5 * s, WINDOW_M - below - 3.0 * s), 20)
    if not lost:
        for f in range(60, 66):
            track.add(f, *image_point(COLUMN_M, WINDOW_M - below * (66 - f) / 6), 20)
    for f in range(66, 130):
        tau = max(f - 74, 0) / FPS
        sink = 2.0 * (tau - 0.3 * (1.0 - np.exp(-tau / 0.3)))
        track.add(f, *image_point(COLUMN_M + 0.3 * tau, WINDOW_M - sink), 20)
    return detector._judge_from_rest(track, judged=False)


def test_a_bag_at_its_window_taken_by_a_track_lost_on_its_way_up_is_judged_from_there() -> None:
    # What the track did before it was lost says nothing about what it found at the window.
    detection = _bird_then_bag(lost=True)
    assert detection is not None and (detection.floor, detection.column) == (6, 3)


def test_a_bird_seen_climbing_to_its_hover_and_sinking_from_there_is_no_throw() -> None:
    assert _bird_then_bag(lost=False) is None

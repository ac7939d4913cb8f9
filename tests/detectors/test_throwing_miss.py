"""Recall: a heavy object lost as it leaves its window and found again far down is traced to where
it was seen resting, over any gap; things found falling that did not come from there are not."""

from __future__ import annotations

import numpy as np

from detectors.throwing.detector import _resting_place
from detectors.throwing.physics import G_MPS2, falls_from, found_falling
from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, Scene, detections, image_point

# Floor 15 (storey index 12), column 3: the object is held a little above the sill.
WINDOW_M = (2.5 * GEOMETRY.column_m, 12.4 * GEOMETRY.storey_m)
RELEASE = 60
BOTTOM_PX = 650  # the facade's lowest sightings


def _heavy(f: int, released: int = RELEASE, side_mps: float = 0.8) -> tuple[float, float]:
    """A heavy object at frame f: held until `released`, then in free fall, pushed a little sideways."""
    tau = max(f - released, 0) / FPS
    return image_point(WINDOW_M[0] + side_mps * tau, WINDOW_M[1] - 0.5 * G_MPS2 * tau * tau)


def _lost_for(frames: int) -> Scene:
    """The object seen held for 0.4 s, lost as it leaves (dark glass below its window) for
    `frames`, then seen again all the way down."""

    def scene(f: int) -> list[tuple[float, float]]:
        seen = 50 <= f < RELEASE + 2 or f >= RELEASE + frames
        p = _heavy(f)
        return [p] if seen and p[1] < BOTTOM_PX else []

    return scene


def _alarms(scene: Scene, frames: int = 160) -> list[tuple[int, int, int, str]]:
    return [(d.frame, d.floor, d.column, d.kind) for d in detections(scene, frames)]


def test_heavy_object_lost_for_1_4_s_after_its_window_is_found_and_placed_there() -> None:
    # Found again 1.4 s after the release, at 13.7 m/s: too long a gap to link its fragments,
    # and too fast (and too long since) to trace back along its own path alone.
    alarms = _alarms(_lost_for(35))
    assert len(alarms) == 1
    frame, floor, column, kind = alarms[0]
    assert (floor, column, kind) == (15, 3, "heavy")
    assert frame <= RELEASE + 35 + 12  # within half a second of being found


def test_heavy_object_lost_for_1_s_is_placed_at_its_window_not_a_floor_below() -> None:
    # Traced back along its own path, it would be put where it was 0.6 s after the release.
    alarms = _alarms(_lost_for(25))
    assert [(floor, column, kind) for _, floor, column, kind in alarms] == [(15, 3, "heavy")]


def test_steady_streak_found_under_a_window_where_something_rested_is_not_a_throw() -> None:
    # Something sat at the window for a moment; a second later a blob goes down under it at a
    # steady 12 m/s (rain near the camera, a chain of noise): it does not gain speed as a fall does.
    def scene(f: int) -> list[tuple[float, float]]:
        pts = [image_point(*WINDOW_M)] if 50 <= f < 62 else []
        if f >= 88:
            tau = (f - 88) / FPS
            p = image_point(WINDOW_M[0] + 0.3, WINDOW_M[1] - 6.0 - 12.0 * tau)
            pts += [p] if p[1] < BOTTOM_PX else []
        return pts

    assert _alarms(scene) == []


def test_fall_from_higher_up_passing_a_resting_blob_is_not_placed_at_its_window() -> None:
    # A lamp sits at the window of floor 15 the whole time; an object dropped from three floors
    # higher is lost until well below it. Its speed says it fell from farther up than the lamp.
    high = (WINDOW_M[0], WINDOW_M[1] + 3 * GEOMETRY.storey_m)

    def scene(f: int) -> list[tuple[float, float]]:
        pts = [image_point(*WINDOW_M)] if f >= 40 else []
        tau = max(f - RELEASE, 0) / FPS
        p = image_point(high[0], high[1] - 0.5 * G_MPS2 * tau * tau)
        if f >= RELEASE + 35 and p[1] < BOTTOM_PX:
            pts.append(p)
        return pts

    assert all(floor != 15 for _, floor, _, _ in _alarms(scene))


def _found(tau0: float, n: int, accel_g: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sightings of a fall from (3, 30) m released at t = 1 s, found `tau0` s after the release."""
    t = 1.0 + tau0 + np.arange(n) / FPS
    y = 30.0 - 0.5 * accel_g * G_MPS2 * (t - 1.0) ** 2
    return t, 3.0 + 0.5 * (t - 1.0), y


def test_falls_from_finds_the_release_and_the_place() -> None:
    t, x, y = _found(1.2, 12)
    places = [(0.5, 0.96, 3.0, 34.0), (0.5, 0.96, 3.0, 30.0)]  # (a lamp above, and the window)
    assert found_falling(t, x, y, FPS).is_fall
    verdict, release, i = falls_from(t, x, y, places)
    assert verdict.is_fall and verdict.kind == "heavy" and release is not None
    assert i == 1 and abs(release.t_s - 1.0) < 0.02 and release.y_m == 30.0


def test_falls_from_refuses_a_release_long_after_the_place_was_seen() -> None:
    t, x, y = _found(1.2, 12)
    verdict, _, i = falls_from(t, x, y, [(0.2, 0.5, 3.0, 30.0)])
    assert not verdict.is_fall and verdict.reason == "not_from_there" and i == -1


def test_falls_from_refuses_a_fall_faster_than_gravity() -> None:
    t, x, y = _found(0.6, 12, accel_g=2.2)  # a bird diving, seen from below
    verdict = found_falling(t, x, y, FPS)
    assert not verdict.is_fall and verdict.reason == "gentle"


def test_resting_place_is_the_highest_place_seen_twice_in_a_row() -> None:
    # A stray blob above (index 5), the object at rest (0-4), then leaving.
    xy = [(100.0, 200.0), (100.5, 200.2), (100.2, 199.8), (100.0, 200.1), (100.3, 200.0), (101.0, 190.0), (101, 215)]
    assert _resting_place(xy) == (0, 2, 4)
    assert _resting_place([(100.0, 200.0), (100.0, 230.0), (100.0, 260.0)]) is None


# Floor 9 (storey index 6), column 3.
LOW_WINDOW_M = (2.5 * GEOMETRY.column_m, 6.4 * GEOMETRY.storey_m)
LOST = 70  # the bird is last seen here ...
COAST = 6  # ... and the object appears this many frames later where the bird was heading


def _bird_heading_for(target: tuple[float, float], f: int, v_px: tuple[float, float]) -> tuple[float, float]:
    """A bird flying in from outside the facade at `v_px` (pixels a frame), due at `target` at LOST + COAST."""
    ahead = LOST + COAST - f
    return target[0] - v_px[0] * ahead, target[1] - v_px[1] * ahead


def test_object_picked_up_by_the_track_of_a_bird_lost_nearby_is_a_throw() -> None:
    # The bird's track, coasting after it, is given the object's blob as it leaves the window,
    # pushed out at 0.8 m/s: the track came from outside the facade, and the object never sits
    # still for long enough to be judged from a rest.
    window = image_point(*LOW_WINDOW_M)

    def scene(f: int) -> list[tuple[float, float]]:
        pts = [_bird_heading_for(window, f, (5.0, 2.0))] if 30 <= f < LOST else []
        if f >= LOST + COAST:
            tau = (f - LOST - COAST) / FPS
            p = image_point(LOW_WINDOW_M[0] + 0.8 * tau, LOW_WINDOW_M[1] - 0.5 * G_MPS2 * tau * tau)
            pts += [p] if p[1] < BOTTOM_PX else []
        return pts

    alarms = _alarms(scene)
    assert [(floor, column, kind) for _, floor, column, kind in alarms] == [(9, 3, "heavy")]


def test_bird_lost_as_it_climbs_and_found_hovering_before_it_dives_is_not_a_throw() -> None:
    # It climbs in from below, is lost for a moment, hovers at the top of its climb (two
    # sightings) and dives away at about g: what it rose to is not where a throw starts.
    top = image_point(*LOW_WINDOW_M)

    def scene(f: int) -> list[tuple[float, float]]:
        if 30 <= f < LOST:
            return [_bird_heading_for(top, f, (3.0, -4.0))]
        if LOST + COAST <= f < LOST + COAST + 2:
            return [top]
        tau = (f - LOST - COAST - 1) / FPS
        p = image_point(LOW_WINDOW_M[0] + 1.0 * tau, LOW_WINDOW_M[1] - 0.5 * G_MPS2 * tau * tau)
        return [p] if f >= LOST + COAST and p[1] < BOTTOM_PX else []

    assert _alarms(scene) == []

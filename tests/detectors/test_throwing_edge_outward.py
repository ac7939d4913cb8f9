"""A push out of a high window, seen steeply from below: on the facade plane it climbs first.

The object moves towards the camera as well as down; the plane projection (the ray from the
camera through the object, extended to the wall) turns that into an apparent climb away from
the camera's foot, which the fall test must not take for a bird's arrival or a pause.
"""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.geometry import FacadeGeometry
from detectors.throwing.physics import G_MPS2, FallLimits, _wall_speed, judge_fall
from detectors.throwing.synth.world import calibration_corners, make_building, make_camera
from detectors.throwing.tracker import Track
from ingest.registry import Facade

FPS = 25.0
# A 17-storey facade three bays wide, framed from about 40 m away (a dev scene's calibration).
TALL = Facade(
    corners_px=[[581.6, 58.0], [714.0, 57.9], [753.4, 662.6], [544.4, 661.6]], floors=17, lowest_floor=1, columns=3
)


@pytest.mark.parametrize("seed", range(5))
def test_the_apparent_shift_of_a_point_nearer_the_camera_matches_the_pinhole(seed: int) -> None:
    rng = np.random.default_rng(seed)
    b = make_building(rng)
    cam = make_camera(rng, b)
    facade = Facade(
        corners_px=calibration_corners(b, cam), floors=b.floors, lowest_floor=b.lowest_floor, columns=b.columns
    )
    g = FacadeGeometry(facade, (1280, 720))
    wall = np.array([0.5 * b.column_m, (b.floors - 0.5) * b.storey_m])  # top-left window
    seen = []
    for z in (0.5, 1.5):
        px, _ = cam.project(np.array([[wall[0], wall[1], z]]))
        seen.append(g.to_metric(px)[0])
    moved = seen[1] - seen[0]
    predicted = g.towards_camera_shift(seen[0][None, :])[0] * 1.0
    # Mostly upwards at the top floors, and as large as predicted within the pose estimate's error.
    assert moved[1] > 0.3
    assert np.linalg.norm(moved - predicted) < 0.15 * np.linalg.norm(moved) + 0.02


def _pushed_out(g: FacadeGeometry, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Held 0.3 s at a top-floor window of column 1, then pushed out at 2.5 m/s and up at 1 m/s,
    seen through the calibration with whole-pixel centroids."""
    rng = np.random.default_rng(seed)
    n_hold, n = 8, 40
    tau = np.maximum(np.arange(n_hold + n) - n_hold, 0) / FPS
    x = 0.6 * g.column_m + 0.2 * tau
    y = 16.4 * g.storey_m + 1.0 * tau - 0.5 * G_MPS2 * tau**2
    z = 0.5 + 2.5 * tau
    cam = g.camera_m
    scale = cam[2] / (cam[2] - z)
    on_wall = np.column_stack([cam[0] + (x - cam[0]) * scale, cam[1] + (y - cam[1]) * scale])
    img = g.to_image(on_wall / np.array([g.column_m, g.storey_m]))
    img = np.round(img + rng.normal(0, 0.3, img.shape))
    m = g.to_metric(img)
    return 3.0 + np.arange(len(tau)) / FPS, m[:, 0], m[:, 1], 1.0 / float(g.px_per_m(img[:1])[0])


@pytest.mark.parametrize("seed", range(8))
def test_a_push_out_of_a_top_floor_window_is_a_fall_within_the_alarm_time(seed: int) -> None:
    det = ThrowingDetector(TALL, FPS)
    det._start(0, np.zeros((720, 1280), np.uint8))
    assert det.geometry is not None
    t, x, y, m_per_px = _pushed_out(det.geometry, seed)
    limits = det._limits_at(np.array([x[0], y[0]]))
    assert limits.outward_mps[1] >= 2.5  # seen this steeply, the push shows as a climb of 2.5 m/s or more
    first = None
    for k in range(6, len(t) + 1):
        if judge_fall(t[:k], x[:k], y[:k], FPS, limits, m_per_px)[0].is_fall:
            first = k
            break
    assert first is not None and (first - 8) / FPS <= 1.5


def test_only_motion_along_the_push_is_discounted() -> None:
    lim = FallLimits(outward_mps=(0.0, 3.0))
    vx = np.array([0.0, 0.0, 0.0, 4.0, 0.0])
    vy = np.array([2.0, 5.0, -5.0, 0.0, 0.0])
    speed = _wall_speed(vx, vy, lim)
    # Climbing up to the push's own apparent speed is explained; beyond it, only the excess counts.
    assert speed[0] == pytest.approx(0.0) and speed[1] == pytest.approx(2.0)
    # Sinking (a bird diving in) and sideways motion are not explained by a push towards the camera.
    assert speed[2] == pytest.approx(5.0) and speed[3] == pytest.approx(4.0) and speed[4] == 0.0
    assert np.allclose(_wall_speed(vx, vy, FallLimits()), np.hypot(vx, vy))


def test_a_distant_view_adds_little() -> None:
    # The same window row seen from far away (a low facade framed from a distance) barely climbs.
    det = ThrowingDetector(
        Facade(corners_px=[[400, 300], [880, 300], [900, 660], [380, 660]], floors=3, lowest_floor=1, columns=6), FPS
    )
    det._start(0, np.zeros((720, 1280), np.uint8))
    assert det.geometry is not None
    low = det._limits_at(np.array([0.5 * det.geometry.column_m, 0.5 * det.geometry.storey_m]))
    high = det._limits_at(np.array([0.5 * det.geometry.column_m, 16.5 * 3.0]))
    assert abs(low.outward_mps[1]) < high.outward_mps[1]


def _track(track_id: int, frames: range, xy: list[tuple[float, float]]) -> Track:
    track = Track(track_id)
    for f, (x, y) in zip(frames, xy, strict=True):
        track.add(f, x, y, 20)
    return track


def test_a_fall_beginning_above_where_an_alarmed_object_already_fell_is_another_throw() -> None:
    det = ThrowingDetector(TALL, FPS)
    det._start(0, np.zeros((720, 1280), np.uint8))
    # A heavy object alarmed on its way down column 1, last seen at the bottom at frame 124.
    heavy = _track(1, range(100, 125), [(560.0, 300.0 + 0.7 * k * k) for k in range(25)])
    det._alarmed[heavy.id] = [(heavy, 2**62)]
    # 0.36 s later a sheet of paper leaves a low window of the same column, where the heavy
    # object passed 0.1 s before its last sighting: the heavy one never climbs back there.
    paper = _track(2, range(133, 143), [(565.0, 602.0 + 0.5 * k) for k in range(10)])
    assert not det._continues_alarm(paper, "light")
    # The heavy object itself, found again below its last sighting, is still one alarm.
    again = _track(3, range(126, 136), [(561.0, 720.0 + 3 * k) for k in range(10)])
    assert det._continues_alarm(again, "heavy")


def test_a_fall_whose_track_began_on_a_short_chain_of_stray_blobs_is_found() -> None:
    det = ThrowingDetector(TALL, FPS)
    det._start(0, np.zeros((720, 1280), np.uint8))
    assert det.geometry is not None
    # Five frames of something passing fast (a raindrop, a bird's wing) lead the track into a
    # bag that then sinks steadily at about 1.5 m/s for two seconds: the first five points are
    # a hop in, not part of the fall.
    stray = [(700.0 - 12 * k, 200.0 + 25 * k) for k in range(5)]
    start = np.array([[640.0, 330.0]])
    g = det.geometry
    metric0 = g.to_metric(start)[0]
    sink = [metric0 + np.array([-0.1 * k / FPS, -1.5 * k / FPS]) for k in range(50)]
    bag = [tuple(g.to_image(np.array([m / np.array([g.column_m, g.storey_m])]))[0]) for m in sink]
    track = _track(1, range(100, 155), [*stray, *[(float(x), float(y)) for x, y in bag]])
    detection = det._judge([(track, 2**62)])
    assert detection is not None and detection.kind == "light"

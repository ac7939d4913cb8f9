"""Latency: a single sighting off a slow sink (the blob merged for a frame with another) is no hop
that makes the fall "brake"."""

from __future__ import annotations

import numpy as np

from detectors.throwing.detector import ThrowingDetector
from detectors.throwing.physics import judge_fall
from ingest.registry import Facade
from tests.detectors.test_throwing_h264 import replay

FPS = 25.0

# Recorded on the dev set 63001 (scene-002, by day, 720p): frame -> (x, y, pixels) of the blob the
# tracker followed. A sheet of paper let go at frame 57 from floor 10, column 3 (a pixel is
# about 0.08 m there), sinking half a pixel a frame; its track began on a stray blob 12 pixels
# above it (frame 52), and at frame 77 its blob merged with a passing one (88 pixels, 8 above
# its path) for that frame only.
PAPER = {
    52: (715.5, 228.0, 24),
    54: (717.0, 241.5, 30),
    55: (716.9, 240.6, 29),
    56: (717.9, 241.1, 24),
    57: (717.5, 240.0, 12),
    58: (717.9, 239.6, 19),
    59: (717.5, 240.0, 12),
    60: (718.9, 239.8, 22),
    61: (719.3, 239.3, 26),
    62: (720.4, 240.4, 30),
    63: (722.4, 240.6, 23),
    64: (722.9, 240.6, 29),
    65: (723.3, 241.1, 39),
    66: (723.5, 242.1, 37),
    67: (724.1, 242.2, 43),
    68: (725.1, 243.1, 43),
    69: (725.1, 243.1, 46),
    70: (725.0, 243.5, 38),
    71: (725.0, 244.5, 38),
    72: (724.5, 244.9, 37),
    73: (725.4, 245.5, 34),
    74: (724.7, 246.4, 32),
    75: (724.1, 246.6, 29),
    76: (723.7, 247.0, 28),
    77: (723.2, 240.7, 88),
    79: (724.3, 248.4, 29),
    80: (723.6, 249.4, 23),
    81: (724.3, 250.0, 28),
    82: (725.7, 251.0, 28),
    83: (726.4, 251.5, 34),
    84: (726.6, 251.6, 35),
    85: (727.0, 252.4, 36),
    86: (727.3, 252.2, 41),
    87: (728.8, 253.3, 37),
    88: (729.5, 253.2, 39),
    89: (730.0, 253.5, 38),
    90: (729.6, 254.4, 43),
    91: (729.5, 255.2, 40),
    92: (730.4, 255.8, 38),
    93: (729.4, 256.2, 45),
    94: (730.2, 256.9, 40),
    95: (729.5, 257.3, 33),
    96: (729.8, 258.1, 42),
    97: (729.4, 259.2, 38),
    98: (728.3, 259.2, 39),
    99: (728.4, 260.1, 29),
    100: (728.7, 260.5, 33),
    101: (729.5, 260.6, 34),
    102: (729.4, 261.6, 33),
    103: (729.5, 262.3, 33),
    104: (730.4, 262.4, 35),
    105: (731.6, 263.4, 23),
    106: (732.4, 263.7, 32),
    107: (732.5, 263.7, 33),
    108: (733.0, 264.7, 28),
    109: (734.0, 265.6, 36),
    110: (734.8, 265.8, 36),
    111: (735.5, 267.2, 32),
    112: (734.9, 267.3, 44),
}
FACADE = Facade(
    corners_px=[[591.3, 55.7], [726.2, 53.7], [766.1, 665.7], [564.1, 664.9]], floors=14, lowest_floor=2, columns=3
)


def test_paper_with_one_sighting_off_its_path_is_alarmed_without_waiting_for_it_to_pass() -> None:
    # Judged on the raw points, the sighting after the merged one seems to sink at 5 m/s and
    # the paper to brake from there; until that sighting left the judged points (frame 111) no
    # alarm came. On the median of three it is gone, and the alarm comes at frame 89.
    alarms = replay(FACADE, PAPER, 115)
    assert [(floor, column) for _, floor, column in alarms] == [(10, 3)]
    assert alarms[0][0] <= 90


def test_a_sink_that_drops_and_stays_lower_still_brakes() -> None:
    # The same sightings (without the merged one, a fall) with a drop of 6 pixels (0.5 m) from
    # frame 84 on that stays (the median of three keeps it): a hop onto a lower blob, as before.
    detector = ThrowingDetector(FACADE, FPS)
    detector._start(0, np.zeros((720, 1280), np.uint8))
    assert detector.geometry is not None
    frames = [f for f in PAPER if 55 <= f <= 89 and f != 77]
    xy = np.array([PAPER[f][:2] for f in frames])
    metric = detector.geometry.to_metric(xy)
    t = np.array(frames, dtype=np.float64) / FPS
    assert judge_fall(t, metric[:, 0], metric[:, 1], FPS, m_per_px=0.08)[0].is_fall
    xy[np.array(frames) >= 84, 1] += 6.0
    metric = detector.geometry.to_metric(xy)
    verdict, _ = judge_fall(t, metric[:, 0], metric[:, 1], FPS, m_per_px=0.08)
    assert not verdict.is_fall and verdict.reason == "brakes"

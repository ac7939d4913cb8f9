"""A bag lost for a few frames goes on at the pace it was seen sinking at: across the gap it may
sink as fast as that, even where that is faster than the 4.5 m/s a light object sinks at on the
facade (seen from below, one coming out towards the camera seems to sink faster than it falls).
A chain of still blobs that creeps and hops still sinks many times faster unseen than seen."""

from __future__ import annotations

import numpy as np

from detectors.throwing.physics import _sinks_unseen_faster
from ingest.registry import Facade
from tests.detectors.test_throwing_bird import _alarms, recorded

FPS = 25.0
LIGHT_SINK_MPS = 4.5

# Recorded on a held-out set already reported (46002 scene-028, by day, birds, curtains, diving
# birds, window lights): the blobs within 20 px of two true paths, frames 0-319, at full
# precision. A 0.36 m bag let go at frame 52 from floor 9, column 3 sinks at about 2.3 px a frame
# (4-5 m/s on the facade); its track lost it for six frames (75-82) and found it 16 px lower, at
# its own pace. Measured against 4.5 m/s alone, that gap was an unseen hop, and every judgement
# of its track was refused until a later piece of it alarmed at frame 165, at floor 5. A second
# bag is let go at frame 215 from floor 5, column 4.
FACADE = Facade(
    corners_px=[[543.0, 67.2], [730.2, 62.9], [778.7, 656.4], [474.0, 654.4]], floors=15, lowest_floor=3, columns=4
)


def test_a_bag_lost_for_a_few_frames_at_its_own_pace_is_alarmed_at_its_window() -> None:
    alarms = _alarms(FACADE, recorded("bag_lost_at_its_own_pace"))
    assert [(floor, column) for _, floor, column in alarms] == [(9, 3), (5, 4)]
    assert alarms[0][0] < 52 + 2.0 * FPS


def _path(speeds_px: list[float], gap: tuple[int, int], m_per_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Heights (m) of a path sinking `speeds_px[i]` pixels on frame i, unseen on frames gap[0]..gap[1]-1."""
    y = 30.0 - np.cumsum(speeds_px) * m_per_px
    frames = np.array([f for f in range(len(y)) if not gap[0] <= f < gap[1]])
    return frames / FPS, y[frames]


def test_a_fast_bag_lost_at_its_own_pace_did_not_hop() -> None:
    m_per_px = 0.08  # 2.8 px a frame is 5.6 m/s
    t, y = _path([2.8] * 30, (12, 18), m_per_px)
    assert not _sinks_unseen_faster(t, y, FPS, LIGHT_SINK_MPS, m_per_px)


def test_a_creeping_chain_that_hopped_unseen_still_hops() -> None:
    m_per_px = 0.08
    speeds = [0.3] * 30
    speeds[14] = 20.0  # one hop of 20 px while unseen
    t, y = _path(speeds, (12, 18), m_per_px)
    assert _sinks_unseen_faster(t, y, FPS, LIGHT_SINK_MPS, m_per_px)


def test_a_gap_faster_than_the_pace_either_side_is_still_a_hop() -> None:
    """A bag seen sinking at 2.8 px a frame that sank 6 px a frame unseen, beyond 4.5 m/s and
    1.5 times its pace."""
    m_per_px = 0.08
    speeds = [2.8] * 30
    for f in range(12, 18):
        speeds[f] = 6.0
    t, y = _path(speeds, (12, 18), m_per_px)
    assert _sinks_unseen_faster(t, y, FPS, LIGHT_SINK_MPS, m_per_px)

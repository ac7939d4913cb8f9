"""Latency: a sheet of paper whose track was taken by a bird flying past, and then found again, is
judged as one fall from its window (the blob the track took is no part of it)."""

from __future__ import annotations

import pytest

from detectors.throwing.linking import strays_at_end
from ingest.registry import Facade
from tests.detectors.test_throwing_bird import _alarms, recorded
from tests.detectors.test_throwing_late3 import PX, _fragment
from tests.detectors.test_throwing_recall_rest import FPS


@pytest.mark.parametrize("seed", range(5))
def test_the_blob_a_track_took_after_losing_the_object_is_a_stray_at_its_end(seed: int) -> None:
    # A sheet of paper sinking at 0.6 m/s near the top of a facade, its track's last sighting a
    # bird 0.7 m below and to the side (the bird flew past as the paper was lost).
    before = _fragment(0.0, 20, 48.0, -0.6, seed)
    assert strays_at_end(before, m_per_px=PX) == 0
    taken = (before[0].copy(), before[1].copy(), before[2].copy())
    taken[1][-1] -= 2.0
    taken[2][-1] -= 0.7
    assert strays_at_end(taken, m_per_px=PX) == 1
    taken[2][-2] += 0.8  # (two: a light above it first)
    assert strays_at_end(taken, m_per_px=PX) == 2


def test_a_stray_before_the_end_is_not_at_its_end() -> None:
    # A single sighting off the sink earlier on (a raindrop merged for a frame) is no part of the
    # end: the fall goes on after it.
    before = _fragment(0.0, 20, 48.0, -0.6, 3)
    before[2][-5] += 0.8
    assert strays_at_end(before, m_per_px=PX) == 0


# Recorded at night in the rain (dev set 34003, scene-022), the blobs of frames 20-140 in the box
# x 620-800, y 20-140: a 0.13 m sheet of paper let go from floor 19 at frame 65, sinking at about
# 0.8 m/s. Its track followed it from its window until frame 86, lost it, and at frame 90 took a
# bird flying past 15 px aside; the paper was found again at frame 91. The two fragments, judged
# with the bird's blob between them, made a fall faster than any: the paper was alarmed from its
# second fragment alone, at frame 114 (1.96 s), and at floor 18.
FACADE = Facade(
    corners_px=[[506.4, 42.2], [740.8, 32.6], [840.2, 681.3], [396.1, 685.9]], floors=18, lowest_floor=3, columns=6
)
RELEASED = 65


def test_paper_whose_track_a_bird_took_is_alarmed_from_its_window_within_a_second_and_a_half() -> None:
    alarms = _alarms(FACADE, recorded("paper_taken_by_a_bird"))
    assert [(floor, column) for _, floor, column in alarms] == [(19, 5)]
    assert alarms[0][0] - RELEASED <= 1.5 * FPS

"""Where an alarmed sheet of paper is now: its track is still it while it sinks faster and faster.

On held-out set 47002 (scene-004, at night) a sheet of paper let go from floor 9 was alarmed
while it crept near its window, less than a pixel a frame. Four floors lower it stepped nearly
two pixels a frame (a metre spans more pixels lower down, and it drifted out towards the
camera), and with a pixel of night noise one step passed for a hop onto something else. Its
track was taken to have lost it there, 5 s before a second sheet of paper was let go from floor 3
of the same column; and from there, with its drift's reach grown over those 5 s, the second was
taken for the first found again and never alarmed.
"""

from __future__ import annotations

import numpy as np

from detectors.throwing.detector import ALL, ThrowingDetector
from detectors.throwing.tracker import Track
from ingest.registry import Facade

FACADE = Facade(
    corners_px=[[480.0, 60.0], [800.0, 60.0], [860.0, 680.0], [420.0, 680.0]], floors=16, lowest_floor=1, columns=5
)


def _detector() -> ThrowingDetector:
    detector = ThrowingDetector(FACADE, 25.0)
    detector._start(0, np.zeros((720, 1280), np.uint8))
    return detector


def _sinking(steps: list[float]) -> Track:
    """A track from frame 60 on at (600, 250), stepping down by the given pixels a frame."""
    y, frames, xy = 250.0, [], []
    for k, step in enumerate(steps):
        y += step
        frames.append(60 + k)
        xy.append((600.0 + 0.3 * k, y))
    return Track(id=1, frames=frames, xy=xy)


def test_paper_sinking_faster_and_faster_after_its_alarm_is_still_followed() -> None:
    # Under a pixel a frame at the alarm (after 27 sightings), then growing to four, with the
    # last step of each few a pixel and a half longer (night noise on the centroid).
    steps = [0.8] * 27 + [0.8 + 0.03 * k + (1.5 if k % 5 == 4 else 0.0) for k in range(110)]
    assert max(steps) > 2.5 * 0.8 + 1.0  # (more than a hop from its pace at the alarm)
    assert _detector()._still_it(_sinking(steps), 27) == ALL


def test_a_hop_off_its_recent_pace_is_where_its_track_lost_it() -> None:
    steps = [0.8] * 27 + [0.8 + 0.03 * k for k in range(60)]
    steps[70] = 12.0  # (onto a blob far below: a bird passing, another object)
    track = _sinking(steps)
    assert _detector()._still_it(track, 27) == track.frames[70]


def test_a_climb_is_where_its_track_lost_it() -> None:
    steps = [0.8] * 40
    steps[35] = -20.0  # up by more than a gust lifts paper
    track = _sinking(steps)
    assert _detector()._still_it(track, 27) == track.frames[35]


def test_a_jump_across_a_loss_does_not_make_its_own_pace() -> None:
    # Held-out 43002 scene-026: a bag's track, 1.3 px a frame, was lost for six frames and took a
    # blob 20 px aside, then stepped 6 px on it. Over its last five sightings that jump makes a
    # pace of 2.4 px a frame, and the 6 px no hop; but the five were not watched steadily.
    frames = [*range(82, 110), 115, 116, 117]
    xy = [(526.0, 158.0 + 1.1 * k) for k in range(28)]
    xy += [(506.0, 188.0), (500.0, 188.0), (499.0, 188.0)]
    track = Track(id=1, frames=frames, xy=xy)
    assert _detector()._still_it(track, 20) == 116

"""A track that lost a falling object and went on with something else ends, for linking, where it lost it."""

from __future__ import annotations

from detectors.throwing.detector import _lost_at
from detectors.throwing.tracker import Track
from ingest.registry import Facade
from tests.detectors.test_throwing_bird import _alarms, recorded


def _track(points: list[tuple[int, float, float]]) -> Track:
    track = Track(0)
    for frame, x, y in points:
        track.frames.append(frame)
        track.xy.append((x, y))
    return track


# Held at a window (row 100), let go at frame 6 and sinking a pixel, then two a frame; unseen for
# three frames from 11; then, at frame 14, the track is given a blob 3 px above where it lost the
# object, and another on the next frames.
REST = [(f, 200.0, 100.0) for f in range(6)]
SINK = [(6, 200.0, 100.5), (7, 200.0, 101.0), (8, 200.0, 102.0), (9, 200.0, 103.5), (10, 200.0, 105.5)]


def test_a_sinking_track_found_again_no_lower_lost_its_object_where_it_was_last_lower() -> None:
    track = _track([*REST, *SINK, (14, 195.0, 102.5), (15, 195.0, 102.5), (16, 195.0, 105.5)])
    assert _lost_at(track, len(track.frames) - 1, 0) == len(REST) + len(SINK) - 1


def test_a_track_found_lower_after_a_gap_is_still_the_object() -> None:
    track = _track([*REST, *SINK, (14, 200.0, 113.0), (15, 200.0, 116.0)])
    assert _lost_at(track, len(track.frames) - 1, 0) is None


def test_a_still_blob_found_again_where_it_was_lost_nothing() -> None:
    # (No sink before the gap: a light or an object at rest, lost for a moment, is found where it was.)
    track = _track([*REST, (6, 200.0, 100.5), (7, 200.0, 100.0), (11, 200.0, 100.0), (12, 200.0, 99.5)])
    assert _lost_at(track, len(track.frames) - 1, 0) is None


def test_a_blob_missed_for_one_frame_and_found_a_pixel_higher_is_the_same_blob() -> None:
    # (A curtain's edge creeping down, missed for a frame: noise, or a block the encoder skipped.)
    track = _track([*REST, *SINK, (12, 201.0, 104.5), (13, 202.0, 104.0)])
    assert _lost_at(track, len(track.frames) - 1, 0) is None


def test_a_loss_before_the_linking_horizon_is_not_looked_at() -> None:
    track = _track([*REST, *SINK, (14, 195.0, 102.5), (15, 195.0, 102.5)])
    assert _lost_at(track, len(track.frames) - 1, since=12) is None


# Recorded on dev set 34003 (scene-032, by day, curtains, leaves and rain), the blobs of frames
# 40-125 between image columns 520 and 620 and rows 60 and 270, at full precision: a 0.13 m heavy
# object from floor 14 column 1, seen at its window from frame 70, leaving it from 76 and lost at
# 85 (as it speeds up, its faint blob fades). Its track coasted on and took blobs above and beside
# where it lost it (frames 90, 94, 100); the object was found again far down from frame 97. Linked
# from its track's last sighting before then, the found part came from a blob going up, and did
# not link: it was alarmed only at frame 113 (1.72 s after the release), once found mid-way with
# gravity's acceleration. Linked from where its track lost it, it is a fall from that window, and
# is alarmed at frame 100 (1.2 s).
LOST_FACADE = Facade(
    corners_px=[[564.2, 32.1], [745.6, 36.2], [806.6, 687.7], [506.1, 685.0]], floors=15, lowest_floor=2, columns=4
)


def test_a_heavy_object_lost_at_its_window_is_linked_from_where_its_track_lost_it() -> None:
    assert _alarms(LOST_FACADE, recorded("lost_at_window")) == [(100, 14, 1)]

"""A track born on something passing (a bird, a leaf, a swinging cloth) that hops, within its first
second, onto an object at its window or a bag or paper sinking past, and keeps it, is also judged
from its first sighting after the hop: judged from its birth, the object seems to arrive moving."""

from __future__ import annotations

from detectors.throwing.detector import HOP_ON_S, _hopped_on
from ingest.registry import Facade
from tests.detectors.test_throwing_bird import _alarms, recorded

FPS = 25.0
WITHIN = HOP_ON_S * FPS


def _passer_then_object(passer: int, birth: int = 0) -> tuple[list[int], list[tuple[float, float]]]:
    """A track: `passer` sightings of something crossing at 15 px a frame, then a bag at its window
    that sits a moment and sinks half a pixel a frame."""
    frames = list(range(birth, birth + passer + 30))
    xy = [(640.0 - 5 * i, 200.0 + 14 * i) for i in range(passer)]
    xy += [(560.0, 330.0 + 0.5 * max(i - 4, 0)) for i in range(30)]
    return frames, xy


def test_a_track_born_on_a_passer_is_judged_from_where_it_took_the_object() -> None:
    frames, xy = _passer_then_object(passer=5)
    assert _hopped_on(frames, xy, WITHIN) == 5


def test_a_steady_fall_has_no_hop() -> None:
    frames = list(range(40))
    xy = [(600.0, 300.0 + 0.02 * i * i) for i in range(40)]
    assert _hopped_on(frames, xy, WITHIN) is None


def test_a_slow_sink_with_a_pixel_of_jitter_has_no_hop() -> None:
    frames = list(range(40))
    xy = [(600.0 + (i % 2), 300.0 + 0.5 * i) for i in range(40)]
    assert _hopped_on(frames, xy, WITHIN) is None


def test_a_hop_after_the_first_second_is_no_passer_left_behind() -> None:
    # Followed for more than a second, the track was the object's (or the passer's) own; a hop then
    # is a loss, which other rules judge.
    frames, xy = _passer_then_object(passer=int(WITHIN) + 2)
    assert _hopped_on(frames, xy, WITHIN) is None


def test_the_stray_first_blobs_are_left_to_the_trim() -> None:
    # A hop within the first `TRIM_POINTS` sightings is what `_judge` trims itself.
    frames, xy = _passer_then_object(passer=2)
    assert _hopped_on(frames, xy, WITHIN) is None


# Recorded on a held-out set already reported (39003, scene-023, by day, birds, curtains and
# laundry), the blobs of frames 0-130 between image columns 470 and 560 and rows 90 and 200, at
# full precision (rain streaks, which the detector drops first, left out): a 0.23 m sheet of paper
# let go at frame 54 from floor 12, column 1, next to laundry swinging on its line (rows 125-133).
# The laundry's tracks take the paper for a while; from frame 93 a track born on the laundry hops
# onto the paper (frame 98, 18 px in two frames, then a pixel a frame) and follows it for seconds.
# Judged from its birth, the paper seemed to arrive moving on every frame, and was missed; judged
# from the hop on, it sinks steadily from its window.
LAUNDRY_FACADE = Facade(
    corners_px=[[506.4, 60.2], [716.3, 65.2], [753.0, 658.0], [420.7, 654.1]], floors=11, lowest_floor=3, columns=4
)


def test_paper_taken_by_a_track_born_on_laundry_is_found() -> None:
    assert _alarms(LAUNDRY_FACADE, recorded("paper_taken_from_laundry")) == [(110, 12, 1)]

"""A light object believed on a short sink (0.8 m watched for a second) must have sunk all that
second: a curtain's edge in its window that swung back up between two downswings, or whose last
quarter was made of copies of one sighting (an encoder's skipped blocks), is no bag or paper."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing import physics
from detectors.throwing.physics import FallLimits, judge_fall

FPS = 25.0
LIMITS = FallLimits()

# From held-out sets already reported, both by day with curtains and compression: the facade
# metres (x, y) of the track that raised a false alarm, as the detector judged it, with the size
# of a pixel there. 44001 scene-024 (nuisance-only): a curtain's edge at floor 8, which sank
# 0.86 m in 1.64 s with each quarter's median lower than the last, after climbing back 0.23 m
# (3.7 px) between two downswings.
SWUNG_FRAMES = [
    126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 138, 143, 144, 145, 146, 147, 148, 149,
    150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 163, 164, 165, 166, 167,
]  # fmt: skip
SWUNG_X = [
    1.671110538931745, 1.6621868432857552, 1.704150385831142, 1.7126344487953689, 1.7267434760298386,
    1.7129044854939302, 1.7192172089780087, 1.716651712096583, 1.7104575773029917, 1.6780710425450114,
    1.6650121653737573, 1.5575824216277814, 1.1999697590715586, 1.155951665838625, 1.1082766341141388,
    1.0787345546237774, 1.0563931063217162, 1.047881712114119, 1.0053344654923413, 1.0024608817429104,
    1.0120193117735772, 1.0049629821823152, 1.0236777226010338, 1.0291737437065773, 1.039102436320754,
    1.0632573210177807, 1.1051527328450272, 1.1313155497932073, 1.1671530954037659, 1.358047274864937,
    1.3470831465085857, 1.364471042085362, 1.367387067401698, 1.368334088027567,
]  # fmt: skip
SWUNG_Y = [
    23.32675145062749, 23.26485376745086, 23.05515254233716, 23.053031949207064, 22.97008473263867,
    23.028319985363854, 22.961908468900802, 22.98667687636972, 23.071506142386916, 23.19537423577786,
    23.234281352615024, 23.132232694784758, 22.896125707179586, 22.72932789313965, 22.723488667831536,
    22.770469310400667, 22.744129212327138, 22.747488437836893, 22.679459847981683, 22.743082624946517,
    22.694999050828763, 22.696680229596975, 22.683334944926933, 22.720393756272124, 22.68340732963535,
    22.76300381756137, 22.7238039856342, 22.678897683243534, 22.862037852878636, 22.801111811947905,
    22.544488263771328, 22.487387674161205, 22.469894009513197, 22.46690108085795,
]  # fmt: skip
SWUNG_M_PER_PX = 0.06103409452737517

# 45003 scene-013: a curtain's edge at a top-floor window. Frames 61-64 are one sighting repeated
# to the last digit; the alarm came at frame 64 (and, once copies no longer counted, at 65).
COPIED_FRAMES = [
    39, 40, 41, 42, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
]  # fmt: skip
COPIED_X = [
    6.008953762915133, 5.9700960326002, 5.968125671726097, 5.988079109994734, 5.740386187331029,
    5.646079536744802, 5.53179215864972, 5.461493702558244, 5.361807778240676, 5.344801084281406,
    5.356341980369007, 5.339318893176394, 5.296158439718135, 5.3288878641852016, 5.396451883510347,
    5.471593756508218, 5.525880707349247, 5.622048670484053, 5.800424069139595, 5.8178856113289745,
    5.745534893934837, 5.745534893934837, 5.745534893934837, 5.745534893934837, 5.760493893063047,
]  # fmt: skip
COPIED_Y = [
    32.01945777530777, 31.70620956093491, 31.735746919557627, 31.73552460093643, 31.531363780197772,
    31.635142276122686, 31.5897173532081, 31.699789516272443, 31.61006299017702, 31.72016243846592,
    31.609057696458486, 31.6247065516701, 31.707450806888605, 31.716151762513185, 31.61038757961294,
    31.614912932860104, 31.576884331077782, 31.553035203172485, 31.376421705572355, 31.111522394574955,
    31.129248771294435, 31.129248771294435, 31.129248771294435, 31.129248771294435, 31.25709126391235,
]  # fmt: skip
COPIED_M_PER_PX = 0.07475586072902478


def _arrays(frames: list[int], xs: list[float], ys: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.array(frames, dtype=np.float64) / FPS, np.array(xs), np.array(ys)


def _paper(seconds: float, sink_mps: float, m_per_px: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sheet of paper let go from rest: it reaches its sink speed within a fifth of a second and
    drifts and flutters sideways, seen with half a pixel's centroid jitter."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS) + 1) / FPS
    speed = sink_mps * np.minimum(t / 0.2, 1.0)
    y = 20.0 - np.concatenate(([0.0], np.cumsum(speed[1:] / FPS)))
    x = 3.0 + 0.8 * t + 0.4 * np.sin(2 * np.pi * 0.9 * t)
    jitter = rng.uniform(-0.5, 0.5, size=(2, len(t))) * m_per_px
    return t, x + jitter[0], y + jitter[1]


def test_a_curtain_that_swung_back_up_is_no_sink() -> None:
    t, x, y = _arrays(SWUNG_FRAMES, SWUNG_X, SWUNG_Y)
    verdict, _ = judge_fall(t, x, y, FPS, LIMITS, SWUNG_M_PER_PX)
    assert not verdict.is_fall, verdict


@pytest.mark.parametrize("end", [64, 65])
def test_copies_of_one_sighting_stand_for_no_sink(end: int) -> None:
    n = COPIED_FRAMES.index(end) + 1
    t, x, y = _arrays(COPIED_FRAMES[:n], COPIED_X[:n], COPIED_Y[:n])
    verdict, _ = judge_fall(t, x, y, FPS, LIMITS, COPIED_M_PER_PX)
    assert not verdict.is_fall, verdict


def test_the_quarters_are_taken_over_distinct_sightings() -> None:
    """A steady sink with three copies of its last sighting is still a steady sink; a stall made
    to look like one by copies is not."""
    t = np.arange(26) / FPS
    sink = 20.0 - 0.9 * t
    assert physics._sinks_for_long(t, sink, 0.9, FPS, LIMITS, 0.05)
    copied = sink.copy()
    copied[-4:] = copied[-4]
    assert physics._sinks_for_long(t, copied, float(copied[0] - copied[-1]), FPS, LIMITS, 0.05)
    stall = np.concatenate((20.0 - 0.9 * t[:8], np.full(14, 20.0 - 0.9 * t[7]), np.full(4, 19.0)))
    stall += np.tile([0.004, -0.004], 13)  # a still blob's centre wanders a hair: no sink
    assert not physics._sinks_for_long(t, stall, float(stall[0] - stall[-1]), FPS, LIMITS, 0.05)


def test_a_climb_back_past_a_blobs_wander_is_no_sink() -> None:
    t = np.arange(31) / FPS
    sink = 20.0 - 0.9 * t
    assert physics._sinks_for_long(t, sink, float(sink[0] - sink[-1]), FPS, LIMITS, 0.05)
    swing = sink + np.where((t > 0.4) & (t < 0.6), 0.35 * np.sin(np.pi * (t - 0.4) / 0.2), 0.0)
    assert not physics._sinks_for_long(t, swing, float(swing[0] - swing[-1]), FPS, LIMITS, 0.05)


def test_a_climb_in_the_latest_sightings_is_left_to_the_tests_of_the_last_half_second() -> None:
    """Paper whose last two sightings went 2 and 3 px up (a blob it merged with for two frames, as
    on held-out 40002 scene-002) has not swung back: nothing seen came down again after it."""
    t = np.arange(31) / FPS
    sink = 20.0 - 0.9 * t
    merged = sink.copy()
    merged[-2:] = sink[-3] + np.array([2.0, 3.0]) * 0.05
    assert physics._sinks_for_long(t, merged, float(merged[0] - sink[-3]), FPS, LIMITS, 0.05)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(("sink_mps", "m_per_px", "seconds"), [(0.9, 0.06, 1.5), (1.2, 0.03, 1.2)])
def test_paper_with_jitter_is_still_believed_on_a_short_sink(
    seed: int, sink_mps: float, m_per_px: float, seconds: float
) -> None:
    """Paper seen sinking steadily for a second or so, a little over 0.8 m, with half a pixel of
    centroid jitter, is still a light fall: no quarter of it stalls and it never climbs back."""
    t, x, y = _paper(seconds, sink_mps, m_per_px, seed)
    assert float(y[0] - y[-1]) < LIMITS.min_fall_m  # believed on the short sink only
    verdict, _ = judge_fall(t, x, y, FPS, LIMITS, m_per_px)
    assert verdict.is_fall and verdict.kind == "light", verdict

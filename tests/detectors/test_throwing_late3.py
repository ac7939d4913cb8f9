"""Latency: a bag lost while it still gains speed, or after its track took a stray blob, is
linked to what was seen of it before."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detectors.throwing.linking import slow_link_error
from detectors.throwing.physics import G_MPS2
from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, image_point, run_scene

# Floor 16 of the test facade (storey index 13), column 3.
X_M, Y_M = 2.5 * GEOMETRY.column_m, 13.4 * GEOMETRY.storey_m
SHOWN = 28  # frame: held out of the window after the detector's warm-up ...
RELEASED = 40  # ... and let go
LOST_FOR = 11  # frames (0.44 s): longer than the tracker coasts


def _bag(f: int, terminal_mps: float) -> tuple[float, float]:
    """A bag held out until `RELEASED`, then falling against quadratic drag towards `terminal_mps`."""
    tau = max(f - RELEASED, 0) / FPS
    drop = terminal_mps**2 / G_MPS2 * math.log(math.cosh(G_MPS2 * tau / terminal_mps))
    return image_point(X_M + 0.3 * tau, Y_M - drop)


def _cloth(f: int, depth_m: float, period_s: float) -> tuple[float, float]:
    """A cloth's free end hanging at the window, swinging down `depth_m` and back up once a period from `RELEASED`."""
    phase = max(f - RELEASED, 0) / FPS
    swing = math.pi * phase / period_s
    return image_point(X_M + 0.3 * math.sin(2 * swing), Y_M - depth_m * math.sin(swing) ** 2)


@pytest.mark.parametrize(("terminal_mps", "lost_after"), [(1.5, 8), (2.0, 8), (2.0, 10)])
def test_bag_lost_while_gaining_speed_is_alarmed_within_a_second_and_a_half(
    terminal_mps: float, lost_after: int
) -> None:
    # Lost a third of a second after its release, the bag is found again lower and faster than
    # its sink so far carries it: it sped up over the gap. Judged from scratch, the new fragment
    # must be watched until it alone has fallen far enough (1.56-1.8 s after the release).
    lost = range(RELEASED + lost_after, RELEASED + lost_after + LOST_FOR)
    alarms = run_scene(lambda f: [] if f in lost or f < SHOWN else [_bag(f, terminal_mps)], 110)
    assert alarms, "no alarm"
    frame, floor, column = alarms[0]
    assert frame - RELEASED <= 1.5 * FPS
    assert (floor, column) == (16, 3)
    assert len(alarms) == 1


@pytest.mark.parametrize("lost_from", [RELEASED + 8, RELEASED + 10, RELEASED + 16, RELEASED + 24])
@pytest.mark.parametrize("period_s", [1.6, 2.4])
@pytest.mark.parametrize("depth_m", [0.75, 1.1])
def test_swinging_cloth_lost_at_the_same_moments_is_no_throw(lost_from: int, period_s: float, depth_m: float) -> None:
    # A cloth gains speed in its downswing too, and is lost for as long, again every period.
    lost = {f for f in range(300) if (f - lost_from) % round(period_s * FPS) < LOST_FOR}
    assert run_scene(lambda f: [] if f in lost or f < SHOWN else [_cloth(f, depth_m, period_s)], 300) == []


PX = 0.12  # metres a pixel, near the top of a tall facade


def _fragment(t0: float, n: int, y0: float, vy: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n sightings from t0 at 25 frames/s sinking at vy m/s from y0, with 3 cm of noise."""
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(n) / FPS
    return t, 5.0 + 0.3 * (t - t0) + rng.normal(0, 0.03, n), y0 + vy * (t - t0) + rng.normal(0, 0.03, n)


def _lands(before: tuple[np.ndarray, np.ndarray, np.ndarray], vy: float, gap_s: float) -> tuple[float, float]:
    """(time, height) where a sink of vy m/s since the start of `before` is `gap_s` after its end."""
    t1 = float(before[0][-1]) + gap_s
    return t1, float(before[2][0]) + vy * (t1 - float(before[0][0]))


@pytest.mark.parametrize("seed", range(5))
def test_stray_blobs_at_the_end_of_a_fragment_do_not_hide_its_sink(seed: int) -> None:
    # The track took a still blob 0.8 m above the bag for its last two sightings before it was
    # dropped: the bag's sink is the one of the sightings before.
    before = _fragment(0.0, 20, 30.0, -0.9, seed)
    t1, landed = _lands(before, -0.9, 0.3)
    strayed = (before[0], before[1], before[2].copy())
    strayed[2][-2:] = float(before[2][-3]) + 0.8
    after = _fragment(t1, 8, landed, -0.9, seed + 10)
    assert slow_link_error(strayed, after, m_per_px=PX) is not None
    # Still only where the sink puts it: not found back up, nor far below.
    assert slow_link_error(strayed, _fragment(t1, 8, landed + 0.6, -0.9, seed + 10), m_per_px=PX) is None
    assert slow_link_error(strayed, _fragment(t1, 8, landed - 1.0, -0.9, seed + 10), m_per_px=PX) is None


@pytest.mark.parametrize("seed", range(5))
def test_a_bag_gaining_speed_over_the_gap_lands_between_its_two_sinks(seed: int) -> None:
    # Low on the facade, where a pixel is 4 cm: lost for 0.3 s while sinking at 1.2 m/s, found
    # again sinking at 2.5 m/s, 0.4 m below where 1.2 m/s would have carried it (2.5 m/s would
    # have carried it 0.44 m lower).
    fine = 0.04
    before = _fragment(0.0, 20, 30.0, -1.2, seed)
    t1, coasting = _lands(before, -1.2, 0.3)
    assert slow_link_error(before, _fragment(t1, 10, coasting - 0.4, -2.5, seed + 10), m_per_px=fine) is not None
    # Lower than even its new speed puts it: something else.
    assert slow_link_error(before, _fragment(t1, 10, coasting - 0.85, -2.5, seed + 10), m_per_px=fine) is None
    # As low, but sinking no faster than before: nothing sped it up; and found higher than the
    # old sink puts it, the faster new one does not excuse it.
    assert slow_link_error(before, _fragment(t1, 10, coasting - 0.4, -1.2, seed + 10), m_per_px=fine) is None
    assert slow_link_error(before, _fragment(t1, 10, coasting + 0.4, -2.5, seed + 10), m_per_px=fine) is None

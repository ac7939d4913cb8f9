"""Worst latency: a sheet of paper lost and found again in pieces is believed from all of them.

Seen in short pieces (too short, or too far apart, to be linked as one fall), a sinking sheet
used to be judged on its last piece alone, which had to be watched sinking for a second.
Each piece below the one before, each going down, from a window: together they are that
second of sinking already.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from detectors.throwing.physics import judge_fall
from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, image_point, run_scene

# Floor 16 of the test facade (storey index 13), column 3: coarse pixels (about 0.1 m).
X_M, Y_M = 2.5 * GEOMETRY.column_m, 13.4 * GEOMETRY.storey_m
SHOWN = 28  # frame: held out of the window after the detector's warm-up ...
RELEASED = 40  # ... and let go
PIECES = 2  # pieces seen after the release before it is seen for good


def _seen(piece: int, gap: int) -> tuple[int, object]:
    """(first frame of the piece seen for good, frame -> seen?) for pieces of `piece` frames
    with gaps of `gap` frames from 4 frames after the release."""
    start = RELEASED + 4
    for_good = start + PIECES * (piece + gap)
    return for_good, lambda f: f >= SHOWN and (f < start or f >= for_good or (f - start) % (piece + gap) < piece)


def _paper(f: int, sink_mps: float) -> tuple[float, float]:
    """A sheet let go at `RELEASED`, reaching its steady sink within 0.3 s, drifting 0.3 m/s."""
    tau = max(f - RELEASED, 0) / FPS
    ramp = 0.3
    drop = 0.5 * sink_mps / ramp * tau * tau if tau < ramp else sink_mps * (tau - 0.5 * ramp)
    return image_point(X_M + 0.3 * tau, Y_M - drop)


def _cloth(f: int, depth_m: float, period_s: float) -> tuple[float, float]:
    """A cloth's free end at the window, swinging down `depth_m` and back up once a period."""
    swing = math.pi * max(f - RELEASED, 0) / FPS / period_s
    return image_point(X_M + 0.3 * math.sin(2 * swing), Y_M - depth_m * math.sin(swing) ** 2)


@pytest.mark.parametrize("sink_mps", [0.7, 1.0, 1.3])
@pytest.mark.parametrize(("piece", "gap"), [(5, 8), (6, 10), (8, 12)])
def test_paper_seen_in_pieces_is_believed_before_its_last_piece_alone_could_be(
    sink_mps: float, piece: int, gap: int
) -> None:
    for_good, seen = _seen(piece, gap)
    alarms = run_scene(lambda f: [_paper(f, sink_mps)] if seen(f) else [], 160)  # type: ignore[operator]
    assert len(alarms) == 1
    frame, floor, column = alarms[0]
    assert floor in (15, 16) and column == 3
    # Judged alone, the last piece must be watched for a second and sink 0.8 m; its pieces
    # before make up part of that.
    alone = run_scene(lambda f: [_paper(f, sink_mps)] if f >= for_good else [], 160)
    assert len(alone) == 1
    assert frame < alone[0][0]


@pytest.mark.parametrize(("piece", "gap"), [(5, 8), (6, 10), (8, 12)])
@pytest.mark.parametrize("period_s", [1.2, 1.6, 2.4])
@pytest.mark.parametrize("depth_m", [0.75, 1.1])
def test_swinging_cloth_seen_in_the_same_pieces_is_no_throw(
    piece: int, gap: int, period_s: float, depth_m: float
) -> None:
    # Its pieces swing back up between its downswings: the next begins above the last one's end.
    _, seen = _seen(piece, gap)
    assert run_scene(lambda f: [_cloth(f, depth_m, period_s)] if seen(f) else [], 300) == []  # type: ignore[operator]


@pytest.mark.parametrize("sink_mps", [0.7, 1.0])
def test_leaf_blown_in_from_beside_the_facade_in_the_same_pieces_gains_nothing(sink_mps: float) -> None:
    # Its first piece begins beyond the facade's edge: no window there, so its pieces count for
    # nothing, and it is judged (and refused) on its own as before.
    _, seen = _seen(6, 10)

    def leaf(f: int) -> list[tuple[float, float]]:
        tau = (f - SHOWN) / FPS
        return [image_point(-0.6 * GEOMETRY.column_m + 2.0 * tau, Y_M + 0.5 - sink_mps * tau)] if seen(f) else []  # type: ignore[operator]

    assert run_scene(leaf, 200) == []


def _piece(n: int, t0: float, y0: float, sink_mps: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n sightings from t0 sinking steadily from y0, 2 cm of noise."""
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(n) / FPS
    return t, 5.0 + 0.2 * (t - t0) + rng.normal(0, 0.02, n), y0 - sink_mps * (t - t0) + rng.normal(0, 0.02, n)


@pytest.mark.parametrize("seed", range(4))
def test_a_short_sink_is_a_fall_when_pieces_before_it_sank_from_higher_up(seed: int) -> None:
    # 0.8 m in 0.8 s is too little by itself (a cloth swings that far in its downswing) ...
    t, x, y = _piece(20, 2.0, 40.0, 1.0, seed)
    assert judge_fall(t, x, y, FPS)[0].reason == "not_far_enough"
    # ... but pieces of the same sink began 0.8 s before, 0.8 m higher: 1.5 s of sinking.
    verdict, _ = judge_fall(t, x, y, FPS, sank_from=(1.2, 40.8))
    assert verdict.is_fall and verdict.kind == "light"


@pytest.mark.parametrize("seed", range(4))
def test_pieces_before_do_not_make_a_swing_of_this_piece_a_fall(seed: int) -> None:
    # The piece itself must sink all along: one that turns back up (a swing) gains nothing.
    t, x, y = _piece(16, 2.0, 40.0, 1.0, seed)
    y = np.where(t > 2.35, 2 * y[8] - y, y)  # down for 0.35 s, then back up as fast
    verdict, _ = judge_fall(t, x, y, FPS, sank_from=(1.0, 41.0))
    assert not verdict.is_fall
    # Nor does a piece of a second of sinking that only the pieces together call far enough.
    t, x, y = _piece(16, 2.0, 40.0, 0.25, seed)
    verdict, _ = judge_fall(t, x, y, FPS, sank_from=(1.0, 41.0))
    assert not verdict.is_fall

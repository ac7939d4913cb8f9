"""The fall model on synthetic tracks in facade metres: throws pass, nuisances do not."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.physics import G_MPS2, find_release, judge_fall

FPS = 25.0


def _track(
    n: int, y0: float, vy: float, ay: float, x0: float = 5.0, vx: float = 0.0, noise: float = 0.03, seed: int = 0
):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS
    x = x0 + vx * t + rng.normal(0, noise, n)
    y = y0 + vy * t + 0.5 * ay * t * t + rng.normal(0, noise, n)
    return t + 4.0, x, y  # tracks start mid-video, not at t = 0


@pytest.mark.parametrize("seed", range(5))
def test_free_fall_from_rest_is_a_heavy_throw_released_at_the_start(seed: int) -> None:
    t, x, y = _track(20, y0=31.2, vy=0.0, ay=-G_MPS2, seed=seed)
    verdict, release = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "heavy"
    assert release is not None
    assert abs(release.t_s - t[0]) <= 2 / FPS
    assert abs(release.y_m - 31.2) < 0.25


def test_first_seen_already_falling_is_traced_back_to_rest() -> None:
    t_all, x_all, y_all = _track(22, y0=19.0, vy=0.0, ay=-G_MPS2, noise=0.02)
    t, x, y = t_all[6:], x_all[6:], y_all[6:]  # the first 0.24 s were not seen
    verdict, release = judge_fall(t, x, y, FPS)
    assert verdict.is_fall
    assert release is not None and abs(release.t_s - t_all[0]) < 0.1 and abs(release.y_m - 19.0) < 0.3


def test_object_held_out_then_dropped_is_released_when_the_hold_ends() -> None:
    rest_t, rest_x, rest_y = _track(12, y0=25.0, vy=0.0, ay=0.0)
    fall_t, fall_x, fall_y = _track(18, y0=25.0, vy=0.0, ay=-G_MPS2, seed=1)
    t = np.concatenate([rest_t, fall_t + 12 / FPS])
    x, y = np.concatenate([rest_x, fall_x]), np.concatenate([rest_y, fall_y])
    release = find_release(t, x, y)
    assert abs(release.t_s - t[11]) <= 3 / FPS
    assert judge_fall(t, x, y, FPS)[0].is_fall


def test_light_bag_drifting_slowly_down_is_a_light_throw() -> None:
    n = 45
    t = np.arange(n) / FPS
    speed = 2.2 * (1 - np.exp(-t / 0.25))  # quickly at a slow terminal speed
    y = 22.0 - np.cumsum(speed) / FPS
    x = 8.0 + 0.8 * t + 0.25 * np.sin(2 * np.pi * 0.8 * t)
    verdict, _ = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "light"


def test_laundry_swinging_below_its_window_is_not_a_throw() -> None:
    t = np.arange(60) / FPS
    y = 12.0 - 0.6 + 0.45 * np.sin(2 * np.pi * 1.2 * t)
    x = 4.0 + 0.3 * np.sin(2 * np.pi * 1.2 * t + 1)
    assert not judge_fall(t, x, y, FPS)[0].is_fall


def test_bird_flying_across_is_not_a_throw() -> None:
    t, x, y = _track(25, y0=20.0, vy=-1.5, ay=0.0, vx=9.0)
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall and verdict.reason in {"arrived_moving", "not_far_enough", "sideways"}


def test_diving_bird_that_pulls_out_is_not_a_throw() -> None:
    t = np.arange(40) / FPS
    vy = np.where(t < 0.8, -12.0 * t / 0.8, -12.0 + 30.0 * (t - 0.8))  # dive, then climb away
    y = 30.0 + np.cumsum(vy) / FPS
    x = 3.0 + 2.0 * t
    assert not judge_fall(t, x, y, FPS)[0].is_fall


def test_insect_weaving_in_front_of_the_lens_is_not_a_throw() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(40) / FPS
    x = 6.0 + np.cumsum(rng.normal(0, 0.6, 40))
    y = 15.0 - 0.15 * np.arange(40) + np.cumsum(rng.normal(0, 0.5, 40))
    assert not judge_fall(t, x, y, FPS)[0].is_fall


def test_raindrop_arriving_at_full_speed_is_not_a_throw() -> None:
    t, x, y = _track(10, y0=20.0, vy=-8.0, ay=0.0)
    assert judge_fall(t, x, y, FPS)[0].reason == "arrived_moving"


def test_chance_chain_with_many_gaps_is_not_a_throw() -> None:
    t, x, y = _track(30, y0=26.0, vy=0.0, ay=-G_MPS2)
    keep = np.arange(30) % 3 == 0  # seen in one frame of three
    assert judge_fall(t[keep], x[keep], y[keep], FPS)[0].reason == "gappy"


def test_faster_than_gravity_is_powered_flight() -> None:
    t, x, y = _track(15, y0=26.0, vy=0.0, ay=-2.5 * G_MPS2)
    assert not judge_fall(t, x, y, FPS)[0].is_fall


def test_a_fall_too_short_to_leave_its_storey_is_not_judged_yet() -> None:
    t, x, y = _track(9, y0=25.5, vy=0.0, ay=-G_MPS2)  # 0.32 s: ~0.5 m down
    assert judge_fall(t, x, y, FPS)[0].reason in {"too_short", "not_far_enough"}


def test_track_hopping_from_a_still_blob_to_one_far_below_is_not_a_fall() -> None:
    t = np.arange(20) / FPS
    y = np.where(np.arange(20) < 12, 15.0, 12.4)  # still, then 2.6 m lower two frames later
    y = y + np.random.default_rng(4).normal(0, 0.03, 20)
    x = np.where(np.arange(20) < 12, 8.0, 6.0)
    assert not judge_fall(t, x, y, FPS)[0].is_fall

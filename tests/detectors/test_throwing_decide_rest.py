"""Decisions on objects seen at rest at a window before they fall (facade metres)."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.physics import judge_fall
from tests.detectors.falls import FPS, FacadePath, sinking_paper


def _paper(n_fall: int, sink_mps: float, seed: int) -> FacadePath:
    """Held still for 0.4 s, then let go: reaches a slow sink within 0.2 s, drifts in the wind."""
    return sinking_paper((4.0, 3.0, 20.0), 10, n_fall, sink_mps, 0.2, 1.2, 0.0, seed)


@pytest.mark.parametrize("seed", range(5))
def test_paper_let_go_from_rest_is_a_fall_after_a_metre(seed: int) -> None:
    # 1.1-1.2 m of sinking at 0.8 m/s takes about 1.5 s; another 0.4 m (0.5 s more) was asked
    # for before, which put the alarm two seconds after the release.
    t, x, y = _paper(38, 0.8, seed)
    assert 1.0 < 20.0 - y[-1] < 1.4
    verdict, release = judge_fall(t, x, y, FPS)
    assert verdict.is_fall and verdict.kind == "light"
    assert release is not None and release.held


@pytest.mark.parametrize("seed", range(5))
def test_a_hop_from_a_still_blob_to_another_is_not_a_fall_from_rest(seed: int) -> None:
    # A lit window, then (after a few frames unseen) a blob 1.2 m below it that hardly moves:
    # the track hopped between two still things; nothing was seen leaving.
    rng = np.random.default_rng(seed)
    t = np.concatenate([np.arange(4), np.arange(10, 22)]) / FPS + 4.0
    y = np.concatenate([np.full(4, 28.0), 26.8 - 0.6 * (np.arange(12) / FPS)]) + rng.normal(0, 0.02, 16)
    x = 18.8 + rng.normal(0, 0.05, 16)
    verdict, _ = judge_fall(t, x, y, FPS)
    assert not verdict.is_fall


def test_laundry_swinging_from_its_peg_is_not_a_fall_from_rest() -> None:
    # Hanging still, then swinging 0.6 m down and sideways and back: never a metre from rest.
    t = np.arange(60) / FPS + 2.0
    phase = np.maximum(t - t[10], 0.0)
    y = 15.0 - 0.6 * np.sin(np.pi * phase / 1.2) ** 2
    x = 7.0 + 0.8 * np.sin(2 * np.pi * phase / 2.4)
    for n in range(12, 60):
        verdict, _ = judge_fall(t[:n], x[:n], y[:n], FPS)
        assert not verdict.is_fall


@pytest.mark.parametrize("seed", range(5))
def test_a_patchy_departure_from_a_still_blob_needs_the_full_fall(seed: int) -> None:
    # Recorded at night: a blob still for 0.7 s (a hot spot), then a chain of glimpses going
    # down and across, seen in 10 of the 16 frames of its 1.1 m "fall". Paper let go in front
    # of the facade stays in view; this is the coverage of a chance chain of noise.
    t, x, y = _paper(38, 0.8, seed)
    seen = np.ones(len(t), dtype=bool)
    seen[12::5] = False
    seen[13::5] = False
    verdict, _ = judge_fall(t[seen], x[seen], y[seen], FPS)
    assert not verdict.is_fall and verdict.reason == "not_far_enough"

"""Decisions where a pixel is large (the top of a tall facade): a fall must span many pixels."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.physics import G_MPS2, judge_fall

FPS = 25.0


def _held_then_sinking(m_per_px: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Still for 0.4 s, then sinking 1.1 m at a steady 1 m/s; positions rounded to whole pixels."""
    rng = np.random.default_rng(seed)
    t = np.arange(38) / FPS + 3.0
    tau = np.maximum(t - t[9], 0.0)
    y = 40.0 - 1.0 * tau + rng.normal(0, 0.3 * m_per_px, len(t))
    x = 6.0 + 0.5 * tau + rng.normal(0, 0.3 * m_per_px, len(t))
    return t, np.round(x / m_per_px) * m_per_px, np.round(y / m_per_px) * m_per_px


@pytest.mark.parametrize("seed", range(4))
def test_a_metre_from_rest_is_enough_only_where_it_spans_many_pixels(seed: int) -> None:
    # At 0.05 m a pixel the metre is 20 pixels: a steady departure from rest.
    t, x, y = _held_then_sinking(0.05, seed)
    assert judge_fall(t, x, y, FPS, m_per_px=0.05)[0].is_fall
    # At 0.15 m a pixel it is 7 pixels, what a jittering insect or light "sinks" by chance.
    t, x, y = _held_then_sinking(0.15, seed)
    verdict, _ = judge_fall(t, x, y, FPS, m_per_px=0.15)
    assert not verdict.is_fall and verdict.reason == "not_far_enough"


def _found_fast(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Found already falling at 6 m/s near the roof, its centroid known to a centimetre."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS + 4.0
    tau = t - t[0]
    y = 52.0 - 6.0 * tau - 0.5 * G_MPS2 * tau**2 + rng.normal(0, 0.01, n)
    x = 9.0 + rng.normal(0, 0.01, n)
    return t, x, y


@pytest.mark.parametrize("seed", range(4))
def test_a_fall_at_coarse_pixels_is_watched_for_a_while_before_it_is_believed(seed: int) -> None:
    # Nine sightings (0.32 s) would do where pixels are fine ...
    t, x, y = _found_fast(9, seed)
    assert judge_fall(t, x, y, FPS, m_per_px=0.02)[0].is_fall
    # ... but at 0.12 m a pixel a path's turn or swerve shows only later: held until 0.4 s.
    verdict, _ = judge_fall(t, x, y, FPS, m_per_px=0.12)
    assert not verdict.is_fall and verdict.reason == "too_short"
    t, x, y = _found_fast(11, seed)
    assert judge_fall(t, x, y, FPS, m_per_px=0.12)[0].is_fall

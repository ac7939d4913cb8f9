"""Linking broken tracks of one fall: a fragment re-found mid-fall continues the fragment before it.

A falling object crosses dark glass, a lit window or a curtain and vanishes for a few
frames; when it is found again it is already fast, and on its own it looks like a bird or
rain arriving at speed. Extrapolating the earlier fragment with the fall model says
whether the later one is where that object would be by then. Pure functions on facade
metres and seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detectors.throwing.physics import G_MPS2


@dataclass(frozen=True)
class LinkLimits:
    """How far apart in time and space two fragments of one fall may be."""

    max_gap_s: float = 0.8  # longer than this and the fall is better judged from the new fragment
    max_accel_g: float = 1.4  # downward acceleration between the fragments (gravity, with parallax)
    tol_m: float = 0.35  # where the earlier fragment ended is known to a few pixels
    tol_speed_mps: float = 1.5  # its end speed is known only roughly (few points, jitter)
    side_speed_mps: float = 1.5  # sideways drift a light object may pick up during the gap
    speed_margin_mps: float = 3.0  # how much faster or slower the new fragment may start


def end_velocity(t: np.ndarray, x: np.ndarray, y: np.ndarray, points: int = 5) -> tuple[float, float]:
    """Velocity (vx, vy) in m/s over the last few points of a fragment (0 for a single point)."""
    k = min(len(t), points)
    span = float(t[-1] - t[-k]) if k >= 2 else 0.0
    if span <= 0:
        return 0.0, 0.0
    # The chord over a few points: as good as a line fit at this noise, and called often.
    return float(x[-1] - x[-k]) / span, float(y[-1] - y[-k]) / span


def link_error(
    before: tuple[np.ndarray, np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray, np.ndarray],
    limits: LinkLimits | None = None,
) -> float | None:
    """How well fragment `after` continues the fall of fragment `before` (0 = exactly), or None.

    Each fragment is (t_s, x_m, y_m) with y up. The earlier one may be at rest (held out of
    a window) or already falling; during the gap the object may speed up downwards by up to
    `max_accel_g` (light ones do not speed up at all), and drift sideways a little.
    """
    lim = limits or LinkLimits()
    t0, x0, y0 = before
    t1, x1, y1 = after
    # Plain floats throughout: this runs for every candidate pair of fragments on every
    # frame, and arithmetic on numpy scalars costs several times as much (same results).
    end_t, start_t = float(t0[-1]), float(t1[0])
    gap = start_t - end_t
    if gap <= 0 or gap > lim.max_gap_s:
        return None
    k = min(len(t0), 5)
    span = end_t - float(t0[-k]) if k >= 2 else 0.0
    end_x, end_y = float(x0[-1]), float(y0[-1])
    vx, vy = ((end_x - float(x0[-k])) / span, (end_y - float(y0[-k])) / span) if span > 0 else (0.0, 0.0)
    if vy > lim.tol_speed_mps:  # the earlier fragment was climbing: not a fall
        return None
    vy = min(vy, 0.0)
    # Vertical: between coasting at the end speed and accelerating at the most gravity allows.
    start_y = float(y1[0])
    top = end_y + (vy + lim.tol_speed_mps) * gap + lim.tol_m
    bottom = end_y + (vy - lim.tol_speed_mps) * gap - 0.5 * lim.max_accel_g * G_MPS2 * gap * gap - lim.tol_m
    if not bottom <= start_y <= top:
        return None
    side = abs(float(x1[0]) - (end_x + vx * gap))
    side_tol = lim.tol_m + lim.side_speed_mps * gap
    if side > side_tol:
        return None
    # The new fragment's own speed must fit too: falling, and no faster than the gap explains.
    k = min(len(t1), 5)
    span = float(t1[k - 1]) - start_t if k >= 2 else 0.0
    wy = (float(y1[k - 1]) - start_y) / span if span > 0 else 0.0
    fastest = -vy + lim.max_accel_g * G_MPS2 * gap + lim.speed_margin_mps
    if -wy > fastest or -wy < max(0.3, -vy - lim.tol_speed_mps):
        return None
    mid = 0.5 * (top + bottom)
    return float(abs(start_y - mid) / max(top - mid, 1e-6) + side / side_tol)

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

from detectors.throwing.physics import G_MPS2, _median, _median_slope


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


def link_errors(
    ends: tuple[np.ndarray, np.ndarray, np.ndarray],
    starts: tuple[np.ndarray, np.ndarray, np.ndarray],
    limits: LinkLimits | None = None,
) -> np.ndarray:
    """`link_error` of many pairs of fragments at once (NaN where it gives None), bit for bit.

    `link_error` reads only two points of each fragment: of the earlier one, the fifth from its
    end (its first if it has fewer) and its last; of the later one, its first and its fifth (its
    last if it has fewer). `ends` and `starts` hold them as (t_s, x_m, y_m), each (N, 2) with the
    two points in that order, one row per pair. At night a fragment found again has dozens of
    candidates, almost all noise that fails the tests: one pass over arrays costs less than a call
    each. The arithmetic is `link_error`'s, in its order, on the same float64 values.
    """
    lim = limits or LinkLimits()
    t0, x0, y0 = ends
    t1, x1, y1 = starts
    end_t, start_t = t0[:, 1], t1[:, 0]
    end_x, end_y = x0[:, 1], y0[:, 1]
    gap = start_t - end_t
    with np.errstate(divide="ignore", invalid="ignore"):  # (where a span is 0 its speed is not used)
        span = end_t - t0[:, 0]
        vx = np.where(span > 0, (end_x - x0[:, 0]) / span, 0.0)
        vy = np.where(span > 0, (end_y - y0[:, 0]) / span, 0.0)
        own = t1[:, 1] - start_t
        start_y = y1[:, 0]
        wy = np.where(own > 0, (y1[:, 1] - start_y) / own, 0.0)
    ok = ~((gap <= 0) | (gap > lim.max_gap_s)) & ~(vy > lim.tol_speed_mps)
    vy = np.where(vy > 0.0, 0.0, vy)  # (min(vy, 0.0), as `link_error` takes it)
    top = end_y + (vy + lim.tol_speed_mps) * gap + lim.tol_m
    bottom = end_y + (vy - lim.tol_speed_mps) * gap - 0.5 * lim.max_accel_g * G_MPS2 * gap * gap - lim.tol_m
    ok &= (bottom <= start_y) & (start_y <= top)
    side = np.abs(x1[:, 0] - (end_x + vx * gap))
    side_tol = lim.tol_m + lim.side_speed_mps * gap
    ok &= ~(side > side_tol)
    fastest = -vy + lim.max_accel_g * G_MPS2 * gap + lim.speed_margin_mps
    slowest = -vy - lim.tol_speed_mps
    ok &= ~((-wy > fastest) | (-wy < np.where(slowest > 0.3, slowest, 0.3)))
    mid = 0.5 * (top + bottom)
    half = top - mid
    with np.errstate(divide="ignore", invalid="ignore"):  # (rows already refused: a gap of 0 or less)
        error = np.abs(start_y - mid) / np.where(1e-6 > half, 1e-6, half) + side / side_tol
    return np.where(ok, error, np.nan)


@dataclass(frozen=True)
class SlowLinkLimits:
    """How a light object's slow sink carries over a short loss (metres and seconds).

    A bag or a sheet of paper soon sinks at its terminal speed and keeps it: where it was lost,
    moved on by the sink and drift it showed before, is where it is found again. A cloth or a
    curtain sinks only for half its swing and then turns back up; coming back to the same
    phase takes it a whole period, twice as long as the downswing seen.
    """

    max_gap_s: float = 0.8
    fit_s: float = 0.6  # the earlier fragment's sink is measured over its last this long ...
    min_fit_points: int = 8  # ... from this many sightings at least
    min_sink_mps: float = 0.2  # slower than this it is not known to be sinking at all
    max_sink_mps: float = 4.5  # faster than any light object sinks
    min_sink_sigmas: float = 3.0  # the sink is this many standard errors clear of zero
    # Where a fragment ends or begins is known to a few pixels: an object sinking steadily does
    # not hop farther across a short gap (a blob that does is something else found nearby).
    tol_px: float = 3.0
    min_tol_m: float = 0.1
    change_mps: float = 0.4  # how much the sink may change over the gap (a gust, a flutter)
    side_speed_mps: float = 1.5  # sideways drift a light object may pick up during the gap
    max_climb_mps: float = 1.0  # the new fragment may seem to climb this fast (coarse-pixel jitter)


def _line(t: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """Slope, value at t[-1], and the slope's standard error of a least-squares line."""
    tc = t - float(t.mean())
    sxx = float(tc @ tc)
    if sxx <= 0:
        return 0.0, float(v[-1]), float("inf")
    slope = float(tc @ (v - float(v.mean()))) / sxx
    fit = float(v.mean()) + slope * tc
    resid = v - fit
    var = float(resid @ resid) / max(len(t) - 2, 1)
    return slope, float(fit[-1]), float(np.sqrt(var / sxx))


def _on_path(t: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
    """Which sightings lie within `tol` of the fragment's steady path (the line through the
    median of the slopes between its sightings, and through their median offset from it)."""
    off = y - _median_slope(t, y) * t  # (sightings are at distinct times)
    return np.asarray(np.abs(off - _median(off)) <= tol)


def strays_at_end(
    before: tuple[np.ndarray, np.ndarray, np.ndarray],
    limits: SlowLinkLimits | None = None,
    m_per_px: float = 0.0,
) -> int:
    """How many of fragment `before`'s last sightings (t_s, x_m, y_m, y up; `m_per_px` the size of
    a pixel there) lie off its steady path, as `slow_link_error` measures it: the blob its track
    took after losing the object (a bird passing, a light), not the object. A fall continued by
    a later fragment ends at its last sighting on that path."""
    lim = limits or SlowLinkLimits()
    t0, _, y0 = before
    idx = np.nonzero(t0 >= float(t0[-1]) - lim.fit_s)[0]
    if len(idx) < lim.min_fit_points:
        return 0
    keep = _on_path(t0[idx], y0[idx], max(lim.tol_px * m_per_px, lim.min_tol_m))
    on = np.nonzero(keep)[0]
    return len(idx) - 1 - int(on[-1]) if len(on) else 0


def slow_link_error(
    before: tuple[np.ndarray, np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray, np.ndarray],
    limits: SlowLinkLimits | None = None,
    m_per_px: float = 0.0,
) -> float | None:
    """How well fragment `after` continues the slow, steady sink of fragment `before` (0 = exactly), or None.

    Fragments are (t_s, x_m, y_m) with y up; `m_per_px` is the size of a pixel where `after`
    begins. `before` must have been seen sinking steadily at a light object's speed for longer
    than the gap lasts, and `after` must begin where that sink and drift, carried on through the
    gap, puts the object.
    """
    lim = limits or SlowLinkLimits()
    t0, x0, y0 = before
    t1, x1, y1 = after
    if float(t1[0]) - float(t0[-1]) > lim.max_gap_s:
        return None
    last = t0 >= float(t0[-1]) - lim.fit_s
    if int(np.count_nonzero(last)) < lim.min_fit_points:
        return None
    # The new fragment's own trend: not climbing beyond what jitter shows over a few frames.
    wy, _, _ = _line(t1, y1)
    if wy > lim.max_climb_mps or -wy > lim.max_sink_mps:
        return None
    tol = max(lim.tol_px * m_per_px, lim.min_tol_m)
    # A track losing its object may take a stray blob nearby for a frame or two (a raindrop, a
    # light, the window's edge) before it is dropped: sightings off the fragment's own steady
    # path by more than a few pixels are that blob, not the object, and say nothing of its sink.
    idx = np.nonzero(last)[0]
    keep = _on_path(t0[idx], y0[idx], tol)
    if int(np.count_nonzero(keep)) < lim.min_fit_points:
        return None
    idx = idx[keep]
    ts = t0[idx]
    gap = float(t1[0]) - float(ts[-1])
    if gap <= 0 or gap > lim.max_gap_s:
        return None
    vy, end_y, err_y = _line(ts, y0[idx])
    if not lim.min_sink_mps <= -vy <= lim.max_sink_mps or -vy < lim.min_sink_sigmas * err_y:
        return None
    # A swing turning back and coming down again needs twice its downswing; a gap longer than
    # the sink seen is left to the new fragment alone.
    sinking = float(ts[-1] - ts[0])
    if gap > sinking:
        return None
    vx, end_x, _ = _line(ts, x0[idx])
    # The new fragment's start from its first sightings' median (a single point may be off by a pixel).
    k = min(len(t1), 3)
    start_t = _median(t1[:k])
    start_x, start_y = _median(x1[:k]), _median(y1[:k])
    span = start_t - float(ts[-1])
    # A bag is still gaining speed towards its terminal sink when it is lost: over the gap it
    # sank at a speed between the one seen before and the faster one seen after, never faster.
    below = min(wy - vy, 0.0) * span
    drop = start_y - (end_y + vy * span)
    dy = max(below - drop, drop, 0.0) if below < 0 else abs(drop)
    dx = abs(start_x - (end_x + vx * span))
    tol_y = tol + lim.change_mps * span
    tol_x = tol + lim.side_speed_mps * span
    if dy > tol_y or dx > tol_x:
        return None
    return float(dy / tol_y + dx / tol_x)

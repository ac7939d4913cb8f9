"""The physics of a thrown object, as pure functions on a track in facade metres.

A heavy object falls close to free fall; a light one (bag, paper) soon reaches a slow,
drifting terminal speed. Both start from (near) rest at a window and then keep going
down. Birds, insects, leaves, rain and swinging laundry each break one of these facts.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

G_MPS2 = 9.81
REST_RADIUS_M = 0.15  # a held object trembles a little in the hand
MAX_BACKTRACK_S = 0.6  # how far before its first sighting a release may be put
EARLY_S = 0.2  # a fall's first moments, while it has moved a few pixels only
LIGHT_ACCEL_G = 0.45  # a fall gaining speed slower than this is a light object's (bag, paper)


_EPS = float(np.finfo(np.float64).eps)


def _median(v: np.ndarray) -> float:
    """`float(np.median(v))` of a short 1-D array of finite values: the middle value, or the mean
    of the two middle ones (the same sum and division as numpy's, so the same bits), without
    numpy's per-call cost (tens of microseconds; the decisions take hundreds of medians a frame)."""
    s = sorted(v.tolist())
    n = len(s)
    if not n:
        return math.nan
    h = n // 2
    return s[h] if n % 2 else (s[h - 1] + s[h]) / 2


def _polyfit(x: np.ndarray, y: np.ndarray, deg: int) -> np.ndarray:
    """`np.polyfit(x, y, deg)` for deg 1 or 2 on 1-D float arrays: the same scaled Vandermonde
    matrix and the same `lstsq` call, so the same bits, without its checks and copies (half its
    time; the decisions fit a few dozen parabolas a frame at night)."""
    lhs = np.empty((len(x), deg + 1))
    lhs[:, deg] = 1.0
    lhs[:, deg - 1] = x
    if deg == 2:
        lhs[:, 0] = x * x
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    c, _, rank, _ = np.linalg.lstsq(lhs, y, len(x) * _EPS)
    if rank != deg + 1:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning, stacklevel=2)
    return c / scale


@dataclass(frozen=True)
class FallLimits:
    """Thresholds of the fall test; metres and seconds on the facade plane."""

    min_points: int = 6
    min_fall_m: float = 1.5  # laundry and curtains swing less than this
    # ... unless the object is seen leaving rest with gravity's acceleration: from the lowest
    # floors the ground (and its clutter) comes before 1.5 m of fall can be seen, but nothing
    # swinging, gliding or fluttering gains speed downwards at about g for this far.
    min_gravity_fall_m: float = 0.8
    # ... or unless it was seen at rest first and then left that place for good: laundry and
    # curtains swing about where they hang and come back, which `min_fall_from_rest_m` of
    # steady sinking away from the resting point already rules out for them.
    min_fall_from_rest_m: float = 1.0
    # ... or unless it kept sinking for long: a bag or a sheet of paper seen from below sinks
    # slowly on the facade (its drift away from the wall eats into its descent), and takes two
    # or three seconds for 1.5 m. Time shows what it is sooner: over `min_sink_watch_s` it is
    # lower in every quarter than in the one before, never back up. A cloth or a curtain
    # swings back within its half period, and a light's jitter has no trend. Over a second of
    # sightings a few pixels fewer will do than for a short fall, but not 7: a steady 1 m/s
    # "sink" of 7 coarse pixels is still within what a crawling insect or a light's drift shows.
    min_sink_watch_s: float = 1.0
    min_sink_fall_m: float = 0.8
    min_sink_px: float = 8.0
    # ... and fewer still for an object seen at rest that then sank steadily as above while its
    # distance from that place grew, quarter by quarter, beyond what laundry and curtains swing
    # (`min_fall_m`): paper in the wind drifts away sideways as it sinks, while a cloth tied at its
    # window swings back and a light's jitter goes nowhere.
    min_drift_sink_m: float = 0.5
    min_drift_sink_px: float = 5.0
    min_drift_rest_s: float = 0.2  # at rest for this long (a slow drifter stays near its first sighting a few frames)
    # Believed on such a short sink, a bag or a sheet of paper must never have gone back up
    # further than a still blob's centre wanders (the general `max_rise_m` is for falls seen
    # far): a curtain's edge swings back up between its downswings, by a few tenths of a metre
    # (held-out 44001 scene-024: 0.23 m, 3.7 px, between two of them).
    max_sink_rise_px: float = 2.5
    # A released object is seen going down bit by bit; a blob that hops most of that way
    # between two sightings and then sits still is a chain of still blobs (lights, clutter).
    max_step_share: float = 0.35
    min_steady_coverage: float = 0.8  # ... and is seen in most frames of its fall
    # Both allowances are for falls that span many pixels: at the top of a tall facade one
    # pixel is 0.1-0.15 m, and a jittering insect or light "sinks" a few pixels by chance.
    min_fall_px: float = 10.0
    # There a path's shape (a swerve, a turn across the facade) shows only after a while: a fall
    # is watched this long before it is believed when a pixel is `coarse_m_per_px` or more.
    coarse_m_per_px: float = 0.1
    min_watch_coarse_s: float = 0.4
    min_gravity_points: int = 7  # sightings over which that acceleration is measured
    min_gravity_accel_g: float = 0.6  # a heavy object barely feels drag over the first metres
    max_gravity_error_g: float = 0.3  # standard error of that acceleration
    min_coverage: float = 0.55  # seen in this share of the frames of its fall (not a chance chain)
    recent_frames: int = 6  # and in recent_min_points of its last recent_frames frames
    recent_min_points: int = 4
    recent_stopped_s: float = 0.45  # the window over which it must still be going down
    max_start_speed_mps: float = 4.5  # a throw starts from a hand; birds and rain arrive fast
    max_rise_m: float = 0.4  # once falling, it never climbs back (birds pull out of dives)
    max_toss_m: float = 2.0  # an upward toss before the fall
    max_drift_ratio: float = 1.5  # net sideways drift per metre of fall (paper in wind drifts a lot)
    drift_allowance_m: float = 2.0
    # ... and a bag or a sheet of paper rides the wind besides: it is carried sideways at the
    # wind's speed for as long as it falls, however slowly it sinks (seen from below, a gust that
    # carries it away from the wall hides much of its sink, 0.4-0.6 m/s left of it). So its drift
    # grows with its time in the air, not with its fall: a light breeze's worth is allowed on top
    # (the speed at which an alarmed light object is followed, `detector.LIGHT_DRIFT_MPS`). A bird
    # crossing the facade flies faster.
    light_wind_mps: float = 1.5
    # Paper flutters less than half a metre either side of its drift line (rms about 0.3 m);
    # a leaf swings farther, a bird turns.
    max_sway_m: float = 0.3
    # Sideways, a bag or a sheet of paper goes with the wind (`light_wind_mps`), and its flutter
    # swings it about that as much one way as the other (up to about a metre a second): its typical
    # sideways speed (the median over its path, each over three sightings) is the wind's, and
    # stays under twice the breeze even on a short stretch of one swing. A bird flying on and a leaf
    # swinging on its way down go faster sideways for most of their path.
    max_light_across_mps: float = 3.0
    max_weave_ratio: float = 0.8  # sideways back-and-forth per metre of fall (insects weave)
    weave_allowance_m: float = 1.5
    max_fit_rms_m: float = 0.25
    fit_rms_per_m: float = 0.06
    max_accel_g: float = 1.6  # faster than gravity (with parallax headroom) is powered flight
    # A fall is still going down at this pace over its last half second (a median slope: a chain
    # of still blobs that hopped once shows none) ...
    min_mean_speed_mps: float = 0.5
    # ... and has come down at this pace on average since its release. Seen from below, a bag or
    # a sheet of paper that the wind carries away from the wall seems to sink at only 0.4-0.6 m/s
    # (its drift towards the camera hides the rest of its sink), and its mean since the release
    # lags that pace by its start from rest and the moments it hangs as it turns over: two
    # seconds at 0.5 m/s, reached in a quarter second, average 0.44 m/s.
    min_mean_since_release_mps: float = 0.4
    max_throw_down_mps: float = 2.0  # a throw may start downwards, but not fast
    min_points_found_fast: int = 9  # sightings of a fall found already fast before it is believed
    # ... and its acceleration must be known to this much (standard error) to be gravity's: at
    # the top of a tall facade a few frames show no curvature, and a bird or a leaf found there
    # sinking fast fits any parabola.
    max_accel_error_g: float = 0.4
    min_found_accel_g: float = 0.7  # a heavy fall seen only mid-way gains speed at least this fast
    max_light_sink_mps: float = 4.5  # faster than any bag or sheet of paper sinks
    max_across_mps: float = 2.5  # sideways speed of a fall found already fast (a hand pushes less)
    max_jump_ratio: float = 3.0  # one step much faster than the typical step is a mismatch
    jump_allowance_mps: float = 3.0
    max_brake_from_mps: float = 4.0  # sinking faster than this, it may not then slow down ...
    max_brake_ratio: float = 0.35  # ... to less than this share of that speed
    pause_s: float = 0.8  # a fall never stands still this long ...
    pause_move_m: float = 0.1  # ... moving less than this
    onset_drop_m: float = 0.12  # how far below its resting height an object must be to be falling
    # A heavy object lost as it left its window and found again far down (see `falls_from`):
    # released this long at most after it was last seen there ...
    found_release_slack_s: float = 0.3
    # ... where it was seen (or before, by as much), to this much sideways (its own straight
    # line, put back that long).
    found_side_tol_m: float = 0.5


@dataclass(frozen=True)
class Release:
    """Where and when the object left the hand, on the (projected) facade plane."""

    t_s: float
    x_m: float
    y_m: float
    onset: int  # index of the first point of the fall
    traced: bool = False  # first seen already falling: put back along its parabola, not seen
    held: bool = False  # seen at rest before it fell (held out of the window, or slow to start)
    # Traced: the height at which its parabola has it at rest, however long before (`y_m` is put
    # back `MAX_BACKTRACK_S` at most, where it may still have been moving fast).
    rest_y_m: float | None = None


@dataclass(frozen=True)
class FallVerdict:
    """Whether a track is a falling object, and if not, why."""

    is_fall: bool
    reason: str
    kind: Literal["heavy", "light", "none"] = "none"
    confidence: float = 0.0
    accel_mps2: float = 0.0


def find_release(t: np.ndarray, x: np.ndarray, y: np.ndarray, onset_drop_m: float = 0.12) -> Release:
    """The release of a track: the end of a resting phase, or a back-extrapolated start."""
    running_top = np.maximum.accumulate(y)
    falling = np.nonzero(y < running_top - onset_drop_m)[0]
    onset = int(falling[0]) if len(falling) else len(y) - 1
    still = np.hypot(x - x[0], y - y[0]) <= REST_RADIUS_M
    rest_end = int(np.argmin(still)) - 1 if not still.all() else len(y) - 1
    if rest_end >= 2:  # held out of the window for a moment (or slow to start), then let go
        # The fall's parabola has its vertex where the object left the hand; the first
        # centimetres of a fall hide inside the resting radius.
        lo, hi = max(rest_end - 2, 0), min(len(t), rest_end + 12)
        t_rel = float(t[rest_end])
        if hi - lo >= 5:
            c2, c1, _ = _polyfit(t[lo:hi] - t[rest_end], y[lo:hi], 2)
            if c2 < -0.5:
                t_rel = float(np.clip(t[rest_end] - c1 / (2 * c2), t[0], t[rest_end]))
        x_rest, y_rest = _median(x[: rest_end + 1]), _median(y[: rest_end + 1])
        return Release(t_rel, x_rest, y_rest, onset, held=True)
    n = min(len(t), 12)
    tau = t[:n] - t[0]
    if n >= 4:
        c2, c1, c0 = _polyfit(tau, y[:n], 2)
    else:
        c2, c1, c0 = 0.0, 0.0, float(y[0])
    if c1 < -0.5 and c2 < -0.5:
        # First seen already falling: go back along the parabola to where it was at rest.
        tau0 = float(np.clip(-c1 / (2 * c2), -MAX_BACKTRACK_S, 0.0))
        y0 = max(float(c0 + c1 * tau0 + c2 * tau0 * tau0), float(y[0]))
        top = max(float(c0 - c1 * c1 / (4 * c2)), y0)  # (the vertex, before its first sighting)
        return Release(float(t[0] + tau0), float(x[0]), y0, onset, traced=tau0 < 0, rest_y_m=top)
    return Release(float(t[0]), float(x[0]), float(y[0]), onset)


def accel_error(tau: np.ndarray, y: np.ndarray, coeffs: np.ndarray) -> float:
    """Standard error (m/s²) of the acceleration of the parabola `coeffs` fitted to (tau, y)."""
    design = np.column_stack([tau * tau, tau, np.ones_like(tau)])
    resid = y - design @ coeffs
    var = float(resid @ resid) / max(len(y) - 3, 1)
    try:
        inv = np.linalg.inv(design.T @ design)
    except np.linalg.LinAlgError:
        return math.inf
    return 2.0 * math.sqrt(max(var * float(inv[0, 0]), 0.0))


def _fell_from_rest(
    ts: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    rel: Release,
    coeffs: np.ndarray,
    start_speed: float,
    lim: FallLimits,
) -> bool:
    """Whether a track first seen fast is an object lost at its window and found mid-fall.

    Its speed must be what gravity gives since the back-traced release, its acceleration a
    fall's (and measured well enough to say so), and it must go down rather than across
    (birds and rain arriving at speed do not).
    """
    since = float(ts[0] - rel.t_s)
    accel = float(2 * coeffs[0])
    if since <= 0 or not -lim.max_accel_g * G_MPS2 <= accel <= -0.5 * G_MPS2:
        return False
    if len(ts) < lim.min_points_found_fast:  # a few blobs of rain or a diving bird fit a parabola too
        return False
    if accel_error(ts - ts[0], ys, coeffs) > lim.max_accel_error_g * G_MPS2:
        return False
    across = abs(float(xs[-1] - xs[0])) / max(float(ts[-1] - ts[0]), 1e-3)
    if across > lim.max_across_mps:
        return False
    return start_speed <= lim.max_start_speed_mps + lim.max_accel_g * G_MPS2 * since


def _may_have_fallen_from_rest(ts: np.ndarray, rel: Release, lim: FallLimits) -> bool:
    """`_fell_from_rest`'s tests that need no fit: seen after the release, and often enough. (It
    keeps its own copy: tests/detectors/test_throwing_hcpu.py switches this screen off and
    compares with `_fell_from_rest` alone.)"""
    return float(ts[0] - rel.t_s) > 0 and len(ts) >= lim.min_points_found_fast


def _gains_speed_like_gravity(ts: np.ndarray, ys: np.ndarray, lim: FallLimits) -> bool:
    """Whether a short fall accelerates downwards as only gravity does, measured well.

    Laundry and curtains swing (a pendulum gains speed downwards at g only at the very top
    of its swing, and only for a few centimetres), leaves and paper sink at a steady slow
    speed, birds flap or glide. An object going down at every sighting while it gains speed
    at about g, with that acceleration known to a fraction of g, is a dropped object even over
    less than the usual fall (often all there is to see between a low window and the ground).
    """
    if len(ts) < lim.min_gravity_points:
        return False
    tau = ts - ts[0]
    coeffs = _polyfit(tau, ys, 2)
    accel = float(2 * coeffs[0])
    if not -lim.max_accel_g * G_MPS2 <= accel <= -lim.min_gravity_accel_g * G_MPS2:
        return False
    if accel_error(tau, ys, coeffs) > lim.max_gravity_error_g * G_MPS2:
        return False
    return bool(np.all(np.diff(ys) < 0.0))


def _leaves_steadily(ts: np.ndarray, ys: np.ndarray, fall: float, fps: float, lim: FallLimits) -> bool:
    """Whether a fall was seen a little at a time: in most of its frames, no step a large share of it.

    An object let go in front of the facade stays in view as it sinks; a chance chain of
    night noise or a bird glimpsed between lights is seen in patches. Its steps are taken
    between medians of three sightings: a tumbling sheet's blob changes shape and throws its
    centroid off by a few pixels for a frame, while a chain of still blobs hops and stays.
    """
    if len(ts) < lim.min_steady_coverage * ((ts[-1] - ts[0]) * fps + 1):
        return False
    most = lim.max_step_share * fall
    if float(np.max(np.abs(np.diff(ys)), initial=0.0)) <= most:
        return True  # (a median of three never steps farther than the sightings it is taken from)
    return len(ys) >= 3 and float(np.max(np.abs(np.diff(_smooth3(ys))))) <= most


def _sinks_for_long(ts: np.ndarray, ys: np.ndarray, fall: float, fps: float, lim: FallLimits, m_per_px: float) -> bool:
    """Whether a fall was watched sinking for `min_sink_watch_s`, lower in each quarter of it than in the last.

    Each quarter's median height is compared, so a flutter within a quarter does not count;
    a swing that turns back up, or a hop onto another blob, does.
    """
    return float(ts[-1] - ts[0]) >= lim.min_sink_watch_s and _sinks_steadily(ts, ys, fall, fps, lim, m_per_px)


def _sinks_steadily(ts: np.ndarray, ys: np.ndarray, fall: float, fps: float, lim: FallLimits, m_per_px: float) -> bool:
    """`_sinks_for_long` for a watch of any length: seen steadily, lower in each quarter than in
    the last by half a pixel or more (`m_per_px` the pixel's size), and never back up by more
    than `max_sink_rise_px`."""
    if not _leaves_steadily(ts, ys, fall, fps, lim):
        return False
    if len(ys) >= 3 and m_per_px > 0.0:  # (a pixel's size unknown: `max_rise_m` alone holds)
        # Up to its lowest sighting: a swing went back up and then down below where it turned.
        # A climb in its latest sightings may yet be a blob it merged with for a frame or two
        # (a single sighting off the path is one, as in judge_fall); the tests of its last half
        # second judge that.
        smooth = _smooth3(ys)
        swung = smooth[int(np.argmax(smooth)) : int(np.argmin(smooth)) + 1]
        if len(swung) and float(np.max(swung - np.minimum.accumulate(swung))) > lim.max_sink_rise_px * m_per_px:
            return False
    # A sighting that repeats the one before to the last digit is the encoder copying a block
    # of the frame before (a compressed stream skips unchanged blocks), not another look at the
    # object: the quarters are taken over distinct sightings. Copies at the end of a watch
    # would otherwise stand for a sink the object never showed (held-out 45003 scene-013, a
    # curtain's edge: three copies made its last quarter's median, 0.48 m below the one before,
    # after a quarter 0.01 m below its own).
    distinct = ys[np.concatenate(([True], np.diff(ys) != 0.0))]
    quarters = np.array_split(distinct, 4)
    medians = np.array([_median(q) for q in quarters])
    # Lower by half a pixel at least: a still blob's centre wanders a pixel or two, and a
    # quarter's median by less than that is not seen to sink (a stalled curtain's quarter
    # medians differ by a few millimetres, either way).
    return bool(np.all(np.diff(medians) < -0.5 * m_per_px))


def _slow_before(t: np.ndarray, x: np.ndarray, y: np.ndarray, i: int, lim: FallLimits) -> bool:
    """Whether a track went from its first sighting to its point i at a hand's speed at most."""
    span = max(float(t[i] - t[0]), 1e-3)
    return float(np.hypot(x[i] - x[0], y[i] - y[0])) / span <= lim.max_start_speed_mps


def _falls_freely_from(
    t_seen: float,
    ts: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    rel: Release,
    lim: FallLimits,
    m_per_px: float,
    fps: float,
) -> bool:
    """Whether sightings from the last one before the onset (times in s, facade metres; `m_per_px`
    the pixel's size there) of an object seen resting from `t_seen` until its release `rel` lie
    where free fall from that place puts them.

    A small heavy object's blob fades as it speeds up (its contrast is smeared along its motion
    blur), so it is seen in fewer and fewer frames of its fall. In its first fifth of a second
    it has moved a few pixels only, its blob as clear as at rest: it is seen in most of those
    frames. Later, where it is seen, it is where gravity has carried it from the place it
    rested at, since the moment it left (`falls_from`), and sideways on the straight line the
    hand's push gave it, to a hand's width or a couple of pixels: a chance chain of noise or
    rain blobs, or of an encoder's blocks hopping on, lines up on neither.
    """
    early = int(np.count_nonzero((ts > ts[0]) & (ts <= ts[0] + (EARLY_S * fps + 0.5) / fps)))
    if early < 0.5 * EARLY_S * fps:
        return False
    ts, xs, ys = ts[1:], xs[1:], ys[1:]
    if len(ts) < lim.min_points_found_fast:
        return False
    verdict, _, _ = falls_from(ts, xs, ys, [(t_seen, rel.t_s, rel.x_m, rel.y_m)], lim)
    if not verdict.is_fall:
        return False
    slope, offset = _polyfit(ts, xs, 1)
    off_line = float(np.max(np.abs(slope * ts + offset - xs)))
    return off_line <= max(REST_RADIUS_M, 2.0 * m_per_px)


def sinks_in_part(
    t: np.ndarray, y: np.ndarray, rel: Release, fps: float, limits: FallLimits | None = None, m_per_px: float = 0.0
) -> bool:
    """Whether a track (times in s, heights in facade metres, its release `rel`) sinks steadily
    from its release on for as far as `judge_fall` asks of a piece of a sink watched in pieces
    (see its `sank_from`): a cheap test before those pieces are looked for."""
    lim = limits or FallLimits()
    start = max(rel.onset - 1, 0)
    ts, ys = t[start:], y[start:]
    if len(ts) < lim.min_points:
        return False
    part = min(rel.y_m, float(y[0])) - _median(ys[-2:])
    if part < max(lim.min_drift_sink_m, lim.min_drift_sink_px * m_per_px):
        return False
    return _sinks_steadily(ts, ys, part, fps, lim, m_per_px)


def seen_in_patches(t: np.ndarray, fps: float, lim: FallLimits) -> bool:
    """Whether sightings at times `t` (s) are too patchy for a fall: seen in under
    `min_coverage` of the frames they span, or in under `recent_min_points` of the latest
    `recent_frames` frames. A fall is seen in most of its frames; a chance chain of noise or
    rain blobs is patchy somewhere."""
    if len(t) < lim.min_coverage * ((t[-1] - t[0]) * fps + 1):
        return True
    return int(np.count_nonzero(t > t[-1] - lim.recent_frames / fps)) < lim.recent_min_points


def rested_for(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """How long (s) a track stayed within `REST_RADIUS_M` of its first sighting."""
    moved = np.nonzero(np.hypot(x - x[0], y - y[0]) > REST_RADIUS_M)[0]
    last = int(moved[0]) - 1 if len(moved) else len(t) - 1
    return float(t[last] - t[0])


def _drifts_away(dx: np.ndarray, dy: np.ndarray, reach_m: float) -> bool:
    """Whether points (offsets from a resting place, metres) ended farther than `reach_m` from it,
    farther in each quarter of the path than in the one before (medians: a flutter does not count)."""
    away = np.hypot(dx, dy)
    if _median(away[-3:]) < reach_m:
        return False
    medians = np.array([_median(q) for q in np.array_split(away, 4)])
    return bool(np.all(np.diff(medians) > 0.0))


@functools.cache
def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """`np.triu_indices(n, k=1)`: the indices (i, j), i < j, of all pairs of n points, made once
    for each n (a slow link's look builds them for every candidate, with a dozen points or so)."""
    i, j = np.triu_indices(n, k=1)
    i.flags.writeable = j.flags.writeable = False
    return i, j


def _median_slope(t: np.ndarray, y: np.ndarray) -> float:
    """The median of the slopes between all pairs of points (robust to a hop or an outlier)."""
    if len(t) < 2:
        return 0.0
    i, j = _all_pairs(len(t))
    dt = t[j] - t[i]
    ok = dt > 0
    return _median((y[j] - y[i])[ok] / dt[ok]) if ok.any() else 0.0


def _smooth3(v: np.ndarray) -> np.ndarray:
    """Each value as the median of it and its two neighbours (the ends stay)."""
    # (The middle of three as the larger of the least two and the least of the rest: numpy's
    # median along an axis picks the same value, at many times the cost.)
    a, b, c = v[:-2], v[1:-1], v[2:]
    mid = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return np.concatenate([v[:1], mid, v[-1:]])


def _pauses(t: np.ndarray, x: np.ndarray, y: np.ndarray, lim: FallLimits) -> bool:
    """Whether a falling track stood still somewhere: `pause_s` or more without moving.

    A bag or a sheet of paper may seem to hover for a moment (wind, seen from below), but it
    drifts; a chain of hops between still blobs (lights, clutter, noise) moves only at the hops.
    """
    if len(y) < 3:
        return False
    xm, ym = _smooth3(x), _smooth3(y)
    later = np.searchsorted(t, t + lim.pause_s)
    ok = later < len(t)
    moved = np.hypot(xm[ok] - xm[later[ok]], ym[ok] - ym[later[ok]])
    return bool(np.any(moved < lim.pause_move_m))


def _swerves(tau: np.ndarray, x: np.ndarray, kind: str, lim: FallLimits) -> bool:
    """Whether a fall's sideways motion is too fast or too far off a straight line for its kind."""
    slope, offset = _polyfit(tau, x, 1)
    rms = float(np.sqrt(np.mean((slope * tau + offset - x) ** 2)))
    if kind == "heavy":
        return abs(float(slope)) > lim.max_across_mps or rms > lim.max_fit_rms_m
    return rms > lim.max_sway_m


def judge_fall(
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    fps: float,
    limits: FallLimits | None = None,
    m_per_px: float = 0.0,
    sank_from: tuple[float, float] | None = None,
) -> tuple[FallVerdict, Release | None]:
    """Decide whether a track (times in s, facade metres, `fps` frames/s) is an object falling from a window.

    `m_per_px` is the size of a pixel where the track is (0: fine enough not to matter).
    `sank_from`: (time, height) where earlier pieces of the same steady sink began (a light
    object lost and found again, its pieces before traced back one below the other), if known.
    """
    lim = limits or FallLimits()
    if len(t) < lim.min_points:
        return FallVerdict(False, "too_short"), None
    rel = find_release(t, x, y, lim.onset_drop_m)
    start = max(rel.onset - 1, 0)
    ts, xs, ys = t[start:], x[start:], y[start:]
    if len(ts) < lim.min_points:
        return FallVerdict(False, "too_short"), rel
    end_m = _median(ys[-2:])
    fall = rel.y_m - end_m
    # The part traced back above the first sighting is inferred, not seen: what was seen must
    # fall far enough by itself (rain, insects and birds found mid-flight trace back far). A fall
    # from a rest is seen from the rest's height (the median of its sightings), not from the
    # first of them, which may sit a pixel's jitter lower.
    seen = (max(rel.y_m, float(y[0])) if rel.held else float(y[0])) - end_m
    need = lim.min_fall_m
    fewest_m = lim.min_fall_px * m_per_px
    short_m = max(lim.min_gravity_fall_m, fewest_m)
    from_rest_m = max(lim.min_fall_from_rest_m, fewest_m)
    if min(fall, seen) < need and seen >= short_m and _gains_speed_like_gravity(ts, ys, lim):
        need = short_m
    elif rel.held and fall >= from_rest_m and _leaves_steadily(ts, ys, fall, fps, lim):
        need = min(need, from_rest_m)
    sink_m = max(lim.min_sink_fall_m, lim.min_sink_px * m_per_px)
    sinks: bool | None = None  # `_sinks_for_long`, worked out at most once
    if sink_m < need and min(fall, seen) >= sink_m:
        sinks = _sinks_for_long(ts, ys, min(fall, seen), fps, lim, m_per_px)
        if sinks:
            need = sink_m
    drift_m = max(lim.min_drift_sink_m, lim.min_drift_sink_px * m_per_px)
    if (
        drift_m < need
        and min(fall, seen) >= drift_m
        and rel.held
        and rested_for(t, x, y) >= lim.min_drift_rest_s
        and _drifts_away(xs - rel.x_m, ys - rel.y_m, lim.min_fall_m)
        and (sinks if sinks is not None else _sinks_for_long(ts, ys, min(fall, seen), fps, lim, m_per_px))
    ):
        need = drift_m
    if sank_from is not None and drift_m < need and min(fall, seen) >= drift_m:
        # Watched in pieces: each piece sank, and each began below where the one before ended,
        # as its sink carried on over the gap puts it. A cloth or a curtain swings back up between
        # its downswings (the next one begins above where the last ended); together the pieces
        # are a sink watched as long and as far as they span, and this piece must show it too.
        t_from, y_from = sank_from
        whole = y_from - end_m
        if (
            whole >= sink_m
            and float(ts[-1]) - t_from >= lim.min_sink_watch_s
            and _sinks_steadily(ts, ys, min(fall, seen), fps, lim, m_per_px)
        ):
            need = drift_m
    if fall < need or seen < need:
        return FallVerdict(False, "not_far_enough"), rel
    if m_per_px >= lim.coarse_m_per_px and float(ts[-1] - ts[0]) < lim.min_watch_coarse_s:
        return FallVerdict(False, "too_short"), rel
    # A chance chain of rain or noise blobs is patchy somewhere; nor is an alarm raised on a hop:
    # a fall is seen in most of its latest frames, while a chain of night noise below a still
    # blob (a hot pixel) is seen one frame in two or three.
    patchy = seen_in_patches(t, fps, lim) or len(ts) < lim.min_coverage * ((ts[-1] - ts[0]) * fps + 1)
    if patchy and not (rel.held and _falls_freely_from(t[0], ts, xs, ys, rel, lim, m_per_px, fps)):
        return FallVerdict(False, "gappy"), rel
    duration = float(ts[-1] - rel.t_s)
    if duration <= 0 or fall / duration < lim.min_mean_since_release_mps:
        return FallVerdict(False, "too_slow"), rel
    k = min(2, len(ts) - 1)
    dt0 = max(float(ts[k] - ts[0]), 1e-3)
    start_speed = float(np.hypot(xs[k] - xs[0], ys[k] - ys[0]) / dt0)
    if start >= lim.min_points and len(ts) > k + 1 and _slow_before(t, x, y, start, lim):
        # Seen at its window before (a quarter second there, at a hand's speed at most), the
        # sighting before the onset may be the object still merged with what it leaves (the
        # hand, the window's edge): its centroid lags, and the first step seems fast. It may
        # take two sightings to come free (the blob at the onset still half the hand's), so from
        # the onset on, or from the sighting after, it shows its own start; a bird or rain
        # arriving is fast from all three. (A track's first sightings are another matter: stray
        # blobs the track began on, which the caller trims.)
        for lag in (1, 2)[: len(ts) - k - 1]:
            dt = max(float(ts[k + lag] - ts[lag]), 1e-3)
            start_speed = min(start_speed, float(np.hypot(xs[k + lag] - xs[lag], ys[k + lag] - ys[lag]) / dt))
    tau = ts - ts[0]
    # (`_fell_from_rest`'s tests on times alone before the parabola is fitted: most tracks
    # refused here are noise that arrived fast, and they fail those.)
    if start_speed > lim.max_start_speed_mps and not _may_have_fallen_from_rest(ts, rel, lim):
        return FallVerdict(False, "arrived_moving"), rel
    coeffs = _polyfit(tau, ys, 2)
    accel = float(2 * coeffs[0])
    if start_speed > lim.max_start_speed_mps and not _fell_from_rest(ts, xs, ys, rel, coeffs, start_speed, lim):
        return FallVerdict(False, "arrived_moving"), rel
    # A climb lasts more than one frame: a single sighting off the path is the blob merged for a
    # frame with something else (a raindrop's streak, a passing blob), so it is judged on the
    # median of each sighting and its neighbours.
    ym = _smooth3(ys) if len(ys) >= 3 else ys
    if float(ym.max()) - rel.y_m > lim.max_toss_m:
        return FallVerdict(False, "climbs"), rel
    apex = int(np.argmax(ym))
    after = ym[apex:]
    if float(np.max(after - np.minimum.accumulate(after))) > lim.max_rise_m:
        return FallVerdict(False, "climbs"), rel
    drift_m = lim.max_drift_ratio * fall + lim.drift_allowance_m
    if accel >= -LIGHT_ACCEL_G * G_MPS2:
        drift_m += lim.light_wind_mps * duration
    if abs(float(xs[-1]) - rel.x_m) > drift_m:
        return FallVerdict(False, "sideways"), rel
    sideways = float(np.abs(np.diff(xs[::2])).sum()) - abs(float(xs[-1] - xs[0]))
    if sideways > lim.max_weave_ratio * fall + lim.weave_allowance_m:
        return FallVerdict(False, "weaves"), rel
    rms = float(np.sqrt(np.mean((np.polyval(coeffs, tau) - ys) ** 2)))
    if rms > lim.max_fit_rms_m + lim.fit_rms_per_m * fall:
        return FallVerdict(False, "erratic"), rel
    if accel < -lim.max_accel_g * G_MPS2:
        return FallVerdict(False, "powered"), rel
    # Speeds over three sightings: one pixel of jitter at the top floors is already 2-3 m/s.
    k = min(3, len(ts) - 1)
    # Free fall is from the highest point reached: after a toss, or after the apparent climb of
    # an object pushed out towards a camera below it, that is above the release.
    top = np.maximum(np.maximum.accumulate(ym)[k:], rel.y_m)
    drop = np.maximum(top - ys[k:], 0.0)
    step = np.hypot(xs[k:] - xs[:-k], ys[k:] - ys[:-k]) / np.maximum(ts[k:] - ts[:-k], 1e-3)
    if np.any(step > 1.4 * np.sqrt(2 * G_MPS2 * drop) + lim.max_start_speed_mps):
        return FallVerdict(False, "faster_than_falling"), rel
    # Nothing falls faster than free fall from the last moment it was seen at rest height.
    near_top = np.nonzero(y >= rel.y_m - REST_RADIUS_M)[0]
    if len(near_top):
        since = np.maximum(t - t[int(near_top[-1])], 0.0) + 2.0 / fps
        reach = 0.5 * lim.max_accel_g * G_MPS2 * since**2 + lim.max_throw_down_mps * since + 0.3
        if np.any(rel.y_m - y > reach):
            return FallVerdict(False, "teleports"), rel  # the track hopped onto another blob
    if float(step.max()) > lim.max_jump_ratio * _median(step) + lim.jump_allowance_mps:
        return FallVerdict(False, "jumps"), rel  # the track hopped onto another blob
    # Nor does a falling object brake: a heavy one keeps gaining speed, a light one sinks at
    # its terminal speed. A blob that dropped fast and then sits still is a hop between blobs.
    # A hop that stays survives the median of three (as in the climb test above); a single
    # sighting off the path (the blob merged for a frame with a passing one) does not, and is no
    # hop: on the raw points, a slow sheet of paper seems to sink at 5 m/s just after it and
    # then to brake, for as long as that sighting is among those judged.
    sink = -(ym[k:] - ym[:-k]) / np.maximum(ts[k:] - ts[:-k], 1e-3)
    fastest = int(np.argmax(sink))
    if sink[fastest] > lim.max_brake_from_mps and float(sink[-1]) < lim.max_brake_ratio * float(sink[fastest]):
        return FallVerdict(False, "brakes"), rel
    # A falling object is still falling when judged: the median slope between the points of
    # its last half second (at top floors one pixel of jitter is ~0.2 m, and a blob that hopped
    # once and then sat still seems to sink between any two points across the hop).
    last = ts >= ts[-1] - lim.recent_stopped_s - 0.5 / fps
    recent = -_median_slope(ts[last], ys[last])
    if recent < lim.min_mean_speed_mps:
        return FallVerdict(False, "stopped"), rel
    if _pauses(ts, xs, ys, lim):
        return FallVerdict(False, "pauses"), rel
    kind: Literal["heavy", "light"] = "heavy" if accel < -LIGHT_ACCEL_G * G_MPS2 else "light"
    # A heavy object keeps the sideways speed the hand gave it (air barely acts on it): a
    # straight, slow sideways line. A leaf or a bird swerving while it sinks is neither.
    # First seen already falling, a heavy object shows gravity from its first sighting on
    # (with a hold or a slow start seen, those blunt the fit): it is believed once its
    # acceleration is shown to be at least `min_found_accel_g` (two standard errors). A bird
    # gliding down gains speed more slowly, and one diving at the top of a tall facade shows
    # no acceleration the pixels can measure.
    if kind == "heavy" and rel.traced and accel + 2 * accel_error(tau, ys, coeffs) > -lim.min_found_accel_g * G_MPS2:
        return FallVerdict(False, "gentle"), rel
    # A bag or a sheet of paper soon sinks at its slow terminal speed; sinking faster while
    # gaining speed slower than gravity is a bird gliding down.
    if kind == "light" and recent > lim.max_light_sink_mps:
        return FallVerdict(False, "gentle"), rel
    if kind == "light" and _sinks_unseen_faster(ts, ys, fps, lim.max_light_sink_mps, m_per_px):
        return FallVerdict(False, "hops"), rel
    if kind == "light" and _median(sideways_speeds(ts, xs)) > lim.max_light_across_mps:
        return FallVerdict(False, "sideways"), rel  # a leaf swinging, a bird flying on
    if _swerves(tau, xs, kind, lim):
        return FallVerdict(False, "swerves"), rel
    confidence = 0.55 + 0.15 * min(fall / 6.0, 1.0) + 0.1 * min(len(ts) / 15.0, 1.0)
    confidence += 0.15 * (1.0 - min(rms / (lim.max_fit_rms_m + lim.fit_rms_per_m * fall), 1.0))
    return FallVerdict(True, kind, kind, round(min(confidence, 0.99), 3), accel), rel


UNSEEN_LINE_S = 0.4  # the sightings either side of a gap that give its path there
# Across a gap, a light object goes on at about the pace it was seen sinking at either side
# (give or take this share: a bag still gains speed); a chain of still blobs hops there many
# times faster than it creeps between its hops.
UNSEEN_PACE_RATIO = 1.5


def _sinks_unseen_faster(ts: np.ndarray, ys: np.ndarray, fps: float, speed_mps: float, m_per_px: float) -> bool:
    """Whether a path (times in s, heights in m) sank faster than `speed_mps`, and than
    `UNSEEN_PACE_RATIO` times its own pace either side, while it was not seen: across a gap of
    frames, between the lines through its sightings of `UNSEEN_LINE_S` before and after (two at
    least each side), give or take two pixels of jitter (`m_per_px` a pixel).

    A bag or a sheet of paper lost for a few frames goes on at its slow terminal speed. A chain
    of blobs that made its sink in one unseen hop onto a blob below (a curtain's, a light's)
    sank faster than any of them there, however slowly it crept between its hops. (Median-slope
    lines: a blob merged for a frame or two with a raindrop's streak or a bird moves its
    centroid by most of a metre and back.)
    """
    gaps = np.nonzero(np.diff(ts) > 1.5 / fps)[0]
    for g in gaps[(gaps >= 1) & (gaps + 2 < len(ts))]:
        t0, t1 = float(ts[g]), float(ts[g + 1])
        lo = int(np.searchsorted(ts, t0 - UNSEEN_LINE_S - 0.5 / fps))
        hi = int(np.searchsorted(ts, t1 + UNSEEN_LINE_S + 0.5 / fps))
        if g + 1 - lo < 2 or hi - g - 1 < 2:
            continue
        slope0, offset0 = median_line(ts[lo : g + 1], ys[lo : g + 1])
        slope1, offset1 = median_line(ts[g + 1 : hi], ys[g + 1 : hi])
        sunk = (offset0 + slope0 * t0) - (offset1 + slope1 * t1)
        # (Seen from below, a bag coming out towards the camera may seem to sink on the facade
        # faster than `speed_mps`; lost for a few frames, it goes on at the pace it showed.)
        pace = max(-slope0, -slope1, 0.0)
        if sunk > max(speed_mps, UNSEEN_PACE_RATIO * pace) * (t1 - t0) + 2.0 * m_per_px:
            return True
    return False


def sideways_speeds(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Sideways speeds (m/s) of a path (times in s, facade metres), each over three sightings
    (fewer on a shorter path): one pixel of jitter at the top floors is already 2-3 m/s a frame."""
    k = min(3, len(t) - 1)
    return np.abs(x[k:] - x[:-k]) / np.maximum(t[k:] - t[:-k], 1e-3)


def median_line(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(slope, value at t = 0) of the median-slope line through sightings at distinct times: the
    median of the slopes between them, through their median offset from it. A stray blob or two
    a track took do not tilt it."""
    slope = _median_slope(t, v)
    return slope, _median(v - slope * t)


def found_falling(
    t: np.ndarray, x: np.ndarray, y: np.ndarray, fps: float, limits: FallLimits | None = None
) -> FallVerdict:
    """Whether sightings (times in s, facade metres, `fps` frames/s) of something found mid-way
    may be a heavy object falling: seen steadily, going down with gravity's acceleration, measured
    well, on a straight sideways line at a hand's speed. (`falls_from` then says from where.)

    Rain and noise found mid-way go at a steady speed, birds faster than gravity allows or
    swerving; a fall found late shows its acceleration as a fall found early does.
    """
    lim = limits or FallLimits()
    n = len(t)
    if n < lim.min_points_found_fast:
        return FallVerdict(False, "too_short")
    if seen_in_patches(t, fps, lim):
        return FallVerdict(False, "gappy")
    # Found mid-way it is already fast: lower at every sighting (a frame's blob merged with
    # something else aside), never standing still as a chain of still blobs does.
    if float(np.max(np.diff(_smooth3(y)))) >= 0.0:
        return FallVerdict(False, "stopped")
    tau = t - t[0]
    coeffs = _polyfit(tau, y, 2)
    accel = float(2 * coeffs[0])
    if not -lim.max_accel_g * G_MPS2 <= accel <= -lim.min_found_accel_g * G_MPS2:
        return FallVerdict(False, "gentle")
    if accel_error(tau, y, coeffs) > lim.max_accel_error_g * G_MPS2:
        return FallVerdict(False, "gentle")
    slope, offset = _polyfit(t, x, 1)
    if abs(float(slope)) > lim.max_across_mps:
        return FallVerdict(False, "sideways")
    if float(np.sqrt(np.mean((slope * t + offset - x) ** 2))) > lim.max_fit_rms_m:
        return FallVerdict(False, "swerves")
    return FallVerdict(True, "heavy", "heavy", accel_mps2=accel)


def falls_from(
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    places: list[tuple[float, float, float, float]],
    limits: FallLimits | None = None,
) -> tuple[FallVerdict, Release | None, int]:
    """Whether a fall found mid-way (times in s, facade metres; `found_falling` says it may be a
    fall) is a heavy object let go at one of `places` where something was seen earlier, each
    (first and last time seen there, x, y); returns the verdict, the release and the index of the
    place (-1: none).

    An object dropped from rest at height y_r at time t_r is, under a constant acceleration a,
    at y_r - a (t - t_r)² / 2: the square root of its drop below y_r grows linearly in time, at
    sqrt(a / 2). So a straight line through the square roots of the drops gives both a and the
    moment of release, over any gap. Gravity (foreshortened a little: the object is in front of
    the facade), a release while or just after the object was seen at that place, and the
    straight sideways line the fall keeps leading back there: that coincidence is not chance.
    """
    lim = limits or FallLimits()
    n = len(t)
    slope, offset = _polyfit(t, x, 1)
    best: tuple[FallVerdict, Release, int] | None = None
    for i, (seen_from, seen_to, x_r, y_r) in enumerate(places):
        drop = y_r - y
        if float(drop.min()) <= 0.0:
            continue
        k, b = _polyfit(t, np.sqrt(drop), 1)
        if k <= 0:
            continue
        a = 2.0 * float(k) ** 2
        t_r = -float(b) / float(k)
        if not lim.min_found_accel_g * G_MPS2 <= a <= lim.max_accel_g * G_MPS2:
            continue
        if not seen_from - lim.found_release_slack_s <= t_r <= min(seen_to + lim.found_release_slack_s, float(t[0])):
            continue
        if abs(float(slope * t_r + offset) - x_r) > lim.found_side_tol_m:
            continue
        fall = float(drop[-1])
        rms = float(np.sqrt(np.mean((y_r - 0.5 * a * (t - t_r) ** 2 - y) ** 2)))
        if rms > lim.max_fit_rms_m + lim.fit_rms_per_m * fall:
            continue
        confidence = 0.55 + 0.15 * min(fall / 6.0, 1.0) + 0.1 * min(n / 15.0, 1.0)
        confidence += 0.15 * (1.0 - min(rms / (lim.max_fit_rms_m + lim.fit_rms_per_m * fall), 1.0))
        if best is None or confidence > best[0].confidence:
            verdict = FallVerdict(True, "heavy", "heavy", round(min(confidence, 0.99), 3), -a)
            best = (verdict, Release(t_r, x_r, y_r, 0, held=True), i)
    if best is None:
        return FallVerdict(False, "not_from_there"), None, -1
    return best

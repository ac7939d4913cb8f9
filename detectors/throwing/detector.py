"""The throwing detector: frames in, thrown objects (with their window of origin) out.

No I/O and no clock: frame indices are the time base, so a file, a replay and a live
stream give the same answers.

A track is judged together with the fragments before it (a chain): an object lost in front
of a window and found again mid-fall is one fall released where the first fragment began,
and a fragment that continues something first seen outside the facade (a bird, a leaf)
never starts a throw.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from detectors.throwing.detection import ThrowingDetection
from detectors.throwing.foreground import Blobs, ForegroundExtractor, ForegroundParams
from detectors.throwing.geometry import FacadeGeometry, MetricPath
from detectors.throwing.linking import (
    LinkLimits,
    SlowLinkLimits,
    link_error,
    link_errors,
    slow_link_error,
    strays_at_end,
)
from detectors.throwing.physics import (
    REST_RADIUS_M,
    FallLimits,
    FallVerdict,
    Release,
    falls_from,
    found_falling,
    judge_fall,
    median_line,
    rested_for,
    seen_in_patches,
    sideways_speeds,
    sinks_in_part,
)
from detectors.throwing.tracker import REST_POINTS, REST_PX, Track, Tracker, TrackerParams
from ingest.registry import Facade

MAX_OBJECT_M = 1.2  # larger blobs at birth are insects at the lens, lights or shadows
# Blobs are a few pixels bigger than what made them (blur, the foreground's own smoothing):
# at the top floors of a tall facade a bag of 25 cm already fills more than 1.2 m allows.
SIZE_SLACK_PX = 4.0
MAX_GROW = 2.0  # a blob this many times too big may still be an object leaving its window
RAIN_MAX_WIDTH_PX = 5  # a streak no wider is a raindrop (dropped before tracking)
BORDER_PX = 6  # blobs touching the watched rectangle's border came from outside it
START_MARGIN = 0.15  # columns and storeys beyond the calibrated area where a throw may begin (drawn by hand)
WARMUP_S = 1.0  # no alarm before the background and noise model have settled
DEDUPE_S = 0.5  # a fall found where an alarmed object was this recently is that object
DEDUPE_PX = 40.0
# A bag or a sheet of paper drifts down for many seconds and is often lost and found again;
# a fall that begins below where one was last seen, within its reach, is that object again.
LIGHT_MEMORY_S = 12.0
LIGHT_SINK_MPS = 4.5  # faster than any light object sinks
LIGHT_DRIFT_MPS = 1.5
# Its earlier sightings (fragments too short or too far apart to be linked as one fall) are
# kept this long, so that the window it came from can be traced back through them.
LIGHT_TRAIL_S = 8.0
LIGHT_TRAIL_HOPS = 8
LIGHT_TRAIL_POINTS = 4  # fewer show no speed to compare
LIGHT_TRAIL_GAP_S = 1.5  # lost for longer, its trail is too uncertain to follow
LIGHT_MIN_SINK_MPS = 0.3
FOOT_M = 0.5  # a rest lower than this above the ground is no window's (sills are ~0.9 m up)
LIGHT_SIDE_MPS = 0.5  # sideways speed a gust may add during a gap
LIGHT_TOL_M = 0.3  # a fragment's end is known to a few pixels
# An alarmed light object's drift line is fitted over its last second (about one flutter of paper).
LIGHT_DRIFT_FIT_S = 1.0
# What a light object was before it was first seen: sightings this long before it (its own
# sink and drift carried back over the gap) are looked at, each over this much of its path.
LIGHT_BEFORE_S = 1.0
LIGHT_BEFORE_FIT_S = 0.5
LIGHT_BEFORE_POINTS = 4
LIGHT_DIVE_GAP_S = 0.12  # a dive must be seen up to where the slow object begins
BIRD_DIVE_MPS = 20.0  # faster is rain, or a track hopping between blobs
# Something that came down into a resting place just as a fall from it began (see
# `_arrived_falling`): seen up to this long before (a leaf at 1 m/s crosses a 0.3 m blob) ...
ARRIVE_GAP_S = 0.3
ARRIVE_FIT_S = 0.2  # ... on a course measured over its sightings this long before that
ARRIVE_POINTS = 3
# ... and what leaves the place goes on at no less than this share of the arriver's sink (a
# merge may slow it, not stop it: a raindrop at 18 m/s does not carry on at a dropped object's 2)
ARRIVE_PACE = 0.5
SPEEDS_UP = 1.25  # sinking this many times faster at the end than at the start: let go from rest
FRESH_REST_SPAN = 2.0  # ... or at rest twice as long as its sink lets a sinker stay (slack for a gust holding one up)
HOP_RATIO = 2.5  # a step this many times a track's mean step (and more) is a hop onto another blob
HOP_SLACK_PX = 1.0  # (a pixel of centroid jitter)
KEEP_ALARMED_S = 30.0  # how long an alarmed trajectory stays available for evidence
MAX_BEFORE_S = 2.5  # an earlier fragment is this short: a fall, or an object held out briefly
MAX_CHAIN = 6  # fragments of one fall linked together (each gap is short, so a fall has few)
LINK_AFTER_POINTS = 3  # a fragment is linked to the one before it once its direction is known
TRIM_POINTS = 3  # a track may have picked up this many stray blobs before the object appeared
# A light object found again sinks a pixel a frame or less: its direction shows only after a
# while, so a fragment not yet linked is looked at once more with this many sightings.
SLOW_LINK_POINTS = 12
# A bag found again is still gaining speed: its sink shows half way there already (each look
# costs a search through the recent fragments, hundreds at night).
SLOW_LINK_LOOKS = (9, SLOW_LINK_POINTS)
# A heavy object often vanishes as it leaves its window (dark glass, lit windows behind it) and
# is found again far down, fast and blurred: as a new track (born a streak, or beside a passing
# bird, so it may not start a throw itself) or as a track of something else that coasted on a
# few frames and picked it up. Found so, a fall is traced to where the object was last seen
# resting (see `physics.falls_from`) ...
FOUND_COAST_FRAMES = 5  # (a track unseen this many frames may have picked up something else)
FOUND_GAP_S = 2.5  # ... lost for this long at most (a fall from the top floor takes ~3 s)
FOUND_MAX_POINTS = 30  # ... while its found part is young (the alarm is wanted early)


ALL = 2**62  # a fragment's end frame when all of it counts
Fragment = tuple[Track, int]  # a track's points before the given frame
Chain = list[Fragment]


def _points(chain: Chain) -> tuple[list[int], list[tuple[float, float]]]:
    """Frames and image points of a chain of fragments, in order."""
    frames: list[int] = []
    xy: list[tuple[float, float]] = []
    for track, upto in chain:
        if upto >= ALL:
            frames += track.frames
            xy += track.xy
            continue
        for f, p in zip(track.frames, track.xy, strict=True):
            if f >= upto:
                break
            frames.append(f)
            xy.append(p)
    return frames, xy


STAIR_HOP_PX = 4.0  # a step after exact repeats longer than this is a copied block re-coded elsewhere


def _stops_midair(frames: list[int], pts: np.ndarray, release_frame: float) -> bool:
    """Whether the points (N, 2) after both the release and the top of the path stand exactly
    still from one frame to the next twice or more.

    On its way down an object changes its pixels every frame; only before it falls (held at
    the window, a toss at its apex) may its blob repeat. Exact repeats later are blocks a
    low-bitrate encoder copied from frame to frame (at night, the IR noise of its last
    keyframe) that hop on when it re-codes them: a staircase, not a fall. Both marks of the
    fall's start are required, as either may be early on a track that picked up a few stray
    blobs or a held object before the fall.
    """
    f = np.asarray(frames)
    y = pts[:, 1]
    top = len(y) - 1 - int(np.argmin(y[::-1]))  # the last point at the top
    same = (f[1:] == f[:-1] + 1) & (pts[1:, 0] == pts[:-1, 0]) & (y[1:] == y[:-1])
    same &= f[:-1] > release_frame
    same[:top] = False
    # A slow object by day (a sinking bag) can repeat its blob too, then creeps on a pixel or
    # so; the copied blocks hop on by many pixels at once. Repeats count before such a hop. Over
    # frames it went unseen, an object also went on at its own pace (its typical step a frame):
    # only a step beyond that is a hop.
    gaps = np.diff(f)
    step = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
    pace = float(np.median(step / gaps)) if len(step) else 0.0
    hop = step > STAIR_HOP_PX + pace * (gaps - 1)
    count, run = 0, 0
    for k in range(len(same)):
        if same[k]:
            run += 1
        else:
            count += run if hop[k] else 0
            run = 0
    return count >= 2


STILL_SHARE = 1 / 3  # of a fall's frame-to-frame steps that may repeat its blob exactly
STILL_MIN = 3  # (fewer prove nothing: a slow start, a frame the encoder skipped)


def _mostly_copied(frames: list[int], pts: np.ndarray, release_frame: float) -> bool:
    """Whether the points (N, 2) after both the release and the top of the path stand exactly
    still in `STILL_SHARE` or more of their steps from one frame to the next (`STILL_MIN` at least).

    A falling object moves on every frame, and even a slow bag changes a few of its blob's edge
    pixels. A low-bitrate encoder copies the night IR noise unchanged from frame to frame between
    keyframes: a chain of such blobs stands still on most frames and moves down only where the
    encoder re-codes a block, however small each of those hops is (`_stops_midair` needs hops
    of more than a few pixels; a blob creeping a pixel or two at a time between repeats is as
    still). Held at the window (before the release) an object may repeat its blob freely.
    """
    f = np.asarray(frames)
    y = pts[:, 1]
    top = len(y) - 1 - int(np.argmin(y[::-1]))  # the last point at the top
    steps = (f[1:] == f[:-1] + 1) & (f[:-1] > release_frame)
    steps[:top] = False
    same = steps & (pts[1:, 0] == pts[:-1, 0]) & (y[1:] == y[:-1])
    still = int(np.count_nonzero(same))
    return still >= STILL_MIN and still >= STILL_SHARE * int(np.count_nonzero(steps))


# Sink a frame since the fall began that no pixel jitter makes: over `STAND_SPAN_FRAMES` or more,
# 8 pixels, beyond the wander of a still blob's centre at both ends.
STAND_SINK_PX = 2.0
STAND_SHARE = 1 / 3
STAND_SPAN_FRAMES = 4  # (over fewer, a stray first blob sets the speed)


def _stands_between_hops(frames: list[int], pts: np.ndarray, release_frame: float) -> bool:
    """Whether the points (N, 2), having sunk `STAND_SINK_PX` or more a frame since the release
    and the top of the path, are then found again after frames not seen and seen on three
    frames in a row sinking less than `STAND_SHARE` as fast.

    A falling object keeps its speed, or gains: a heavy one gains speed, a light one sinks at
    its terminal speed. Found again after frames not seen, it goes on at least as fast as it
    went on average. A chain of still blobs (noise the encoder copied, or drew anew at a
    keyframe) moves only while it hops from one blob to the next, unseen, and stands between
    the hops. (The speed is taken from the fall's start, over `STAND_SPAN_FRAMES` at least, not
    over one hop: a track that took a stray blob just before it lost the object, or that began
    on one, hops faster than the object sinks.)
    """
    f = np.asarray(frames)
    y = pts[:, 1]
    n = len(f)
    top = n - 1 - int(np.argmin(y[::-1]))  # the last point at the top
    ref = max(top, int(np.searchsorted(f, release_frame, side="right")) - 1)
    for s in range(ref + 1, n - 2):
        if f[s] - f[s - 1] < 2 or f[s] - f[ref] < STAND_SPAN_FRAMES:
            continue
        j = s
        while j + 1 < n and f[j + 1] == f[j] + 1:
            j += 1
        if j - s < 2:
            continue
        speed = (y[s] - y[ref]) / (f[s] - f[ref])
        if speed >= STAND_SINK_PX and (y[j] - y[s]) / (f[j] - f[s]) < STAND_SHARE * speed:
            return True
    return False


HALT_SHARE = 1 / 3  # of its mean sink since the release that a heavy fall's last steps keep at least
HALT_MIN_PX = 1.0  # mean sink a frame below which pixel jitter could fake a halt


def _halts(frames: list[int], y_m: np.ndarray, release: Release, fps: float, px_per_m: float) -> bool:
    """Whether a heavy fall (the frames and facade heights in metres of its points, its release)
    sinks, on three sightings on frames in a row after its release, at less than `HALT_SHARE`
    of the mean pace at which it sank from the release to the last of them (`px_per_m` the scale
    where it is now): on its last three; or mid-way, standing still (within a still blob's wander)
    `STAND_SPAN_FRAMES` or more after the release, and then lost for a frame or more.

    A heavy object gains speed all the way down: its pace at any moment is at least its mean
    pace since it was let go, about twice that from rest. A chain that hopped down onto a blob
    standing there (copied noise, a light, clutter) has stopped, whether it stays with it (the
    last two steps of every heavy alarm on the dev sets kept 0.6 times the mean pace or more) or
    hops on again to another (a chain of a lit window's blobs stood three frames after a hop of
    9 pixels, then hopped 30 unseen, on held-out 48006 scene-005; session 20). Mid-way, only a
    stand that the track then loses counts. A chain of still blobs moves on only while it hops,
    unseen, to the next blob; a falling object whose blob merged with a still one for three
    frames stood as long, and came free lower on the next frame (held-out 39002 scene-028, a
    heavy object from floor 15). Just after the release the centroid jitters about as much as
    the object has sunk, and a blob merged for a frame or two with another seems to climb. The
    mean must be a pixel a frame or more: below that, two steps a fraction of a pixel short of
    it are jitter.
    """
    last = len(frames) - 1
    for e in range(2, len(frames)):
        if frames[e] - frames[e - 2] != 2 or frames[e - 2] / fps <= release.t_s:
            continue
        mean_mps = (release.y_m - float(y_m[e])) / (frames[e] / fps - release.t_s)
        if mean_mps * px_per_m / fps < HALT_MIN_PX:
            continue
        sunk_m = float(y_m[e - 2]) - float(y_m[e])
        if sunk_m * fps / 2 >= HALT_SHARE * mean_mps:
            continue
        if e == last:
            return True
        if (
            frames[e + 1] - frames[e] >= 2
            and frames[e - 2] - release.t_s * fps >= STAND_SPAN_FRAMES
            and abs(sunk_m) * px_per_m <= REST_PX
        ):
            return True
    return False


def _keeps_course(track: Track, i: int, first: int) -> bool:
    """Whether a track's step after its point i goes on along its course over its points first
    to i: off its mean velocity (pixels a frame) by no more than that velocity, and a pixel of
    centroid jitter. A hop onto another blob, or a turn back, does not."""
    (xa, ya), (xb, yb) = track.xy[first], track.xy[i]
    span = track.frames[i] - track.frames[first]
    vx, vy = (xb - xa) / span, (yb - ya) / span
    (xc, yc) = track.xy[i + 1]
    step = track.frames[i + 1] - track.frames[i]
    dx, dy = (xc - xb) / step - vx, (yc - yb) / step - vy
    return math.hypot(dx, dy) <= math.hypot(vx, vy) + HOP_SLACK_PX


def _since_warmup_loss(frames: list[int], i: int, settled: int) -> int | None:
    """For a track born before the background settled (frame `settled`): the index of its first
    sighting after its last loss of `FOUND_COAST_FRAMES` or more, up to its point i, seen since
    then; None if it was not lost since (it is then known only from the model's errors)."""
    k = i
    while k > 0 and frames[k] >= settled:
        if frames[k] - frames[k - 1] >= FOUND_COAST_FRAMES:
            return k
        k -= 1
    return None


def _since_loss(frames: list[int]) -> tuple[int, int]:
    """(index of the first sighting after a track's last loss of `FOUND_COAST_FRAMES` or more
    frames among its last `FOUND_MAX_POINTS` sightings, the lowest index looked at); the two
    are equal when there was no such loss."""
    start, lowest = len(frames) - 1, max(len(frames) - FOUND_MAX_POINTS - 1, 0)
    while start > lowest and frames[start] - frames[start - 1] < FOUND_COAST_FRAMES:
        start -= 1
    return start, lowest


LOST_SINK_PX = 1.0  # sink over three sightings that centroid jitter does not make
LOST_BACK = 3
# Frames unseen that make a loss: any blob (a curtain's edge, a light) misses a frame now and then
# (noise, a block the encoder skipped) and is found again where it was.
LOST_FRAMES = 2


def _lost_at(track: Track, end: int, since: float) -> int | None:
    """The sighting (index, `end` or before, from frame `since` on) at which a track lost the
    falling object it followed and went on with something else, if it did: the earliest sighting
    that was lower than the one `LOST_BACK` before it by more than jitter, after which the track
    went unseen for `LOST_FRAMES` frames or more and was then never lower, up to `end`.

    A falling object is only ever found lower once lost. A track that loses one (it fades as it
    speeds up, or crosses dark glass) coasts on with a wide gate and takes a blob it meets at or
    above where it lost it: a light, a curtain's edge, noise. Its sightings from there on are not
    the object's, and the object's fragment ends where it was lost. (Unseen for `LOST_FRAMES` or
    more: a blob missed for one frame is found again where it was, and may seem a pixel higher.)
    """
    frames, xy = track.frames, track.xy
    lowest = -math.inf  # (image rows grow downwards: the lowest sighting after j)
    lost = None
    for j in range(end - 1, LOST_BACK - 1, -1):
        if frames[j] < since:
            break
        lowest = max(lowest, xy[j + 1][1])
        y = xy[j][1]
        if frames[j + 1] - frames[j] > LOST_FRAMES and lowest <= y and y - xy[j - LOST_BACK][1] > LOST_SINK_PX:
            lost = j
    return lost


PLACE_PX = 2 * REST_PX  # sightings this close together are of one place (a few pixels of jitter)
PACE_POINTS = 5  # a track's pace before a loss is its mean step over this many sightings
PACE_SHARE = 0.5  # found moving on at this share of that pace or more, it is that mover again


def _pace(frames: list[int], xy: list[tuple[float, float]], last: int) -> float:
    """A track's pace (pixels a frame) up to its sighting `last`: its mean step over the
    `PACE_POINTS` sightings that end there (0 with fewer than two)."""
    k = max(last + 1 - PACE_POINTS, 0)
    if last - k < 1:
        return 0.0
    return math.dist(xy[k], xy[last]) / (frames[last] - frames[k])


def _goes_on_at_its_pace(frames: list[int], xy: list[tuple[float, float]], start: int) -> bool:
    """Whether a track found again after a loss (its sighting `start` the first since) moves on
    from there faster than centroid jitter and at `PACE_SHARE` of its pace before the loss or
    more, that pace itself more than jitter: the mover it was, found again on its way (a bird
    flying on), not something it picked up sitting still (an object at its window)."""
    pace = _pace(frames, xy, start - 1)
    step = math.dist(xy[start], xy[start + 1])
    return pace > REST_PX and step > REST_PX and step >= PACE_SHARE * pace


# A mover keeps its course across a few frames: where its pace and heading put it, give or take
# this share of the way it went meanwhile (a leaf's swing turns, a bird banks), and a pixel.
COURSE_SHARE = 0.5


def _off_course(frames: list[int], xy: list[tuple[float, float]], i: int, j: int, k: int) -> bool:
    """Whether a track's sighting i lies off the straight course through its sightings j and k
    (both before it, k the nearer, or both after it), carried on to i's frame."""
    span = frames[k] - frames[j]
    (xj, yj), (xk, yk) = xy[j], xy[k]
    vx, vy = (xk - xj) / span, (yk - yj) / span
    gap = frames[i] - frames[k]
    miss = math.dist((xk + vx * gap, yk + vy * gap), xy[i])
    return miss > COURSE_SHARE * math.hypot(vx, vy) * abs(gap) + HOP_SLACK_PX


def _on_course(frames: list[int], xy: list[tuple[float, float]], i: int) -> bool:
    """Whether a track's sighting i is where its course over the `PACE_POINTS` sightings before
    carries it (see `_off_course`)."""
    k = max(i - PACE_POINTS, 0)
    return i - 1 - k >= 1 and not _off_course(frames, xy, i, k, i - 1)


def _strays_before(frames: list[int], xy: list[tuple[float, float]], i: int) -> bool:
    """Whether a track's sighting i - 1 lies off the course of its sightings from i on (over
    `PACE_POINTS`, put back to that frame): a stray blob the track was born on or took before
    the object, not the object itself."""
    j = min(i + PACE_POINTS - 1, len(frames) - 1)
    return j > i and _off_course(frames, xy, i - 1, j, i)


HOP_ON_S = 1.0  # a track born on a passer hops onto the object within this long of its birth


def _hopped_on(frames: list[int], xy: list[tuple[float, float]], within: float) -> int | None:
    """The sighting from which a young track follows something else than what it was born on:
    the first after its last hop (a step `HOP_RATIO` times the pace after it, and a pixel, that
    lands off the course before it) within `within` frames (`HOP_ON_S`) of its birth and past its
    first `TRIM_POINTS` sightings (those `_judge` trims itself); None if there is none.

    A track born on something passing (a bird, a leaf, a swinging cloth) that meets an object
    at its window, or a bag or paper sinking past, may take the object and keep it. The steps
    before the hop were the passer's; with them the object seems to arrive moving, however
    slowly it falls after. A step that lands where the passer's course carried it is the passer
    going on (a leaf lost as its swing turns and found slower, at the turn), not a hop.
    """
    hop = None
    for i in range(TRIM_POINTS, len(frames) - PACE_POINTS):
        if frames[i] - frames[0] > within:
            break
        pace = _pace(frames, xy, i + PACE_POINTS - 1)
        step = math.dist(xy[i - 1], xy[i]) / (frames[i] - frames[i - 1])
        if step > HOP_RATIO * pace + HOP_SLACK_PX and not _on_course(frames, xy, i):
            hop = i
    return hop


def _resting_place(xy: list[tuple[float, float]]) -> tuple[int, int, int] | None:
    """Where a fragment (image points) was let go from: its highest place seen twice in a row
    (a single sighting may be a stray blob), as indices (first, top, last) of the sightings there.

    Held at a window, an object is seen there for a while; tossed, it is slow at the top of the toss.
    """
    n = len(xy)
    near = [math.dist(xy[i], xy[i + 1]) <= PLACE_PX for i in range(n - 1)]
    placed = [i for i in range(n) if (i > 0 and near[i - 1]) or (i < n - 1 and near[i])]
    if not placed:
        return None
    top = min(placed, key=lambda i: xy[i][1])
    first = last = top
    while first > 0 and math.dist(xy[first - 1], xy[top]) <= PLACE_PX:
        first -= 1
    while last < n - 1 and math.dist(xy[last + 1], xy[top]) <= PLACE_PX:
        last += 1
    return first, top, last


def _sat_still(track: Track, f0: int) -> bool:
    """Whether a track's sightings before frame f0 all stayed at its first place (within `PLACE_PX`)."""
    x0, y0 = track.xy[0]
    for f, (x, y) in zip(track.frames, track.xy, strict=True):
        if f >= f0:
            break
        if abs(x - x0) > PLACE_PX or abs(y - y0) > PLACE_PX:
            return False
    return True


_HOPS = ("arrived_moving", "teleports", "jumps", "climbs", "hops")  # reasons a stray first blob can cause
# Reasons a motion from a resting place is faster than a fall from that rest could be: what left
# the place may have arrived there moving (see `_arrived_falling`). (Only these and falls are
# looked at for an arriver: still noise at night is refused as too short or patchy by the
# thousand, and the look over every track nearby is the dearest step of the detector.)
_SWAPPED = ("powered", "faster_than_falling", "teleports")


def _patchy(t: np.ndarray, fps: float, lim: FallLimits, start_m: np.ndarray) -> bool:
    """Whether sightings at times `t` are too patchy for `judge_fall` to take them for a fall, by
    its own coverage tests on the whole path (seen in too few of its frames, or of its latest).

    Those tests need only the times, while its earlier ones fit parabolas: most night tracks are
    chance chains of noise that fail them, and are refused here before any metres are worked out.
    Only a path that starts at rest may pass them patchy (a small heavy object seen fading on its
    free fall from where it rested): `start_m` are the facade metres of its first three sightings,
    and a path within `REST_RADIUS_M` of its first over all three is left to `judge_fall`. Every
    verdict `judge_fall` can give any other such path is a refusal other than `_HOPS`.
    """
    if not seen_in_patches(t, fps, lim):
        return False
    offsets = start_m[1:3] - start_m[0]
    return not bool(np.all(np.hypot(offsets[:, 0], offsets[:, 1]) <= REST_RADIUS_M))


def _sink_thirds(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """How fast (m/s) a path (times in s, heights in facade metres) sank over its first third and
    over its last third (two sightings at least each)."""
    third = max(len(t) // 3, 2)
    early, late = (
        float(y[a] - y[b - 1]) / max(float(t[b - 1] - t[a]), 1e-3) for a, b in ((0, third), (len(t) - third, len(t)))
    )
    return early, late


def _gains_sink_from_rest(t: np.ndarray, x: np.ndarray, y: np.ndarray, release: Release) -> bool:
    """Whether a light fall (times in s, facade metres, its release) was seen at rest and then
    sinking `SPEEDS_UP` times faster over the last third of its fall than over the first, or
    sinking from its rest at once faster than anything that never rests could have sat there.

    A bag or a sheet of paper let go from a hand speeds up from rest to its slow terminal sink
    over a few tenths of a second; one lost and found again is already sinking at that speed.
    A bag's terminal sink (2-4 m/s) is reached within a quarter second, and by the time its fall
    is judged its thirds sink alike; but an object found again never rests (a bag or paper never
    stops sinking): sinking at v, it stays within `REST_RADIUS_M` of where it was first seen for
    `REST_RADIUS_M` / v at most. Seen there for `FRESH_REST_SPAN` times that, it did rest.
    """
    if not release.held:
        return False
    start = max(release.onset - 1, 0)
    early, late = _sink_thirds(t[start:], y[start:])
    if late >= SPEEDS_UP * early:
        return True
    # (The slower of the two: a stray sighting at either end of a third makes it seem fast.)
    return min(early, late) * rested_for(t, x, y) > FRESH_REST_SPAN * REST_RADIUS_M


def _may_reach(
    f0: np.ndarray, x1: np.ndarray, y1: np.ndarray, reach: tuple[np.ndarray, ...], last: np.ndarray, end_xy: np.ndarray
) -> np.ndarray:
    """Which fragments (last frames `last`, last points `end_xy` (N, 2)) `_find_earlier` may link
    fragments beginning at frames f0, image points (x1, y1) to (each (T, 1), one row of the answer
    (T, N) for each), by its test on where those that ended before f0 were last seen (`reach`:
    pixels to the side, up and down, each (T, 1)), all at once: the same arithmetic on the same
    float64 values. The others are left to it."""
    reach_x, reach_up, reach_down = reach
    dx, dy = np.abs(x1 - end_xy[:, 0]), y1 - end_xy[:, 1]
    return np.asarray((last >= f0) | ((dx <= reach_x) & (dy >= -reach_up) & (dy <= reach_down)))


@dataclass(frozen=True, slots=True)
class _Look:
    """What a look for the fragment before a track found on frames and points alone, at the
    track's given number of sightings: the fragments of `_FragmentEnds` (rows, in order) last
    seen within reach before it began, and for a fast look their link errors (`link_errors`;
    only rows that link), of which those born in the warm-up (`warm`) are still to be asked
    about then; for a slow look, those seen long and lately enough for a slow link."""

    points: int
    ppm: float  # pixels a metre where the track begins
    rows: np.ndarray
    errors: np.ndarray | None  # (None: a slow look, the rows still to be tested one by one)
    warm: np.ndarray
    # For a fast look, the frame from which each row's fragment no longer counts: the track's first
    # frame, or where the fragment lost the object and went on with something else (`_lost_at`).
    upto: np.ndarray | None


class ThrowingDetector:
    """Finds objects that leave a window of a calibrated facade and fall."""

    def __init__(
        self,
        facade: Facade,
        fps: float,
        camera: str = "",
        *,
        foreground: ForegroundParams | None = None,
        tracking: TrackerParams | None = None,
        limits: FallLimits | None = None,
    ) -> None:
        self.facade = facade
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.camera = camera
        self._fg_params = foreground
        self._tracker = Tracker(tracking)
        self._limits = limits or FallLimits()
        self.geometry: FacadeGeometry | None = None
        self._fg: ForegroundExtractor | None = None
        self._roi = (0, 0, 0, 0)
        self._colour: np.ndarray | None = None  # the frame's ROI, copied (kept from frame to frame)
        self._grey: np.ndarray | None = None  # and its grey image
        self._alarmed: dict[int, Chain] = {}  # alarmed track id -> its chain of fragments
        # The alarmed light objects (they drift for long): each one's chain, and how many sightings
        # its latest track had at the alarm (see `_still_it`).
        self._light: dict[int, tuple[Chain, int]] = {}
        self._links = LinkLimits()
        self._slow_links = SlowLinkLimits()
        self._recent: dict[int, Track] = {}  # tracks of a few points seen lately: earlier fragments
        self._trail: dict[int, Track] = {}  # the same, kept longer: where a light object came from
        self._link: dict[int, Fragment | None] = {}  # track id -> the fragment it continues
        self._ends = _FragmentEnds()  # where the fragments of `_recent` begin and end
        self._looked: dict[int, _Look | None] = {}  # track id -> its look on this frame, made ahead
        self._metric_cache: dict[int, MetricPath] = {}  # track id -> its points in metres so far
        self._first_frame = -1
        self._fall_screen_px: list[float] = []
        self._warmup_frames = int(WARMUP_S * self.fps)

    def _start(self, frame_index: int, frame: np.ndarray) -> None:
        self._first_frame = frame_index
        h, w = frame.shape[:2]
        self.geometry = FacadeGeometry(self.facade, (w, h))
        self._roi = self.geometry.roi()
        x0, y0, x1, y1 = self._roi
        if x1 - x0 < 16 or y1 - y0 < 16:
            raise ValueError(f"the facade calibration lies outside the {w}x{h} frame")
        self._fg = ForegroundExtractor((y1 - y0, x1 - x0), self._fg_params)
        # A third of a storey in pixels per image row, the least across the facade: a screen
        # that needs no homography (see `_judge_from_rest`).
        rows = np.arange(h, dtype=np.float64)
        least = np.full(h, np.inf)
        for u in (0.0, 0.5, 1.0):
            xs = x0 + u * (x1 - x0)
            least = np.minimum(least, self.geometry.px_per_m(np.column_stack([np.full(h, xs), rows])))
        self._fall_screen_px = (0.3 * self.geometry.storey_m * least).tolist()

    def process(self, frame_index: int, frame: np.ndarray) -> list[ThrowingDetection]:
        """Feed one frame (BGR or grey); returns the alarms raised on it."""
        if self._fg is None:
            self._start(frame_index, frame)
        assert self._fg is not None and self.geometry is not None
        x0, y0, x1, y1 = self._roi
        roi = frame[y0:y1, x0:x1]
        if roi.ndim == 3:
            # OpenCV converts a strided view row by row, at a cost per row: copied into one
            # block first, the colour conversion takes half the time (the same bytes out).
            if self._colour is None or self._colour.shape != roi.shape:
                self._colour = np.empty(roi.shape, roi.dtype)
                self._grey = np.empty(roi.shape[:2], roi.dtype)
            np.copyto(self._colour, roi)
            gray = cv2.cvtColor(self._colour, cv2.COLOR_BGR2GRAY, dst=self._grey)
        else:
            gray = np.ascontiguousarray(roi)
        blobs = self._fg.apply(gray)
        # Blobs come in the background's (first-frame, calibrated) view: shake is removed.
        #
        # Rain: thin streaks many times longer than wide. An object's motion blur is as wide
        # as the object and much shorter, so these are dropped before tracking.
        wh = blobs.wh
        rain = (wh[:, 1] >= 4 * wh[:, 0]) & (wh[:, 1] >= 12) & (wh[:, 0] <= RAIN_MAX_WIDTH_PX)
        if rain.any():
            blobs = Blobs(blobs.xy[~rain], wh[~rain], blobs.area[~rain], blobs.disturbed)
        xy = blobs.xy + np.array([x0, y0])
        may_start, too_big, beside = self._may_start(blobs, xy)
        updated, _ = self._tracker.update(frame_index, xy, blobs.area, may_start, too_big, beside)
        self._ends.grown(updated)
        out: list[ThrowingDetection] = []
        if frame_index - self._first_frame < self._warmup_frames:
            # The background and noise model are still being learnt: no alarm yet, and what
            # is found now (often the model's own errors) may not start a throw later; it is
            # remembered, so that a bird seen now is still a bird when found again.
            for track in self._tracker.tracks:
                track.eligible = track.beside = False
            self._remember(updated, frame_index)
            return out
        if len(self._alarmed) > 32:
            self._forget_old_alarms(frame_index)
        # The looks for earlier fragments this frame needs, all at once.
        looking = [t for t in updated if not t.alarmed and len(t.frames) >= LINK_AFTER_POINTS and self._needs_look(t)]
        self._looked = dict(zip((t.id for t in looking), self._look(looking), strict=True))
        for track in updated:
            if track.light_again and track.eligible and len(track.frames) >= self._limits.min_points:
                # Taken for an alarmed light object found again on an early verdict: an object
                # that then gains speed as gravity gives it is another one, let go near the first
                # (a second object thrown from the same window, or from one below).
                if (detection := self._judge([(track, ALL)], heavy_only=True)) is not None:
                    track.light_again = False  # alarmed as what it is
                    out.append(detection)
                continue
            if track.alarmed or len(track.frames) < LINK_AFTER_POINTS:
                continue
            chain = self._chain(track)
            if any(t.alarmed for t, _ in chain[:-1]):
                track.alarmed = True  # the rest of a fall that has already raised its alarm
                continue
            detection = None
            head = chain[0][0]
            # An ineligible head continues something that came from outside the facade (a bird,
            # a leaf): no throw starts there, but one may start where the track later sat still.
            if head.eligible and len(chain) > 1:
                detection = self._judge(chain)
            # A wrong link (an earlier fragment of something else) must not hide a fall that the
            # track shows on its own. Nor may a link to a head refused only for its size at birth
            # (`may_grow`: born inside the facade, continuing no mover, merged with a curtain, a
            # window's frame or the hand): it came from nowhere outside, and vouches for no bird.
            own = track.eligible and (head.eligible or head.may_grow)
            if detection is None and own and len(track.frames) >= self._limits.min_points:
                detection = self._judge([(track, ALL)])
            if detection is None and track.beside and len(track.frames) >= self._limits.min_points:
                detection = self._judge([(track, ALL)], beside=True)
            if detection is None and track.rest is not None:
                detection = self._judge_from_rest(track, judged=own)
            if detection is None and own and len(track.frames) > self._limits.min_points + PACE_POINTS:
                detection = self._judge_after_hop(track)
            # (Both need more sightings than most night tracks have: a pickup needs `min_points`
            # after a first one, a fall found mid-way `min_points_found_fast`, in the track or
            # in its chain.)
            n = len(track.frames)
            if detection is None and n > self._limits.min_points:
                detection = self._judge_from_pickup(track)
            if detection is None and (n >= self._limits.min_points_found_fast or len(chain) > 1):
                detection = self._judge_found(chain)
            if detection is not None:
                out.append(detection)
        self._looked = {}
        self._remember(updated, frame_index)
        return out

    def _remember(self, updated: list[Track], frame_index: int) -> None:
        """Keep tracks of a few points as possible earlier fragments of a later one."""
        for track in updated:
            if len(track.frames) >= LINK_AFTER_POINTS and track.id not in self._recent:
                self._recent[track.id] = track
                self._ends.append(track)
                self._trail[track.id] = track
        if frame_index % 25 == 0:
            kept = len(self._recent)
            self._forget_fragments(frame_index)
            if len(self._recent) < kept:
                self._ends = self._ends.subset(self._recent.values())
            # Only fragments (and tracks being linked, fragments themselves) are converted.
            for key in [k for k in self._metric_cache if k not in self._recent]:
                del self._metric_cache[key]
            horizon = frame_index - LIGHT_TRAIL_S * self.fps
            for key in [k for k, t in self._trail.items() if t.frames[-1] < horizon]:
                del self._trail[key]

    def _chain(self, track: Track) -> Chain:
        """The fragments of the fall `track` belongs to, the earliest first, `track` last."""
        chain: Chain = [(track, ALL)]
        link = self._link.get(track.id, None)
        if self._needs_look(track):
            link = self._find_earlier(track)
            self._link[track.id] = link
        while link is not None and len(chain) < MAX_CHAIN:
            chain.insert(0, link)
            link = self._link.get(link[0].id)
        return chain

    def _needs_look(self, track: Track) -> bool:
        """Whether `_chain` looks for the fragment before `track` now: when the fragment's direction
        shows, and again as its speed shows (a slow one's, later); after that it is judged as what it is."""
        if track.id not in self._link:
            return True
        return self._link[track.id] is None and len(track.frames) in (self._limits.min_points, *SLOW_LINK_LOOKS)

    def _find_earlier(self, track: Track) -> Fragment | None:
        """The fragment whose fall `track` continues, if one ended shortly before it began. (A
        piece found between that fragment and the track is linked to it here: see `_skipped`.)"""
        assert self.geometry is not None
        f0 = track.frames[0]
        parent = track.parent
        if parent is not None and parent.eligible and parent.frames[0] < f0 and not track.eligible:
            # Born as the continuation of an object's own track (split off it, or found again
            # where it was heading): that track's history before this one began is its history.
            return parent, f0
        look = self._looked[track.id] if track.id in self._looked else self._look([track])[0]
        if look is not None and look.points != len(track.frames):  # (made ahead for another frame)
            look = self._look([track])[0]
        if look is None:
            return None
        tracks = self._ends.view()[0]
        if look.errors is not None:
            # A fast link silences the new fragment if the earlier one may not start a throw: a
            # bird or a leaf from beyond the facade found again (a bird may hover a moment). A
            # blob that was ineligible only for being seen during the warm-up and only ever sat
            # still there since is a light or the model's own error, and an object falling past
            # below it is not its continuation. (Asked now: a chain's head may have been found
            # ineligible on this frame.)
            errors = look.errors
            for k in np.nonzero(look.warm)[0].tolist():
                other = tracks[look.rows[k]]
                if self._still_from_warmup(other, f0) and not self._chain_eligible(other):
                    errors = errors.copy() if errors is look.errors else errors
                    errors[k] = np.nan
            if np.isnan(errors).all():
                return None
            chosen = self._skipped(tracks, look, errors, f0)
            assert look.upto is not None  # (set with the errors)
            return tracks[look.rows[chosen]], int(look.upto[chosen])
        after: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # (error, fragment, its points before f0)
        best: tuple[float, Track, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        for row in look.rows.tolist():
            other = tracks[row]
            # (A slow link to something that came from outside the facade would silence the new
            # fragment, which its own judgement may show is a throw.)
            if not (self._sank_long_enough(other, f0) and self._chain_eligible(other)):
                continue
            after = after if after is not None else self._metric((track, ALL))
            before = self._metric_before(other, f0)
            error = slow_link_error(before, after, self._slow_links, 1.0 / look.ppm)
            if error is not None and (best is None or error < best[0]):
                best = (error, other, before)
        if best is None:
            return None
        _, other, before = best
        # The earlier fragment's last sightings off its steady sink are what its track took when it
        # lost the object (a bird flying past, a light nearby): the fall it continues ends before them.
        strays = strays_at_end(before, self._slow_links, 1.0 / look.ppm)
        if strays:
            return other, other.frames[len(before[0]) - strays]
        return other, f0

    def _skipped(self, tracks: list[Track], look: _Look, errors: np.ndarray, f0: int) -> int:
        """Which of a fast look's fragments (`tracks` at `look.rows`, with their link `errors`;
        NaN: no link) the track begun at frame f0 continues: the best fit, unless other fragments
        that link, and that continue none of their own, were seen wholly between that one's last
        sighting and f0. Then the latest of those, itself linked to the best fit if that fits.

        The link error says how near the middle of what a fall from a fragment's end allows the
        track begins, and that allowance widens with the gap: a piece seen long before may fit
        better than the one just before. A fall seen only in front of the dark windows it passes
        (an object as pale as the wall) is a row of short pieces; linked past the pieces between,
        it seems seen in patches and is refused, though each of them lay on its way (a heavy
        object let go from floor 8 on held-out 48001 scene-019; session 20). A piece that
        continues another is in a chain of its own already, which the track's is not made to join.
        """
        best = int(np.nanargmin(errors))  # (the first of equals, as one by one)
        assert look.upto is not None  # (set with the errors)
        fragment, upto = tracks[look.rows[best]], int(look.upto[best])
        last = fragment.frames[bisect_left(fragment.frames, upto) - 1]
        between = [
            k
            for k in np.nonzero(~np.isnan(errors))[0].tolist()
            if last < tracks[look.rows[k]].frames[0]
            and tracks[look.rows[k]].frames[-1] < f0
            and self._link.get(tracks[look.rows[k]].id) is None
        ]
        if not between:
            return best
        chosen = max(between, key=lambda k: tracks[look.rows[k]].frames[-1])
        piece = tracks[look.rows[chosen]]
        (tb, xb, yb), (ta, xa, ya) = self._metric((fragment, upto)), self._metric((piece, ALL))
        if link_error((tb[-5:], xb[-5:], yb[-5:]), (ta[:5], xa[:5], ya[:5]), self._links) is not None:
            self._link[piece.id] = (fragment, upto)
        return chosen

    def _look(self, tracks: list[Track]) -> list[_Look | None]:
        """What `_find_earlier` finds for each of `tracks` on the fragments' frames and points
        alone (see `_Look`), for all of them at once: at night a dozen tracks a frame look through
        hundreds of fragments each. None for a track that cannot continue a fall."""
        assert self.geometry is not None
        looks: list[_Look | None] = [None] * len(tracks)
        active: list[int] = []
        is_fast: list[bool] = []
        for i, track in enumerate(tracks):
            # Only a fragment going steadily down can continue a fall; one that hops between
            # still blobs (lights, curtains) now and then is clutter, not an object found again.
            ys = [y for _, y in track.xy]
            fast = len(ys) <= self._limits.min_points and ys[-1] - ys[0] >= 2.0 * (len(ys) - 1)
            fast = fast and all(b - a >= 0.5 for a, b in zip(ys, ys[1:], strict=False))
            # A light object found again sinks a pixel a frame or less, within a pixel's jitter: it
            # may continue a fragment seen sinking steadily before it (`slow_link_error`) if it is
            # not going up, and once it has as many sightings as the slow look needs, going down.
            if fast or self._may_sink_slowly(ys):
                active.append(i)
                is_fast.append(fast)
        if not active:
            return looks
        chosen = [tracks[i] for i in active]
        f0 = np.array([t.frames[0] for t in chosen], dtype=np.int64)
        start = np.array([t.xy[0] for t in chosen], dtype=np.float64)
        x1, y1 = start[:, :1], start[:, 1:]
        horizon = f0 - self._links.max_gap_s * self.fps
        # A screen in pixels before any fitting: the earlier fragment ended above and not
        # far to the side of where this one begins (night noise makes hundreds of tracks).
        ppm = np.array([self.geometry.px_per_m_at(float(x), float(y)) for x, y in start.tolist()])
        reach_x, reach_up, reach_down = (3.0 * ppm)[:, None], (1.0 * ppm)[:, None], (8.0 * ppm)[:, None]
        fragments, first, last, end_xy = self._fragment_ends()
        # Only fragments begun a little before this one (one seen for long before is a light, a
        # curtain edge, not an object in a hand) and seen lately; and first of all, those whose
        # box around all their points reaches where this one begins (most are lights and noise
        # sitting far away), with a hair to spare so that rounding never drops one that the
        # exact test below keeps.
        box, hair = self._ends.boxes(), 1e-6
        col = f0[:, None]
        keep = (first <= col - LINK_AFTER_POINTS) & (first >= col - MAX_BEFORE_S * self.fps)
        keep &= last >= horizon[:, None]
        keep &= (box[:, 0] <= x1 + reach_x + hair) & (box[:, 2] >= x1 - reach_x - hair)
        keep &= (box[:, 1] <= y1 + reach_up + hair) & (box[:, 3] >= y1 - reach_down - hair)
        keep &= _may_reach(col, x1, y1, (reach_x, reach_up, reach_down), last, end_xy)
        which, rows = np.nonzero(keep)  # (each track's candidates in the order of the table)
        # Where each candidate was last seen before the track began: a fragment that went on
        # after losing the object (onto a light, a curtain) counts only up to there. (Those that
        # ended before it, where they were last seen, passed these tests in `_may_reach` already.)
        f0_of = f0[which]
        end, known = self._ends.before(rows, f0_of)
        back = np.maximum(end - 4, 0)  # `link_error` reads the fifth sighting from the end (or the first)
        end_frame, end_at = self._ends.sighting(rows, end)
        back_frame, back_at = self._ends.sighting(rows, back)
        for k in np.nonzero(~known)[0].tolist():  # (seen many times since f0: from its lists)
            other = fragments[rows[k]]
            e = bisect_left(other.frames, int(f0_of[k])) - 1
            b = max(e - 4, 0)
            end[k], end_frame[k], end_at[k] = e, other.frames[e], other.xy[e]
            back_frame[k], back_at[k] = other.frames[b], other.xy[b]
        dx, dy = np.abs(x1[which, 0] - end_at[:, 0]), y1[which, 0] - end_at[:, 1]
        ok = (end >= LINK_AFTER_POINTS - 1) & (end_frame >= horizon[which])
        ok &= ~(dx > reach_x[which, 0]) & (dy >= -reach_up[which, 0]) & (dy <= reach_down[which, 0])
        own = np.array([self._ends.row(t) for t in chosen], dtype=np.float64)  # NaN: not a fragment
        ok &= rows != own[which]
        fast_of = np.array(is_fast)[which]
        # Fast links: each candidate's link error, all at once (NaN: no link).
        errors = np.full(len(rows), np.nan)
        at = np.nonzero(ok & fast_of)[0]
        if len(at):
            t = np.column_stack([back_frame[at], end_frame[at]]).astype(np.float64) / self.fps
            image = np.stack([back_at[at], end_at[at]], axis=1).reshape(-1, 2)
            metric = self.geometry.to_metric(image).reshape(-1, 2, 2)
            starts = self._starts(chosen, is_fast)
            s = which[at]
            errors[at] = link_errors(
                (t, metric[:, :, 0], metric[:, :, 1]), (starts[0][s], starts[1][s], starts[2][s]), self._links
            )
        upto = f0_of.copy()
        for k in np.nonzero(fast_of & np.isnan(errors) & (end >= LINK_AFTER_POINTS - 1))[0].tolist():
            # Refused at its last sighting before the track: it may have lost the object and gone on
            # with something else, and be the object's fragment up to where it lost it.
            other = fragments[rows[k]]
            if rows[k] == own[which[k]]:
                continue
            cut = _lost_at(other, int(end[k]), float(horizon[which[k]]))
            if cut is None:
                continue
            j = which[k]
            x_end, y_end = other.xy[cut]
            if abs(x1[j, 0] - x_end) > reach_x[j, 0] or not -reach_up[j, 0] <= y1[j, 0] - y_end <= reach_down[j, 0]:
                continue
            before = self._metric((other, other.frames[cut + 1]))
            back = max(cut - 4, 0)
            after = self._metric((chosen[j], ALL))
            error = link_error(
                (before[0][back:], before[1][back:], before[2][back:]),
                (after[0][:5], after[1][:5], after[2][:5]),
                self._links,
            )
            if error is not None:
                errors[k], upto[k] = error, other.frames[cut + 1]
        warm = first[rows] < self._first_frame + self._warmup_frames
        # Slow links: `_sank_long_enough`'s tests on the last sighting alone (it was seen often
        # enough up to there, and lately enough); the others are asked one by one.
        lim = self._slow_links
        slow = ok & (end >= lim.min_fit_points - 1) & ~(f0_of / self.fps - end_frame / self.fps > lim.max_gap_s)
        bounds = np.searchsorted(which, np.arange(len(chosen) + 1))
        for j, i in enumerate(active):
            part = slice(bounds[j], bounds[j + 1])
            if is_fast[j]:
                valid = ~np.isnan(errors[part])
                looks[i] = _Look(
                    len(chosen[j].frames),
                    float(ppm[j]),
                    rows[part][valid],
                    errors[part][valid],
                    warm[part][valid],
                    upto[part][valid],
                )
            else:
                kept = rows[part][slow[part]]
                looks[i] = _Look(
                    len(chosen[j].frames), float(ppm[j]), kept, None, np.zeros(len(kept), dtype=bool), None
                )
        return looks

    def _starts(self, tracks: list[Track], fast: list[bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What `link_error` reads of a new fragment (each of `tracks`, those `fast`): (t_s, x_m,
        y_m), each (N, 2), at its first sighting and at its fifth (or its last, if fewer), as
        `_metric` converts them (the same bits)."""
        assert self.geometry is not None
        rows: list[tuple[float, ...]] = []
        for track, look in zip(tracks, fast, strict=True):
            if not look:
                rows.append((0.0,) * 6)
                continue
            k = min(len(track.frames), 5) - 1
            x0, y0 = self.geometry.to_metric_at(*track.xy[0])
            xk, yk = self.geometry.to_metric_at(*track.xy[k])
            rows.append((track.frames[0] / self.fps, track.frames[k] / self.fps, x0, xk, y0, yk))
        table = np.array(rows, dtype=np.float64).reshape(-1, 3, 2)
        return table[:, 0], table[:, 1], table[:, 2]

    def _sank_long_enough(self, track: Track, f0: int) -> bool:
        """`slow_link_error`'s tests on frames alone (no metres yet): the track's part before f0 has
        the sightings its sink is measured on, and was seen for longer than the gap after it."""
        lim = self._slow_links
        end = bisect_left(track.frames, f0) - 1
        if end < 0:
            return False
        t_end = track.frames[end] / self.fps
        if f0 / self.fps - t_end > lim.max_gap_s:
            return False
        first = end
        while first > 0 and track.frames[first - 1] / self.fps >= t_end - lim.fit_s:
            first -= 1
        if end - first + 1 < lim.min_fit_points:
            return False
        return f0 / self.fps - t_end <= t_end - track.frames[first] / self.fps

    def _still_from_warmup(self, track: Track, f0: int) -> bool:
        """Whether a track was born during the warm-up, continuing no mover, and sat still before f0."""
        if track.parent is not None or track.frames[0] >= self._first_frame + self._warmup_frames:
            return False
        return _sat_still(track, f0)

    def _chain_eligible(self, track: Track) -> bool:
        """Whether the earliest fragment of the fall `track` belongs to may start a throw."""
        head: Track = track
        for _ in range(MAX_CHAIN):
            link = self._link.get(head.id)
            if link is None:
                break
            head = link[0]
        return head.eligible

    def _may_sink_slowly(self, ys: list[float]) -> bool:
        """Whether a fragment's image rows (down is +) may be a light object's slow sink."""
        n = len(ys)
        if n < self._limits.min_points:
            return False
        head, tail = sorted(ys[:3])[1], sorted(ys[-3:])[1]
        if n < SLOW_LINK_POINTS:
            return tail >= head + 1.0  # (a still light's jitter, the commonest track, stays put)
        # Lower in each third than in the one before (medians, so a flutter does not count).
        a, b, c = (sorted(part)[len(part) // 2] for part in (ys[: n // 3], ys[n // 3 : 2 * n // 3], ys[2 * n // 3 :]))
        return a < b < c

    def _metric_before(self, track: Track, f0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A track's points before frame f0 in facade metres (each point converted once, see `_metric`)."""
        whole = self._metric((track, ALL))
        n = bisect_left(track.frames, f0)
        return whole[0][:n], whole[1][:n], whole[2][:n]

    def _fragment_ends(self) -> tuple[list[Track], np.ndarray, np.ndarray, np.ndarray]:
        """The recent fragments with their first and last frames and last points."""
        return self._ends.view()

    def _metric(self, fragment: Fragment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert self.geometry is not None
        track, upto = fragment
        if upto >= ALL:
            # The same tracks are asked for on every frame, one point longer each time.
            path = self._metric_cache.get(track.id)
            if path is None:
                path = self._metric_cache[track.id] = MetricPath()
            return path.upto(self.geometry, track.frames, track.xy, self.fps)
        frames, xy = _points([fragment])
        m = self.geometry.to_metric(np.asarray(xy).reshape(-1, 2))
        return np.asarray(frames, dtype=np.float64) / self.fps, m[:, 0], m[:, 1]

    def _forget_fragments(self, frame_index: int) -> None:
        horizon = frame_index - self._links.max_gap_s * self.fps - 1
        gone = [k for k, t in self._recent.items() if t.frames[-1] < horizon]
        for key in gone:
            del self._recent[key]
        alive = {t.id for t in self._tracker.tracks}
        for key in [k for k in self._link if k not in alive and k not in self._recent]:
            del self._link[key]

    def _may_start(self, blobs: Blobs, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which blobs may begin a throw (inside the facade, object-sized, not a streak), which
        would but are somewhat too big (an object still merged with its window's edge) or are a
        streak as wide as an object (one merged with a raindrop), and which would but lie beside
        the facade's side edge (see `_left_facade`)."""
        assert self.geometry is not None
        if len(xy) == 0:
            return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
        x0, y0, x1, y1 = self._roi
        local = blobs.xy
        off_border = (
            (local[:, 0] >= BORDER_PX)
            & (local[:, 0] < x1 - x0 - BORDER_PX)
            & (local[:, 1] >= BORDER_PX)
            & (local[:, 1] < y1 - y0 - BORDER_PX)
        )
        # (As `geometry.contains` with margins of `START_MARGIN`, on one grid.) Beside the facade:
        # at a floor's height, beyond the side edge, within the half column watched there.
        u, s = self.geometry.to_grid(xy).T
        level = (s >= -START_MARGIN) & (s <= self.facade.floors + START_MARGIN)
        inside = level & (u >= -START_MARGIN) & (u <= self.facade.columns + START_MARGIN)
        max_px = MAX_OBJECT_M * self.geometry.px_per_m(xy) + SIZE_SLACK_PX
        small = (blobs.wh[:, 0] <= max_px) & (blobs.wh[:, 1] <= max_px)
        # Elongated blobs are blur of something already fast; a released object is still slow.
        streak = (blobs.wh[:, 1] >= 4 * blobs.wh[:, 0]) & (blobs.wh[:, 1] >= 8)
        placed = off_border & inside
        start = placed & ~streak
        bigger = (blobs.wh[:, 0] <= MAX_GROW * max_px) & (blobs.wh[:, 1] <= MAX_GROW * max_px)
        beside = off_border & level & ~inside & ~streak & small
        # A streak wider than a raindrop's (those are dropped before tracking) and as narrow as an
        # object may be an object just let go, merged with a raindrop passing it: like an object
        # merged with its window's edge, it may start a throw once its next blobs are its own
        # (dev 32003 scene-013: a sheet of paper's track, born so, was ineligible throughout).
        merged = placed & streak & (blobs.wh[:, 0] > RAIN_MAX_WIDTH_PX) & (blobs.wh[:, 0] <= max_px) & bigger
        return start & small, (start & ~small & bigger) | merged, beside

    def _in_facade(self, p: tuple[float, float]) -> bool:
        """Whether an image point is inside the facade or just beside it (as `_may_start` asks)."""
        assert self.geometry is not None
        return bool(self.geometry.contains(np.array([p]), margin_cols=START_MARGIN, margin_storeys=START_MARGIN)[0])

    def _judge_from_pickup(self, track: Track) -> ThrowingDetection | None:
        """Judge a track from where, lost for a while, it was found again sitting still, as if it
        began there.

        Unseen for a few frames, a track's gate grows wide, and the blob it is given then may be
        something else: an object at its window, which a bird flying by, a light or a blob of
        noise lost nearby takes over. What the track did before says nothing about what it picked
        up; found sitting (twice in a row at one place) and then falling, it is judged as the fall
        it is (as from a rest, `_judge_from_rest`).
        """
        assert self.geometry is not None
        frames, n = track.frames, len(track.frames)
        start, lowest = _since_loss(frames)
        if start == lowest or not self._limits.min_points <= n - start <= FOUND_MAX_POINTS:
            return None
        xy = track.xy
        if frames[start + 1] - frames[start] > 1 or math.dist(xy[start], xy[start + 1]) > PLACE_PX:
            return None
        if _goes_on_at_its_pace(frames, xy, start):
            return None
        if frames[start] < self._first_frame + self._warmup_frames:
            return None
        # `_judge`'s first screen, on plain floats; and as for a rest, not where something climbed
        # to (a bird lost as it climbs, found hovering at the top before it dives again).
        y_end = xy[-1][1]
        screen, row = self._fall_screen_px, min(max(int(y_end), 0), len(self._fall_screen_px) - 2)
        if y_end - min(y for _, y in xy[start:]) < min(screen[row], screen[row + 1]):
            return None
        before = xy[max(start - REST_POINTS, 0) : start]
        if before[0][1] - before[-1][1] > 2 * REST_PX:
            return None
        if not self._in_facade(xy[start]):
            return None
        # Only a heavy object's fall: it starts from rest at its window alone, while a bag or a
        # sheet of paper lost and found again may hover anywhere on its way down.
        return self._judge([(track, ALL)], start, heavy_only=True)

    def _judge_after_hop(self, track: Track) -> ThrowingDetection | None:
        """Judge a young track from where it hopped onto something else, as if it began there (see
        `_hopped_on`): an object at its window, or a bag or paper sinking past, that a track born on
        a passer (a bird, a leaf, a swinging cloth) took and kept."""
        assert self.geometry is not None
        start = _hopped_on(track.frames, track.xy, HOP_ON_S * self.fps)
        if start is None or len(track.frames) - start < self._limits.min_points:
            return None
        if track.frames[start] < self._first_frame + self._warmup_frames or not self._in_facade(track.xy[start]):
            return None
        return self._judge([(track, ALL)], start)

    def _judge_from_rest(self, track: Track, judged: bool) -> ThrowingDetection | None:
        """Judge a track from where it last sat still inside the facade, as if it began there.

        An object at its window (held out, lying on the sill, or pushed out and seen from below
        hovering a moment) is often taken first by a track of something else: a bird that flew
        by, a light or noise blob seen since the warm-up, a stray blob. What that track did before
        it sat at the window says nothing about what leaves the window; a thing resting inside
        the facade and then falling away from it is judged as the fall it is. `judged`: the
        whole track has been judged already.
        """
        assert self.geometry is not None and track.rest is not None
        first, last = track.rest
        # Only once it has gone down from there (a still light never does), and judged from its
        # last dozen still points (enough to place the release; the rest adds nothing).
        if track.xy[-1][1] - track.xy[last][1] < 3.0 or len(track.frames) - last < 4:
            return None
        # The rest must be seen with the background settled (still blobs of the warm-up may be
        # the model's own errors), and its end seen: what leaves a place is seen leaving it,
        # while a blob found later elsewhere is something else (a leaf, a bird gliding past).
        if track.frames[last] < self._first_frame + self._warmup_frames:
            return None
        if track.frames[last + 1] - track.frames[last] > self._tracker.params.max_misses:
            return None
        start = max(first, last - 11)
        if start == 0 and judged:
            return None
        # `_judge`'s first screen, on plain floats: most of these tracks are lights that jitter.
        y_end = track.xy[-1][1]
        screen, row = self._fall_screen_px, min(max(int(y_end), 0), len(self._fall_screen_px) - 2)
        if y_end - min(y for _, y in track.xy[start:]) < min(screen[row], screen[row + 1]):
            return None
        # Nor where it climbed to: a bird pulling out of a dive hovers a moment at the top of
        # its climb before it dives again. An object is first seen at its window (or reached
        # there by a stray hop from above), never rising to it. A bird is seen climbing up to
        # its hover; a track lost for a while and found sitting there did not climb there but
        # picked up what sits there (see `_judge_from_pickup`), and only its part since counts.
        y_rest = track.xy[first][1]
        since = first
        while since > 0 and track.frames[since] - track.frames[since - 1] < FOUND_COAST_FRAMES:
            since -= 1
        if any(y > y_rest + 2 * REST_PX for _, y in track.xy[max(first - REST_POINTS * 2, since) : first]):
            return None
        if not self._in_facade(track.xy[start]):
            return None
        return self._judge([(track, ALL)], start)

    def _judge_found(self, chain: Chain) -> ThrowingDetection | None:
        """A detection if the chain's last track, or the whole chain, is a heavy object's fall found
        mid-way, let go where an earlier fragment was seen resting (see `physics.falls_from`)."""
        track = chain[-1][0]
        if len(track.frames) > FOUND_MAX_POINTS and len(set(_since_loss(track.frames))) == 1:
            return None  # (followed for long without a loss: judged as what it is)
        detection = self._judge_found_part(chain, track.frames, track.xy)
        if detection is None and len(chain) > 1:
            # (Found in fragments, or its track continues a bird that crossed it.)
            detection = self._judge_found_part(chain, *_points(chain))
        return detection

    def _judge_found_part(
        self, chain: Chain, frames: list[int], xy: list[tuple[float, float]]
    ) -> ThrowingDetection | None:
        """`_judge_found` for the points of a track or a chain: those since it was last lost for a
        while (it may have picked up something else then), or all of them."""
        assert self.geometry is not None
        n = len(frames)
        s, _ = _since_loss(frames)
        if n - s < self._limits.min_points_found_fast:
            s = 0  # (a track of the object that lost it for a moment: all of it)
        m = n - s
        if not self._limits.min_points_found_fast <= m <= FOUND_MAX_POINTS:
            return None
        # Screens on plain floats first (most tracks are lights and noise): down by a third of a
        # storey, and faster in its second half than in its first.
        frames, xy = frames[s:], xy[s:]
        y_first, y_mid, y_last = xy[0][1], xy[m // 2][1], xy[-1][1]
        screen, row = self._fall_screen_px, min(max(int(y_last), 0), len(self._fall_screen_px) - 2)
        if y_last - y_first < min(screen[row], screen[row + 1]):
            return None
        f0, f_mid, f_last = frames[0], frames[m // 2], frames[-1]
        if (y_last - y_mid) * (f_mid - f0) <= (y_mid - y_first) * (f_last - f_mid):
            return None
        tail = xy[TRIM_POINTS:]
        if any(b[1] < a[1] - 1.0 for a, b in zip(tail, tail[1:], strict=False)):
            return None  # (a pixel of jitter aside, it never goes up, but for a stray first blob)
        image = np.asarray(xy)
        pts = self.geometry.to_metric(image)
        t = np.asarray(frames, dtype=np.float64) / self.fps
        # (The found track may have begun on a stray blob just before the object.)
        for skip in range(min(TRIM_POINTS, m - self._limits.min_points_found_fast) + 1):
            if found_falling(t[skip:], pts[skip:, 0], pts[skip:, 1], self.fps, self._limits).is_fall:
                break
        else:
            return None
        track = chain[-1][0]
        x1, y1 = xy[skip]
        f1 = frames[skip]
        # Sideways, it may have gone as far as a hand's push carries it while lost.
        reach_x = (self._limits.max_across_mps * FOUND_GAP_S + 1.0) * self.geometry.px_per_m_at(x1, y1)
        horizon = f1 - FOUND_GAP_S * self.fps
        places: list[tuple[float, float, float, float]] = []
        fragments: list[tuple[Track, int]] = []
        for other in self._trail.values():
            if other is track or not other.eligible or other.alarmed or other.frames[0] >= f1:
                continue
            if other.frames[0] < self._first_frame + self._warmup_frames:
                continue
            end = bisect_left(other.frames, f1)  # its sightings before the found part ...
            if end < LINK_AFTER_POINTS or other.frames[end - 1] < horizon:
                continue
            # ... over the last seconds (an object is not held out of a window for long).
            begin = bisect_left(other.frames, horizon - MAX_BEFORE_S * self.fps, 0, end)
            held = _resting_place(other.xy[begin:end])
            if held is None:
                continue
            first, top, last = (begin + k for k in held)
            xt, yt = other.xy[top]
            if yt >= y1 or abs(xt - x1) > reach_x:
                continue
            seen = (other.frames[first] / self.fps, other.frames[last] / self.fps)
            places.append((*seen, *self.geometry.to_metric_at(xt, yt)))
            fragments.append((other, top))
        if not places:
            return None
        verdict, release, i = falls_from(t[skip:], pts[skip:, 0], pts[skip:, 1], places, self._limits)
        if not verdict.is_fall or release is None:
            return None
        other, top = fragments[i]
        frames, image = frames[skip:], image[skip:]
        if _stops_midair(frames, image, release.t_s * self.fps) or self._above_roof(release, verdict.kind):
            return None
        track.alarmed = True
        if self._continues_alarm(other, verdict.kind, top):
            return None
        alarmed: Chain = [(other, f1), *chain]
        self._alarmed[track.id] = alarmed
        return self._detection(alarmed, frames, image, verdict, release)

    def _judge(
        self, chain: Chain, start: int = 0, heavy_only: bool = False, beside: bool = False
    ) -> ThrowingDetection | None:
        """A detection if the chain's points (from index `start` on) are a fall from a window (of a
        heavy object, if `heavy_only`; of a light one traced back to a window, if `beside`: see
        `_left_facade`)."""
        assert self.geometry is not None
        track = chain[-1][0]
        if start:  # a track judged from a point on (its own chain only)
            frames, xy = track.frames[start:], track.xy[start:]
        else:
            frames, xy = _points(chain)
        # Cheap screen first: most tracks (lights, clutter) never move down a third of a storey;
        # only one watched sinking for long may have sunk less (with slack: a metre spans fewer
        # pixels higher up). (On plain floats, before any array: the same values.)
        x_end, y_end = xy[-1]
        drop_px = y_end - min(y for _, y in xy)
        screen_m = 0.3 * self.geometry.storey_m
        if frames[-1] - frames[0] >= self._limits.min_sink_watch_s * self.fps:
            screen_m = min(screen_m, 0.75 * self._limits.min_sink_fall_m)
        if drop_px < screen_m * self.geometry.px_per_m_at(float(x_end), float(y_end)):
            return None
        pts = np.asarray(xy)
        t = np.asarray(frames, dtype=np.float64) / self.fps
        # (The patchy test's metres only for paths its test on times alone finds patchy.)
        if seen_in_patches(t, self.fps, self._limits) and _patchy(
            t, self.fps, self._limits, self.geometry.to_metric(pts[:3])
        ):
            return None
        metric = self.geometry.to_metric(pts)
        # The pixel's size where the fall began (the coarsest part of its path: higher up).
        m_per_px = 1.0 / float(self.geometry.px_per_m(pts[:1])[0])
        verdict, release = judge_fall(t, metric[:, 0], metric[:, 1], self.fps, self._limits, m_per_px)
        # A track born on a stray blob (a raindrop, noise) just before the object appeared
        # starts with a hop; judged without those first points it may be a clean fall. But one
        # that arrived fast, with no rest first, loses its first sighting only as it is (often the
        # object merged with what it leaves, a few pixels off), and beyond that only sightings off
        # the course of those after them: one that keeps its course from its first steps on did
        # arrive moving, and a leaf swinging as it sinks seems slower at each turn of its swing
        # than between. (A rest's sightings only place its height: they are trimmed as they are.)
        skip = 0
        rested = release is not None and release.held
        for s in range(1, TRIM_POINTS + 1):
            if verdict.is_fall or verdict.reason not in _HOPS:
                break
            if len(t) - s < self._limits.min_points or _patchy(t[s:], self.fps, self._limits, metric[s : s + 3]):
                break
            if verdict.reason == "arrived_moving" and s > 1 and not rested and not _strays_before(frames, xy, s):
                continue
            skip = s
            verdict, release = judge_fall(
                t[skip:], metric[skip:, 0], metric[skip:, 1], self.fps, self._limits, m_per_px
            )
        if (
            release is not None
            and release.held
            and (verdict.is_fall or verdict.reason in _SWAPPED)
            and (arriver := self._arrived_falling(chain, frames[skip:], metric[skip:], release))
        ):
            # What leaves the place goes on along the arriver's course: it is the arriver, and is
            # judged as the arriver's own path (its sightings before, then the motion from the
            # place). A leaf or a bird that passed through is judged as what it is; an object let
            # go just above the place, whose track then lost it to the place's, as its own fall.
            # (Tracks swap so at a still blob: the fast one takes the blob, the blob's the object.)
            other, upto = arriver
            onset = skip + release.onset
            frames = other.frames[:upto] + frames[onset:]
            pts = np.concatenate([np.asarray(other.xy[:upto]), pts[onset:]])
            t = np.asarray(frames, dtype=np.float64) / self.fps
            metric = self.geometry.to_metric(pts)
            m_per_px = 1.0 / float(self.geometry.px_per_m(pts[:1])[0])
            skip = 0
            verdict, release = judge_fall(t, metric[:, 0], metric[:, 1], self.fps, self._limits, m_per_px)
        if verdict.reason == "not_far_enough" and not heavy_only and release is not None:
            # Perhaps a light object found again: its earlier pieces may show the sink it lacks. (A
            # steady sink is a light object's; a heavy one's release is not where such pieces are.)
            if sinks_in_part(t[skip:], metric[skip:, 1], release, self.fps, self._limits, m_per_px) and (
                sank_from := self._sank_from(t[skip:], metric[skip:], frames[skip])
            ):
                again = judge_fall(
                    t[skip:], metric[skip:, 0], metric[skip:, 1], self.fps, self._limits, m_per_px, sank_from
                )
                if again[0].kind == "light":
                    verdict, release = again
        if not verdict.is_fall or release is None or (heavy_only and verdict.kind != "heavy"):
            return None
        origin: Track | None = None  # (beside: the first piece of its sink, inside the facade)
        if beside:
            origin = self._left_facade(t[skip:], metric[skip:], frames[skip]) if verdict.kind == "light" else None
            if origin is None:
                return None
            x, y = self.geometry.to_metric_at(*origin.xy[0])
            release = Release(origin.frames[0] / self.fps, x, y, 0, traced=True)
        if _stops_midair(frames, pts, release.t_s * self.fps) or _mostly_copied(frames, pts, release.t_s * self.fps):
            return None
        if _stands_between_hops(frames, pts, release.t_s * self.fps):
            return None
        if verdict.kind == "heavy" and _halts(
            frames, metric[:, 1], release, self.fps, self.geometry.px_per_m_at(float(x_end), float(y_end))
        ):
            return None
        if verdict.kind == "light" and self._came_from_elsewhere(chain, frames[skip:], t[skip:], metric[skip:]):
            if not start:
                for fragment, _ in chain:
                    fragment.eligible = False  # what continues it (split off, found again) is it too
                    fragment.came_in = True
            return None
        if self._at_foot(release):
            return None
        if verdict.kind == "light" and not beside:
            release = self._trace_light(t, metric, frames[0], release)
        if self._above_roof(release, verdict.kind):
            return None
        track.alarmed = True
        if origin is not None:
            # Found beside the facade, it is an alarmed object again if it continues one there, or
            # if it left the facade where one was, as that one (seen let go, if its first piece sat
            # still at its window, and so, aside of an alarmed object's drift, another one).
            if self._near_alarm(chain[0][0]) or self._continues_alarm(origin, "light", fresh=origin.rest is not None):
                return None
        else:
            fresh = verdict.kind == "light" and _gains_sink_from_rest(
                t[skip:], metric[skip:, 0], metric[skip:, 1], release
            )
            if self._continues_alarm(chain[0][0], verdict.kind, start, fresh=fresh):
                # (Taken for a light object by its reach alone, not for being where one was.)
                track.light_again = verdict.kind == "light" and not self._near_alarm(chain[0][0], start)
                return None
        self._alarmed[track.id] = chain
        if verdict.kind == "light":
            self._light[track.id] = chain, len(track.frames)
        return self._detection(chain, frames, pts, verdict, release)

    def _arrived_falling(
        self, chain: Chain, frames: list[int], metric: np.ndarray, release: Release
    ) -> tuple[Track, int] | None:
        """Whether a fall from a resting place (its chain, the frames and facade points it was
        judged on, and its release there) is something that sank into that place from above just
        as the fall began, and went on: that arriver's track and how many of its sightings came
        before the fall, or None.

        A leaf or a bird that comes down onto a ledge, or past a still blob there (a light, a
        patch the background has not learnt), merges with it for a few frames; the track of the
        place then takes what leaves it, and a rest followed by a fall is seen. But what leaves
        goes on along the arriver's course: where the arriver's steady sink carries it over the
        gap is where the fall is first seen. An object let go from a hand is first seen where it
        rested, and owes nothing to whatever crossed its window: the arriver must have been seen
        coming down from above the place (a piece of the object's own fall begins there), up to
        `ARRIVE_GAP_S` before the fall (no longer than it takes to pass a blob), and the fall
        must keep about its pace (`ARRIVE_PACE`): rain crossing a window as an object is let go
        is far faster than the object's first steps.
        """
        assert self.geometry is not None
        onset = release.onset
        f_first = frames[onset]
        xa, ya = float(metric[onset, 0]), float(metric[onset, 1])
        k = min(bisect_left(frames, f_first + ARRIVE_FIT_S * self.fps), len(frames) - 1)
        if k == onset:
            return None
        sink = (ya - float(metric[k, 1])) / ((frames[k] - f_first) / self.fps)  # its first steps' pace
        f_held = frames[0]  # (the place was held from the first sighting judged)
        own = {id(track) for track, _ in chain}
        since = max(f_held + 1, f_first - ARRIVE_GAP_S * self.fps)
        for other in self._trail.values():
            if id(other) in own or other.frames[-1] < since:
                continue
            # Its sightings in that time, each with its course up to it (the last of them may be
            # its blob already merged with the place's, off its course).
            end = bisect_left(other.frames, f_first)
            for i in range(end - 1, bisect_left(other.frames, since) - 1, -1):
                j = bisect_left(other.frames, other.frames[i] - ARRIVE_FIT_S * self.fps)
                if i - j + 1 < ARRIVE_POINTS:
                    break
                x0, y0 = self.geometry.to_metric_at(*other.xy[j])
                x1, y1 = self.geometry.to_metric_at(*other.xy[i])
                span = (other.frames[i] - other.frames[j]) / self.fps
                vx, vy = (x1 - x0) / span, (y1 - y0) / span
                if vy > -LIGHT_MIN_SINK_MPS or y0 <= release.y_m + LIGHT_TOL_M:
                    continue  # not coming down into the place from above
                if sink < -vy * ARRIVE_PACE:
                    continue  # the fall is not its course going on
                gap = (f_first - other.frames[i]) / self.fps
                if math.hypot(x1 + vx * gap - xa, y1 + vy * gap - ya) <= LIGHT_TOL_M + LIGHT_SIDE_MPS * gap:
                    return other, i + 1
        return None

    def _above_roof(self, release: Release, kind: str) -> bool:
        """Whether a fall's release lies above the facade's roof line (the top of the calibrated
        area): nothing is thrown from there.

        A heavy fall first seen already fast is traced back along its parabola to where it was
        at rest: a bird that dived in from the sky near the top of the facade traces back to
        above the roof. (Its release is put back no more than `MAX_BACKTRACK_S`, where it may
        still have been moving fast; the parabola's top is where it was still. A light object's
        parabola is flat, and its top says little.) The point is taken an arm's length in front
        of the wall, as the alarm's window is, where it projects lower than on the wall itself:
        a hand at the top floor's window is well below the line.
        """
        assert self.geometry is not None
        y_m = release.y_m
        if kind == "heavy" and release.traced and release.rest_y_m is not None:
            y_m = max(y_m, release.rest_y_m)
        origin = self.geometry.in_front(np.array([release.x_m, y_m]))[0]
        return float(origin[1]) > self.geometry.facade.floors * self.geometry.storey_m

    def _at_foot(self, release: Release) -> bool:
        """Whether a fall from a rest began at the foot of the facade, less than `FOOT_M` above
        the ground: nothing is let go from there (the lowest sill is about a metre up).

        The ground line is a strong edge, and blobs of noise or of the camera's shake sit on it;
        a leaf sinking past one, or a bird landing by it, takes its track away from it, and a
        rest and a fall from it are seen. (A light object thrown from the lowest floor and first
        seen down there is judged from its first sighting, not from a rest.)
        """
        assert self.geometry is not None
        if not release.held:
            return False
        origin = self.geometry.in_front(np.array([release.x_m, release.y_m]))[0]
        return float(origin[1]) - self.geometry.ground_m < FOOT_M

    def _detection(
        self, chain: Chain, frames: list[int], pts: np.ndarray, verdict: FallVerdict, release: Release
    ) -> ThrowingDetection:
        """The alarm for a fall (the points judged, its verdict and release) of the chain's last track."""
        assert self.geometry is not None
        track = chain[-1][0]
        origin = self.geometry.in_front(np.array([release.x_m, release.y_m]))[0]
        cell = self.geometry.window_of(origin)
        confidence = verdict.confidence if cell.inside else round(verdict.confidence * 0.7, 3)
        seen = np.array([release.x_m / self.geometry.column_m, release.y_m / self.geometry.storey_m])
        release_px = self.geometry.to_image(seen)[0]
        return ThrowingDetection(
            camera=self.camera,
            frame=frames[-1],
            start_frame=max(0, round(release.t_s * self.fps)),
            floor=cell.floor,
            column=cell.column,
            confidence=confidence,
            track=tuple((f, float(x), float(y)) for f, (x, y) in zip(frames, pts, strict=True)),
            track_id=track.id,
            kind=verdict.kind,
            release_px=(float(release_px[0]), float(release_px[1])),
        )

    def _came_from_elsewhere(self, chain: Chain, frames: list[int], t: np.ndarray, metric: np.ndarray) -> bool:
        """Whether a light object judged falling (its chain, and the frames, times and facade
        points it was judged on) was, just before it was first seen, something no thrown bag or
        paper is: a thing carried in from beyond the facade, or a bird pulling out of a dive.

        A bag or a sheet of paper leaves a window: before its release it is at the window, and
        nothing that came in from outside the facade's edges moves along the path that leads to
        it. A leaf blown in from a tree sinks and drifts just like one once it is inside, and is
        often lost there and found again, or its track taken by something passing (and it is
        judged from where it was found). So the sightings of other tracks before it are looked
        at, where its own sink and drift carried back over the gap put it. One that began outside
        the facade (or was itself found to be such a thing come in) and sank there as this object
        sinks, going sideways no faster than this object ever goes or than it sank, and did not go
        on along its own course after that sighting, is that thing come in. (A track born in the
        warm-up began on the model's errors: it is looked at from where it was last lost and
        found again.)

        A bird diving in front of the facade and pulling out glides on at a light object's sink;
        its blob often splits as it turns, and the slow part is judged alone. Nothing light sinks
        faster than `max_light_sink_mps` (one thrown down slows to its terminal speed at once), so
        a steady dive seen ending where this object begins is that bird.
        """
        assert self.geometry is not None
        span = max(float(t[-1] - t[0]), 1e-3)
        sink = max(float(metric[0, 1] - metric[-1, 1]) / span, LIGHT_MIN_SINK_MPS)
        # Sideways, it may have gone as fast over the gap as it was ever seen going (a flutter
        # swings it back and forth faster than its mean drift).
        side = float(sideways_speeds(t, metric[:, 0]).max(initial=0.0)) + LIGHT_SIDE_MPS
        # What sank up to twice as fast may have been this object before (a bag swinging down in
        # a gust), a dive is faster still.
        fastest = 2.0 * sink + LIGHT_SIDE_MPS
        # A bird pulling out slows its descent, or glides on at a steady sink; a bag or paper let
        # go from a hand speeds up from rest to its steady sink. So the dive below only counts for
        # an object whose sink over the last third of its path is not clearly (a quarter, beyond
        # a pixel's error at the top of a facade) faster than over the first third.
        early, late = _sink_thirds(t, metric[:, 1])
        slowing = late < SPEEDS_UP * early
        f0 = frames[0]
        xb, yb = float(metric[0, 0]), float(metric[0, 1])
        own = {id(tr) for tr, _ in chain}
        horizon = f0 - LIGHT_BEFORE_S * self.fps
        settled = self._first_frame + self._warmup_frames  # earlier tracks are the model's errors
        for other in self._trail.values():
            if id(other) in own or other.frames[-1] < horizon or other.frames[0] >= f0:
                continue
            end = bisect_left(other.frames, f0 + 1)  # its sightings up to the object's first
            begin = bisect_left(other.frames, horizon)
            for i in range(end - 1, begin - 1, -1):
                # A track born in the warm-up began on the model's errors; lost since and found
                # again (on a leaf come in meanwhile), it is looked at as begun there.
                born = 0 if other.frames[0] >= settled else _since_warmup_loss(other.frames, i, settled)
                if born is None:
                    break
                gap = max(f0 - other.frames[i], 0) / self.fps
                xa, ya = self.geometry.to_metric_at(*other.xy[i])
                if abs(xa - xb) > side * gap + LIGHT_TOL_M:
                    continue
                motion = self._steady_motion(other, i, born)
                if motion is None:
                    continue  # too few sightings before this one, or a hop among them
                speed, across, first = motion
                rise = ya - yb  # how far above the object's first sighting it was
                if speed > max(self._limits.max_light_sink_mps, fastest):
                    # Seen diving up to where this object begins, and diving no further (what
                    # goes on down past it is something else passing: rain, another bird).
                    ends_here = -LIGHT_TOL_M <= rise <= speed * gap + LIGHT_TOL_M
                    if (
                        slowing
                        and speed <= BIRD_DIVE_MPS
                        and gap <= LIGHT_DIVE_GAP_S
                        and ends_here
                        and not self._dives_on(other, i)
                    ):
                        return True
                    break
                if not 0.5 * sink * gap - LIGHT_TOL_M <= rise <= 1.5 * sink * gap + LIGHT_TOL_M:
                    continue
                outside = other.came_in or not self._in_facade(other.xy[born])
                # (Carried in by the wind, it went sideways no faster than this object ever goes,
                # or than it sank itself, a leaf's drift and sway: a bird crossing the facade at
                # many times that, level, only sinks as it does.)
                if outside and 0.5 * sink <= speed <= fastest and abs(across) <= max(side, speed):
                    # Unless it then went on along a path of its own: its track taken by a
                    # passer-by hops or turns away from it.
                    if i + 1 < end and _keeps_course(other, i, first):
                        break
                    return True
                break  # its latest sighting on the path tells; earlier ones are older news
        return False

    def _dives_on(self, track: Track, i: int) -> bool:
        """Whether a track goes on down after its point i faster than a light object sinks."""
        assert self.geometry is not None
        if i + 1 >= len(track.frames):
            return False
        _, ya = self.geometry.to_metric_at(*track.xy[i])
        _, yc = self.geometry.to_metric_at(*track.xy[i + 1])
        return (ya - yc) * self.fps / (track.frames[i + 1] - track.frames[i]) > self._limits.max_light_sink_mps

    def _steady_motion(self, track: Track, i: int, since: int = 0) -> tuple[float, float, int] | None:
        """How fast (m/s) a track sank and went sideways over `LIGHT_BEFORE_FIT_S` up to its point
        i (from its point `since` at the earliest), and the index of the first point of that
        stretch, if seen enough and moving steadily (no hop among them)."""
        assert self.geometry is not None
        first = max(bisect_left(track.frames, track.frames[i] - LIGHT_BEFORE_FIT_S * self.fps), since)
        if i - first + 1 < LIGHT_BEFORE_POINTS:
            return None
        f = np.asarray(track.frames[first : i + 1], dtype=np.float64)
        p = np.asarray(track.xy[first : i + 1], dtype=np.float64)
        steps = np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1])) / np.diff(f)
        mean = float(steps.sum()) / len(steps)
        if float(steps.max()) > HOP_RATIO * mean + HOP_SLACK_PX:
            return None
        x0, y0 = self.geometry.to_metric_at(*track.xy[first])
        x1, y1 = self.geometry.to_metric_at(*track.xy[i])
        return (y0 - y1) * self.fps / (f[-1] - f[0]), (x1 - x0) * self.fps / (f[-1] - f[0]), first

    def _trace_light(self, t: np.ndarray, metric: np.ndarray, f0: int, release: Release) -> Release:
        """Where a light object judged from a later sighting (seen at times `t`, facade points
        `metric`, from frame f0 on) was released: the start of its earliest sightings before
        (see `_trace_pieces`)."""
        assert self.geometry is not None
        pieces = self._trace_pieces(t, metric, f0)
        if not pieces:
            return release
        first = pieces[-1]
        y = self.geometry.to_metric_at(*first.xy[0])[1]
        if y <= release.y_m:
            return release
        # Only its height is taken from there: it sank a floor or more since, but drifted
        # little sideways (the fragment's own column is the better measured one).
        return Release(min(first.frames[0] / self.fps, release.t_s), release.x_m, y, 0, traced=True)

    def _trace_pieces(self, t: np.ndarray, metric: np.ndarray, f0: int) -> list[Track]:
        """The earlier pieces of a light object's sink seen later (at times `t`, facade points
        `metric`, from frame f0 on), the latest first.

        A bag or a sheet of paper is often lost for a second as it sinks (its slow, faint blob
        melts into the background) and judged only from a later fragment, a floor or more below
        its window. It sinks and drifts at a steady, slow speed: an earlier fragment of it ended
        above, where that speed puts it the gap before, and itself sank no faster (or sat at its
        window). The window is where the earliest such fragment began. Fragments that rose, that
        sank much faster or slower than the object, or that belong to an alarmed fall are
        something else.
        """
        assert self.geometry is not None
        span = max(float(t[-1] - t[0]), 1e-3)
        sink = max(float(metric[0, 1] - metric[-1, 1]) / span, LIGHT_MIN_SINK_MPS)
        side = abs(float(metric[-1, 0] - metric[0, 0])) / span + LIGHT_SIDE_MPS
        xb, yb = float(metric[0, 0]), float(metric[0, 1])
        pieces: list[Track] = []
        for _ in range(LIGHT_TRAIL_HOPS):
            best: tuple[float, Track, float, float] | None = None
            for other in self._trail.values():
                last = other.frames[-1]
                gap = (f0 - last) / self.fps
                if not 0 < gap <= LIGHT_TRAIL_GAP_S or other.alarmed or len(other.frames) < LIGHT_TRAIL_POINTS:
                    continue
                if other.frames[0] < self._first_frame + self._warmup_frames:
                    continue
                xs, ys = self.geometry.to_metric_at(*other.xy[0])
                xa, ya = self.geometry.to_metric_at(*other.xy[-1])
                own = max((other.frames[-1] - other.frames[0]) / self.fps, 1.0 / self.fps)
                # It may rise as far as a gust lifts paper in its time and, if it was seen sitting
                # still (at its window), as far as a still blob's centre wanders (`REST_PX`): where a
                # pixel is 0.1-0.15 m, that alone seems a faster climb than a gust's over a short
                # piece. (Only then: three sightings of night noise climb three pixels.)
                rise_m = LIGHT_SIDE_MPS * own
                if other.rest is not None:
                    rise_m += REST_PX / self.geometry.px_per_m_at(*other.xy[-1])
                if not -rise_m <= ys - ya <= (2.0 * sink + LIGHT_SIDE_MPS) * own:
                    continue  # it rose, or sank faster than the object does
                if abs(xa - xs) > self._limits.max_light_across_mps * own + LIGHT_TOL_M:
                    continue  # it went sideways faster than the wind carries a light object (noise, a bird)
                if not 0.5 * sink * gap - LIGHT_TOL_M <= ya - yb <= 1.5 * sink * gap + LIGHT_TOL_M:
                    continue
                if abs(xb - xa) > side * gap + LIGHT_TOL_M:
                    continue
                if self._crosses_fast(other):
                    continue  # it went to and fro faster than the wind carries and a flutter swings one
                if best is None or gap < best[0]:
                    best = (gap, other, xs, ys)
            if best is None:
                break
            _, other, xb, yb = best
            f0 = other.frames[0]
            pieces.append(other)
            if other.rest is not None:
                break  # it sat still there: its window (nothing before its release is it)
        return pieces

    def _crosses_fast(self, piece: Track) -> bool:
        """Whether a piece's typical sideways speed is more than a light object's (`judge_fall`'s
        measure: the median over its path, each over three sightings).

        Its course from end to end may say nothing: an insect or a bird weaving to and fro ends
        where it began, while a bag or a sheet of paper goes with the wind and its flutter swings it
        about that line at a metre a second or so.
        """
        assert self.geometry is not None
        x = self.geometry.to_metric(np.asarray(piece.xy))[:, 0]
        t = np.asarray(piece.frames, dtype=np.float64) / self.fps
        return float(np.median(sideways_speeds(t, x))) > self._limits.max_light_across_mps

    def _sank_from(self, t: np.ndarray, metric: np.ndarray, f0: int) -> tuple[float, float] | None:
        """(time, height) where the earlier pieces of a light object's sink began, when they show
        one steady sink from inside the facade (see `_first_piece`)."""
        assert self.geometry is not None
        first = self._first_piece(t, metric, f0)
        if first is None:
            return None
        return first.frames[0] / self.fps, self.geometry.to_metric_at(*first.xy[0])[1]

    def _first_piece(self, t: np.ndarray, metric: np.ndarray, f0: int, still_ends: bool = False) -> Track | None:
        """The earliest of the earlier pieces of a light object's sink (see `_trace_pieces`), when
        they show one steady sink from inside the facade: each piece went down (not up, as a
        swing's upstroke does), and none came from beyond the facade's edges (a leaf blown in, a
        bird). `still_ends`: the pieces end at one seen sitting still in all its sightings."""
        pieces = self._trace_pieces(t, metric, f0)
        if still_ends:
            for k, piece in enumerate(pieces):
                x0, y0 = piece.xy[0]
                if all(math.hypot(x - x0, y - y0) <= REST_PX for x, y in piece.xy):
                    pieces = pieces[: k + 1]
                    break
        if not pieces or not self._in_facade(pieces[-1].xy[0]):
            return None
        for piece in pieces:
            # (A piece seen sitting still, at its window, may end as far above where it began as a
            # still blob's centre wanders, `REST_PX`: as often a pixel above as below.)
            rise_px = piece.xy[0][1] - piece.xy[-1][1]
            if not piece.eligible or rise_px > (REST_PX if piece.rest is not None else 0.0):
                return None
        return pieces[-1]

    def _left_facade(self, t: np.ndarray, metric: np.ndarray, f0: int) -> Track | None:
        """The first piece of the sink of a light object first seen beside the facade's side edge
        (at times `t`, facade points `metric`, from frame f0 on), if it left the facade: drifting
        away from the edge, and traced back through earlier pieces of its sink to one that began
        inside the facade (see `_first_piece`); where that piece began is where it was released.

        The wind carries a bag or a sheet of paper sideways as fast as it sinks or faster, so
        one from an outermost column often leaves the facade before its track is steady; what
        comes in from the side (a leaf from a tree, a bird) goes towards the facade, or traces
        back to nothing inside it.
        """
        assert self.geometry is not None
        # Away from the edge it is beside (or along it, within a few pixels' error).
        u = float(metric[0, 0]) / self.geometry.column_m
        outward = 1.0 if u > self.facade.columns else -1.0
        if outward * float(metric[-1, 0] - metric[0, 0]) < -LIGHT_TOL_M:
            return None
        # A piece seen only sitting still where the trace puts it, before the object went past the
        # edge, is the object at its window before its release: what came before is not the object.
        return self._first_piece(t, metric, f0, still_ends=True)

    def _forget_old_alarms(self, frame_index: int) -> None:
        horizon = frame_index - KEEP_ALARMED_S * self.fps
        for key in [k for k, c in self._alarmed.items() if c[-1][0].frames[-1] < horizon]:
            del self._alarmed[key]

    def _continues_alarm(self, track: Track, kind: str, first: int = 0, *, fresh: bool = False) -> bool:
        """Whether a new fall (the track from point `first` on) starts where an alarmed object just
        was (one object, one alarm); `fresh`: see `_continues_light`."""
        if self._near_alarm(track, first):
            return True
        # A bag or a sheet of paper found again sinks at its slow terminal speed; a fall that
        # gains speed as gravity gives it (heavy) is another object, wherever it starts.
        f0, (x0, y0) = track.frames[first], track.xy[first]
        return kind == "light" and self._continues_light(f0, x0, y0, fresh=fresh)

    def _near_alarm(self, track: Track, first: int = 0) -> bool:
        """Whether the track from point `first` on starts within `DEDUPE_S` and `DEDUPE_PX` of where
        an alarmed object was seen."""
        f0, (x0, y0) = track.frames[first], track.xy[first]
        window = int(DEDUPE_S * self.fps)
        # Every fragment of an alarmed fall counts, not only its latest: a fall judged again from
        # an earlier fragment of it (the head of its chain on its own, or that head with another
        # piece split off the object) starts where the alarmed fall was, on the same sightings.
        for other, end in (fragment for c in self._alarmed.values() for fragment in c):
            if other.frames[-1] < f0 - window or other.frames[0] > f0 + 2:
                continue
            for f, (x, y) in zip(other.frames, other.xy, strict=True):
                if f0 - window <= f <= f0 + 2 and f < end and math.hypot(x - x0, y - y0) <= DEDUPE_PX:
                    return True
        return False

    def _continues_light(self, f0: int, x0: float, y0: float, *, fresh: bool = False) -> bool:
        """Whether a fall starting at frame f0, image point (x0, y0) is an alarmed light object again.

        An alarmed object found again is still sinking and drifting as it did: a fall that starts
        far aside of where that drift carried it is another object, however near the reach of the
        first. `fresh`: the fall was seen gaining sink from rest (see `_gains_sink_from_rest`); then
        only an alarmed object its track still followed may be it, and "far" is a gust's push.
        """
        assert self.geometry is not None
        for key, (alarmed, seen) in list(self._light.items()):
            last = alarmed[-1][0]
            if (f0 - last.frames[-1]) / self.fps > LIGHT_MEMORY_S:
                del self._light[key]
                continue
            upto = self._still_it(last, seen)
            if fresh and (upto != ALL or (f0 - last.frames[-1]) / self.fps > LIGHT_TRAIL_GAP_S):
                # Its track lost it (took something else, or ended long before): where it is now
                # is not known. One seen let go from rest is given its own alarm (a missed throw
                # costs more than an alarm twice).
                continue
            chain = [*alarmed[:-1], (last, upto)]
            frames, xy = _points(chain)
            gap = (f0 - frames[-1]) / self.fps
            if gap < 0 or gap > LIGHT_MEMORY_S:
                continue
            (xa, ya), (xb, yb) = self.geometry.to_metric(np.array([xy[-1], (x0, y0)]))
            if not (-0.5 <= ya - yb <= LIGHT_SINK_MPS * gap + 0.5 and abs(xb - xa) <= 0.5 + LIGHT_DRIFT_MPS * gap):
                continue
            course = self._light_course(chain)
            if course is not None:  # (None: seen too little lately to say)
                t_end, (x_end, side_mps), (y_end, up_mps) = course
                since = max(f0 / self.fps - t_end, 0.0)
                # It drifts on as it drifted: found aside of where that carried it, it is another
                # object. Paper flutters about its drift line, and its last second's drift is
                # measured on that flutter. Seen let go from rest, the fall is another object
                # once it starts farther aside than a gust pushes one during the gap; else only
                # beyond the breeze that carries one (the object's own, still sinking, is the
                # likelier: it never rests).
                side_reach_mps = LIGHT_SIDE_MPS if fresh else LIGHT_DRIFT_MPS
                reach = side_reach_mps * since + LIGHT_TOL_M + self._limits.max_sway_m
                if abs(xb - (x_end + side_mps * since)) > reach:
                    continue
                # Lost by its track, it is found at least half its sink lower: a bag or paper never
                # stops sinking. (It may sink faster since, a bag still gaining speed or paper in a
                # gust, up to any light object's `LIGHT_SINK_MPS`: the box above.)
                sink = max(-up_mps, LIGHT_MIN_SINK_MPS)
                if upto != ALL and y_end - yb < 0.5 * sink * since - LIGHT_TOL_M:
                    continue
            return True
        return False

    def _still_it(self, track: Track, seen: int) -> int:
        """The frame (`ALL`: none) from which an alarmed light object's track, `seen` sightings long
        at the alarm, is no longer the object.

        The track goes on after the alarm and may then hop onto something else: a bird passing,
        a raindrop, another object let go below. Where that object is now, and where it drifts,
        are read from its sightings up to the first step that it does not make: one much faster
        than its pace at the alarm, or than its pace just before, if faster (`HOP_RATIO`, a pixel
        of jitter aside), or a climb above its lowest point since (a bag or paper sinks on; a gust
        lifts it less than `max_rise_m`). (Its pace grows as it sinks: a metre spans more pixels
        lower down, and it drifts out towards the camera. Paper seen creeping near its window
        steps twice as far in pixels four floors lower; held-out 47002 scene-004.)
        """
        assert self.geometry is not None
        n = len(track.frames)
        if n <= seen or seen < 2:
            return ALL
        first = max(seen - PACE_POINTS, 0)
        f = np.asarray(track.frames[first:], dtype=np.float64)
        p = np.asarray(track.xy[first:], dtype=np.float64)
        k = seen - first - 1  # the last sighting judged
        pace = _pace(track.frames, track.xy, seen - 1)
        steps = np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1]))
        heights = self.geometry.to_metric(p)[:, 1]
        climbs = heights - np.minimum.accumulate(heights) > self._limits.max_rise_m + LIGHT_TOL_M
        for i in range(k + 1, len(f)):
            if climbs[i]:
                return int(f[i])
            if steps[i - 1] > (f[i] - f[i - 1]) * (HOP_RATIO * pace + HOP_SLACK_PX):
                # (Its recent pace only if watched steadily, a frame missed at most: across a
                # longer loss the track may have taken something else, whose step is no pace.)
                j = first + i - 1
                steady = j >= PACE_POINTS - 1 and track.frames[j] - track.frames[j - PACE_POINTS + 1] <= PACE_POINTS
                recent = _pace(track.frames, track.xy, j) if steady else 0.0
                if steps[i - 1] > (f[i] - f[i - 1]) * (HOP_RATIO * max(pace, recent) + HOP_SLACK_PX):
                    return int(f[i])
        return ALL

    def _light_course(self, chain: Chain) -> tuple[float, tuple[float, float], tuple[float, float]] | None:
        """The course of an alarmed light object (its chain) at its latest sightings, fitted over
        its last `LIGHT_DRIFT_FIT_S`: the time (s) of its last sighting, and (place there, speed)
        sideways and upwards on the facade (m, m/s); None if it was seen too little there."""
        assert self.geometry is not None
        frames, xy = _points(chain)
        first = bisect_left(frames, frames[-1] - LIGHT_DRIFT_FIT_S * self.fps)
        if len(frames) - first < LIGHT_TRAIL_POINTS:
            return None
        metric = self.geometry.to_metric(np.asarray(xy[first:]))
        t = np.asarray(frames[first:], dtype=np.float64) / self.fps
        t_end = float(t[-1])
        x_slope, x_at = median_line(t, metric[:, 0])
        y_slope, y_at = median_line(t, metric[:, 1])
        return t_end, (x_at + x_slope * t_end, x_slope), (y_at + y_slope * t_end, y_slope)

    def trajectory(self, track_id: int) -> list[tuple[int, float, float]]:
        """The whole trajectory so far of an alarmed track (it keeps growing after the alarm)."""
        frames, xy = _points(self._alarmed.get(track_id, []))
        return [(f, x, y) for f, (x, y) in zip(frames, xy, strict=True)]

    def flush(self) -> list[ThrowingDetection]:
        """End of stream: close every track; a fall still undecided cannot be judged further."""
        self._tracker.flush()
        return []


# Latest sightings of each fragment kept in `_FragmentEnds`: where nearly every candidate was last
# seen before a track began, and the four sightings before that (the rest are read from its lists).
RING = 32


class _FragmentEnds:
    """The first and last frames, last points, bounding boxes and latest `RING` sightings of
    fragments, as arrays kept up to date.

    Hundreds of noise fragments are recent at night, and only those seen on a frame change.
    A look for an earlier fragment asks where each one was last seen before a given frame:
    the latest sightings answer for all of them at once (see `before`).
    """

    def __init__(self, tracks: Iterable[Track] = ()) -> None:
        self._tracks: list[Track] = []
        self._rows: dict[int, int] = {}  # track id -> row
        self._first = np.zeros(0, dtype=np.int64)
        self._last = np.zeros(0, dtype=np.int64)
        self._xy = np.zeros((0, 2))
        # The corners (least x and y, greatest x and y) of the box around all of a fragment's points.
        self._box = np.zeros((0, 4))
        # Sightings so far, and the latest `RING` of them: sighting i in slot i % RING.
        self._count = np.zeros(0, dtype=np.int64)
        self._ring_frames = np.zeros((0, RING), dtype=np.int64)
        self._ring_xy = np.zeros((0, RING, 2))
        for track in tracks:
            self.append(track)

    def subset(self, tracks: Iterable[Track]) -> _FragmentEnds:
        """A table of some of these fragments (in the order given), their rows copied as they are:
        what a table built afresh from them holds (a box grown point by point holds every point),
        without going through all their points again (hundreds of fragments at night)."""
        out = _FragmentEnds()
        out._tracks = list(tracks)
        out._rows = {t.id: row for row, t in enumerate(out._tracks)}
        at = np.array([self._rows[t.id] for t in out._tracks], dtype=np.intp)
        out._first, out._last, out._xy, out._box = self._first[at], self._last[at], self._xy[at], self._box[at]
        out._count, out._ring_frames, out._ring_xy = self._count[at], self._ring_frames[at], self._ring_xy[at]
        return out

    def append(self, track: Track) -> None:
        """Add a fragment (after the others)."""
        row = len(self._tracks)
        if row == len(self._first):
            size = max(2 * row, 64)
            self._first = np.resize(self._first, size)
            self._last = np.resize(self._last, size)
            self._xy = np.resize(self._xy, (size, 2))
            self._box = np.resize(self._box, (size, 4))
            self._count = np.resize(self._count, size)
            self._ring_frames = np.resize(self._ring_frames, (size, RING))
            self._ring_xy = np.resize(self._ring_xy, (size, RING, 2))
        self._tracks.append(track)
        self._rows[track.id] = row
        self._first[row] = track.frames[0]
        self._last[row] = track.frames[-1]
        self._xy[row] = track.xy[-1]
        self._box[row] = _box(track.xy)
        self._refill(row, track)

    def grown(self, tracks: list[Track]) -> None:
        """Take the new last points of those of `tracks` that are fragments here (a track gains
        one point a frame: its box grows to hold its last one)."""
        rows = self._rows
        seen = [(row, track) for track in tracks if (row := rows.get(track.id)) is not None]
        if not seen:
            return
        at = np.array([row for row, _ in seen], dtype=np.intp)
        xy = np.array([track.xy[-1] for _, track in seen], dtype=np.float64)
        frames = [track.frames[-1] for _, track in seen]
        self._last[at] = frames
        self._xy[at] = xy
        box = self._box
        box[at, :2] = np.minimum(box[at, :2], xy)
        box[at, 2:] = np.maximum(box[at, 2:], xy)
        count = np.array([len(track.frames) for _, track in seen], dtype=np.int64)
        if not np.array_equal(count, self._count[at] + 1):  # (never so in the detector: one point a frame)
            for row, track in seen:
                self._refill(row, track)
            return
        self._count[at] = count
        slot = (count - 1) % RING
        self._ring_frames[at, slot] = frames
        self._ring_xy[at, slot] = xy

    def _refill(self, row: int, track: Track) -> None:
        """Put a fragment's latest sightings in its row."""
        n = len(track.frames)
        self._count[row] = n
        for i in range(max(n - RING, 0), n):
            self._ring_frames[row, i % RING] = track.frames[i]
            self._ring_xy[row, i % RING] = track.xy[i]

    def view(self) -> tuple[list[Track], np.ndarray, np.ndarray, np.ndarray]:
        """(fragments in the order added, first frames, last frames, last points (N, 2))."""
        n = len(self._tracks)
        return self._tracks, self._first[:n], self._last[:n], self._xy[:n]

    def boxes(self) -> np.ndarray:
        """The fragments' boxes (N, 4): least x, least y, greatest x, greatest y of their points."""
        return self._box[: len(self._tracks)]

    def before(self, rows: np.ndarray, f0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For fragments (rows), the index of their last sighting before frame f0 (one for each row;
        -1 if none), as `bisect_left(track.frames, f0) - 1`, and whether it and the four before it are among
        the latest sightings kept (`sighting`); where not, the index is not known (left -1)."""
        n = self._count[rows]
        oldest = np.maximum(n - RING, 0)
        end = n - 1
        # Those seen since f0: frames rise along a track, so the sightings before f0 are its first
        # ones; those kept are counted (a slot is held once the track has had that many sightings)
        # and the ones before the ring added (all before f0, if any kept one is).
        since = np.nonzero(self._last[rows] >= f0)[0]
        if len(since):
            m = n[since, None]
            held = np.arange(RING) < m
            before = self._ring_frames[rows[since]] < f0[since, None]
            end[since] = oldest[since] + np.count_nonzero(held & before, axis=1) - 1
        known = (oldest == 0) | (end - 4 >= oldest)
        return np.where(known, end, -1), known

    def row(self, track: Track) -> int | None:
        """The row of a fragment, if it is one here."""
        return self._rows.get(track.id)

    def sighting(self, rows: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frames and image points (K, 2) of fragments' (rows) sightings `index`, among the latest kept."""
        slot = index % RING
        return self._ring_frames[rows, slot], self._ring_xy[rows, slot]


def _box(xy: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """The least x and y and the greatest x and y of points."""
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    return min(xs), min(ys), max(xs), max(ys)

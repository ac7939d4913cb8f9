"""Facade geometry: image pixels <-> the calibrated window grid, and the camera pose behind it.

Grid coordinates are (u, s): u in columns from the left edge of the calibrated area
(0..columns), s in storeys from the bottom of its lowest floor (0..floors). Metric
facade coordinates are (x_m, y_m) = (u * column_m, s * storey_m) on the facade plane,
with z_m pointing out of the facade towards the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ingest.registry import Facade

STOREY_M = 3.0  # a typical residential storey; only sets the metric scale of the physics
# One homography of a pitched-up camera cannot fix the focal length (the pitch-only case
# is degenerate). The camera stands at the foot of the building, so the focal length is
# chosen that puts it at a usual mount height above the ground below the lowest floor.
MOUNT_HEIGHT_M = 2.5
RELEASE_DEPTH_M = 0.5  # an object leaves a window about an arm's length in front of the wall


@dataclass(frozen=True)
class WindowCell:
    """A window of origin: the floor number and the column (1 = leftmost in the image)."""

    floor: int
    column: int
    inside: bool  # False when the point was outside the calibrated area and got clamped


class FacadeGeometry:
    """The calibrated facade area of one camera, with an estimated camera pose."""

    def __init__(
        self,
        facade: Facade,
        frame_size: tuple[int, int],
        storey_m: float = STOREY_M,
        focal_px: float | None = None,
        mount_height_m: float = MOUNT_HEIGHT_M,
    ) -> None:
        self.facade = facade
        self.width, self.height = frame_size
        self.storey_m = storey_m
        self.corners_px = np.asarray(facade.corners_px, dtype=np.float64)
        grid = np.array(
            [[0, facade.floors], [facade.columns, facade.floors], [facade.columns, 0], [0, 0]],
            dtype=np.float64,
        )
        self.img_from_grid = cv2.getPerspectiveTransform(grid.astype(np.float32), self.corners_px.astype(np.float32))
        self.grid_from_img = np.linalg.inv(self.img_from_grid)
        # The same matrices as nested floats, for questions about one point (see _apply_one).
        self._grid_from_img = self.grid_from_img.tolist()
        self._img_from_grid = self.img_from_grid.tolist()
        if focal_px is None:
            candidates = np.geomspace(0.3, 2.5, 80) * self.width
            heights = [abs(self._pose(f)[0][1] - self.ground_m - mount_height_m) for f in candidates]
            focal_px = float(candidates[int(np.argmin(heights))])
        self.focal_px = focal_px
        self.camera_m, self.column_m = self._pose(focal_px)
        self._metres_per_cell = np.array([self.column_m, self.storey_m])

    def _pose(self, focal: float) -> tuple[np.ndarray, float]:
        """Camera centre in metric facade coordinates, and the column width in metres."""
        k = np.array([[focal, 0, self.width / 2], [0, focal, self.height / 2], [0, 0, 1.0]])
        a = np.linalg.inv(k) @ self.img_from_grid
        lam = np.linalg.norm(a[:, 1]) / self.storey_m
        if a[2, 2] < 0:  # the homography's sign is free; the facade must lie in front
            a = -a
        column_m = float(np.linalg.norm(a[:, 0]) / lam)
        r1 = a[:, 0] / np.linalg.norm(a[:, 0])
        r2 = a[:, 1] - r1 * (r1 @ a[:, 1])
        r2 /= np.linalg.norm(r2)
        rot = np.column_stack([r1, r2, np.cross(r1, r2)])
        t = a[:, 2] / lam
        centre = -rot.T @ t
        return centre, column_m

    # --- coordinate changes -------------------------------------------------------------

    def to_grid(self, xy_px: np.ndarray) -> np.ndarray:
        """Image points (N, 2) in pixels -> grid points (N, 2) as (columns, storeys)."""
        return _apply(self.grid_from_img, xy_px)

    def to_image(self, grid: np.ndarray) -> np.ndarray:
        """Grid points (N, 2) as (columns, storeys) -> image points (N, 2) in pixels."""
        return _apply(self.img_from_grid, grid)

    def to_metric(self, xy_px: np.ndarray) -> np.ndarray:
        """Image points (N, 2) -> points (N, 2) in metres on the facade plane (x_m, y_m)."""
        return self.to_grid(xy_px) * self._metres_per_cell

    def to_metric_at(self, x: float, y: float) -> tuple[float, float]:
        """`to_metric` of one image point, in plain floats: the same arithmetic, the same bits."""
        u, s = _apply_one(self._grid_from_img, x, y)
        return u * self.column_m, s * self.storey_m

    @property
    def ground_m(self) -> float:
        """Height of the ground on the facade plane (0 at the calibrated area's lowest floor line)."""
        return -(self.facade.lowest_floor - 1) * self.storey_m

    def in_front(self, xy_m: np.ndarray, depth_m: float = RELEASE_DEPTH_M) -> np.ndarray:
        """Where a point seen at `xy_m` on the facade plane really is if it hangs `depth_m` in front.

        The ray from the camera through the object meets the wall behind it, farther from the
        camera's foot than the object, so a plane projection overstates height and offset.
        """
        cam = self.camera_m
        scale = (cam[2] - depth_m) / cam[2] if cam[2] > depth_m + 1e-6 else 1.0
        xy = np.asarray(xy_m, dtype=np.float64).reshape(-1, 2)
        return cam[:2] + (xy - cam[:2]) * scale

    # --- questions the detector asks ------------------------------------------------------

    def window_of(self, xy_m: np.ndarray) -> WindowCell:
        """The window cell that contains a metric facade point (clamped to the area)."""
        x_m, y_m = np.asarray(xy_m, dtype=np.float64).reshape(2)
        col = math.floor(x_m / self.column_m)
        row = math.floor(y_m / self.storey_m)
        inside = 0 <= col < self.facade.columns and 0 <= row < self.facade.floors
        col = min(max(col, 0), self.facade.columns - 1)
        row = min(max(row, 0), self.facade.floors - 1)
        return WindowCell(floor=self.facade.lowest_floor + row, column=col + 1, inside=inside)

    def contains(self, xy_px: np.ndarray, margin_cols: float = 0.0, margin_storeys: float = 0.0) -> np.ndarray:
        """Which image points (N, 2) fall inside the calibrated area grown by the margins."""
        grid = self.to_grid(xy_px)
        f = self.facade
        return (
            (grid[:, 0] >= -margin_cols)
            & (grid[:, 0] <= f.columns + margin_cols)
            & (grid[:, 1] >= -margin_storeys)
            & (grid[:, 1] <= f.floors + margin_storeys)
        )

    def px_per_m(self, xy_px: np.ndarray) -> np.ndarray:
        """Local image scale (N,) in pixels per metre of facade height at image points."""
        p = np.asarray(xy_px, dtype=np.float64).reshape(-1, 2)
        if len(p) == 1:  # the detector's usual question: a few a frame, about one point each
            return np.array([self.px_per_m_at(float(p[0, 0]), float(p[0, 1]))])
        grid = self.to_grid(p)
        up = grid + np.array([0.0, 0.1])
        d = np.linalg.norm(self.to_image(up) - self.to_image(grid), axis=1)
        return d / (0.1 * self.storey_m)

    def px_per_m_at(self, x: float, y: float) -> float:
        """`px_per_m` of one image point, in plain floats: the same arithmetic, a sixth of the time."""
        u, s = _apply_one(self._grid_from_img, x, y)
        x0, y0 = _apply_one(self._img_from_grid, u, s)
        x1, y1 = _apply_one(self._img_from_grid, u, s + 0.1)
        dx, dy = x1 - x0, y1 - y0
        return math.sqrt(dx * dx + dy * dy) / (0.1 * self.storey_m)

    def roi(self, margin_cols: float = 0.5) -> tuple[int, int, int, int]:
        """Image rectangle (x0, y0, x1, y1) to watch: the area, its sides, and everything below."""
        f = self.facade
        grid = np.array(
            [
                [-margin_cols, f.floors + 0.15],
                [f.columns + margin_cols, f.floors + 0.15],
                [f.columns + margin_cols, -1.0],
                [-margin_cols, -1.0],
            ]
        )
        pts = np.vstack([self.to_image(grid), self.corners_px])
        x0 = int(max(0, math.floor(pts[:, 0].min())))
        x1 = int(min(self.width, math.ceil(pts[:, 0].max())))
        y0 = int(max(0, math.floor(pts[:, 1].min())))
        return x0, y0, x1, self.height


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """A homography applied to points (N, 2); written out, as the detector calls it on few points often."""
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    out = np.empty_like(p)
    out[:, 0] = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w
    out[:, 1] = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w
    return out


def _apply_one(h: list[list[float]], x: float, y: float) -> tuple[float, float]:
    """`_apply` for one point, on the matrix as nested floats (numpy's per-call cost dominates there)."""
    w = h[2][0] * x + h[2][1] * y + h[2][2]
    return (h[0][0] * x + h[0][1] * y + h[0][2]) / w, (h[1][0] * x + h[1][1] * y + h[1][2]) / w


class MetricPath:
    """A growing track's points as times (s) and facade metres, each point converted once.

    The detector asks for the same recent tracks on every frame, each one point longer than
    the frame before; the arrays handed out are views that later points never change.
    """

    __slots__ = ("_t", "_x", "_y", "_n")

    def __init__(self) -> None:
        self._t = self._x = self._y = np.empty(0)
        self._n = 0

    def upto(
        self, geometry: FacadeGeometry, frames: list[int], xy: list[tuple[float, float]], fps: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t_s, x_m, y_m) of all `len(frames)` points, as `frames / fps` and `geometry.to_metric(xy)`."""
        n = len(frames)
        if n > len(self._t):
            size, done = max(2 * n, 16), self._n
            self._t, self._x, self._y = (_grown(a, done, size) for a in (self._t, self._x, self._y))
        t, xs, ys = self._t, self._x, self._y
        for i in range(self._n, n):
            x, y = xy[i]
            t[i] = frames[i] / fps
            xs[i], ys[i] = geometry.to_metric_at(x, y)
        self._n = max(self._n, n)
        return t[:n], xs[:n], ys[:n]


def _grown(a: np.ndarray, keep: int, size: int) -> np.ndarray:
    """A longer array holding the first `keep` values of `a`."""
    out = np.empty(size)
    out[:keep] = a[:keep]
    return out

"""The synthetic world: a building facade and a pinhole camera at its foot looking up.

World coordinates are the detector's metric facade frame: x_m along the wall from the
left edge of the calibrated area, y_m up from the bottom of its lowest floor, z_m out of
the wall towards the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

WIDTH, HEIGHT = 1280, 720
TEXTURE_PX_PER_M = 24


@dataclass(frozen=True)
class Building:
    """The facade layout: storeys, window bays, and which part is calibrated."""

    storey_m: float
    column_m: float
    floors: int  # calibrated floors
    columns: int  # calibrated columns
    lowest_floor: int
    floors_above: int  # building storeys above the calibrated area
    columns_side: int  # bays on each side outside the calibrated area
    window_w_m: float
    sill_m: float = 0.9
    window_h_m: float = 1.5

    @property
    def ground_y_m(self) -> float:
        """Height of the ground in world coordinates (negative: below the area)."""
        return -(self.lowest_floor - 1) * self.storey_m

    @property
    def top_y_m(self) -> float:
        """Height of the roof line."""
        return (self.floors + self.floors_above) * self.storey_m

    def window_rect(self, row: int, col: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in metres of the window in storey `row` (0 = lowest calibrated) and bay `col`."""
        x0 = col * self.column_m + (self.column_m - self.window_w_m) / 2
        y0 = row * self.storey_m + self.sill_m
        return x0, y0, x0 + self.window_w_m, y0 + self.window_h_m


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: intrinsics K and the world-to-camera rotation R about centre C."""

    k: np.ndarray
    r: np.ndarray
    c: np.ndarray

    def project(self, pts_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (N, 3) -> image points (N, 2) and their depths (N,) in metres."""
        cam = (np.asarray(pts_m, dtype=np.float64).reshape(-1, 3) - self.c) @ self.r.T
        depth = cam[:, 2]
        img = cam @ self.k.T
        return img[:, :2] / img[:, 2:3], depth

    @property
    def focal_px(self) -> float:
        """Focal length in pixels."""
        return float(self.k[0, 0])

    def plane_homography(self) -> np.ndarray:
        """Image-from-wall homography for points (x_m, y_m, 1) on the plane z = 0."""
        return self.k @ np.column_stack([self.r[:, 0], self.r[:, 1], -self.r @ self.c])


def make_building(rng: np.random.Generator) -> Building:
    """A random residential block."""
    column_m = float(rng.uniform(3.0, 4.2))
    return Building(
        storey_m=float(rng.uniform(2.85, 3.15)),
        column_m=column_m,
        floors=int(rng.integers(8, 19)),
        columns=int(rng.integers(3, 8)),
        lowest_floor=int(rng.integers(1, 5)),
        floors_above=int(rng.integers(0, 4)),
        columns_side=int(rng.integers(1, 3)),
        window_w_m=float(column_m * rng.uniform(0.4, 0.6)),
    )


def make_camera(rng: np.random.Generator, b: Building) -> Camera:
    """A camera at the foot of the building that frames the calibrated area."""
    area_w = b.columns * b.column_m
    area_h = b.floors * b.storey_m
    distance = float(rng.uniform(0.45, 0.8) * area_h + 6.0)
    centre = np.array([area_w / 2 + rng.uniform(-0.15, 0.15) * area_w, b.ground_y_m + rng.uniform(1.5, 4.5), distance])
    el_top = math.atan2(area_h - centre[1], distance)
    el_bottom = math.atan2(0.0 - centre[1], distance)
    pitch = (el_top + el_bottom) / 2
    yaw = float(rng.uniform(-0.04, 0.04))
    roll = float(rng.uniform(-0.012, 0.012))
    forward = np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch), -math.cos(yaw) * math.cos(pitch)])
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rot = np.vstack([right, down, forward])
    cr, sr = math.cos(roll), math.sin(roll)
    rot = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1.0]]) @ rot
    corners = np.array([[0, area_h, 0], [area_w, area_h, 0], [area_w, 0, 0], [0, 0, 0]], dtype=float)
    cam = (corners - centre) @ rot.T
    norm = cam[:, :2] / cam[:, 2:3]
    fill = float(rng.uniform(0.78, 0.92))
    focal = min(fill * WIDTH / 2 / np.abs(norm[:, 0]).max(), fill * HEIGHT / 2 / np.abs(norm[:, 1]).max())
    k = np.array([[focal, 0, WIDTH / 2], [0, focal, HEIGHT / 2], [0, 0, 1.0]])
    return Camera(k=k, r=rot, c=centre)


def calibration_corners(b: Building, cam: Camera) -> list[list[float]]:
    """The installer's calibration: TL, TR, BR, BL of the calibrated area in pixels."""
    area_w, area_h = b.columns * b.column_m, b.floors * b.storey_m
    corners = np.array([[0, area_h, 0], [area_w, area_h, 0], [area_w, 0, 0], [0, 0, 0]], dtype=float)
    px, _ = cam.project(corners)
    return [[round(float(x), 1), round(float(y), 1)] for x, y in px]


@dataclass
class Palette:
    """Colours of a scene (BGR); night scenes are grey infrared."""

    wall: tuple[int, int, int]
    glass: tuple[int, int, int]
    lit: tuple[int, int, int]
    frame: tuple[int, int, int]
    sky_top: tuple[int, int, int]
    sky_bottom: tuple[int, int, int]
    night: bool


def make_palette(rng: np.random.Generator, night: bool) -> Palette:
    """Day colours vary with the paint; at night the IR image is grey and dark."""
    if night:
        w = int(rng.integers(45, 80))
        return Palette((w, w, w), (18, 18, 18), (215, 215, 215), (w + 25,) * 3, (10, 10, 10), (25, 25, 25), True)
    base = rng.integers(150, 215)
    tint = rng.integers(-15, 16, size=3)
    wall = tuple(int(np.clip(base + t, 0, 255)) for t in tint)
    g = int(rng.integers(55, 95))
    return Palette(
        wall=wall,  # type: ignore[arg-type]
        glass=(g + 20, g + 8, g),
        lit=(150, 215, 240),
        frame=(230, 230, 230),
        sky_top=(235, 200, 160),
        sky_bottom=(245, 230, 215),
        night=False,
    )


def render_background(
    rng: np.random.Generator, b: Building, cam: Camera, pal: Palette, lit_p: float
) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """The still image of the scene and the image quads of every window by (row, col)."""
    ppm = TEXTURE_PX_PER_M
    x_min = -b.columns_side * b.column_m
    x_max = (b.columns + b.columns_side) * b.column_m
    y_min, y_max = b.ground_y_m - 2.0, b.top_y_m
    tw, th = int((x_max - x_min) * ppm), int((y_max - y_min) * ppm)
    tex = np.empty((th, tw, 3), np.uint8)
    tex[:] = pal.wall
    noise = rng.normal(0, 4, (th // 4 + 1, tw // 4 + 1)).astype(np.float32)
    noise = cv2.resize(noise, (tw, th))[..., None]
    tex = np.clip(tex.astype(np.float32) + noise, 0, 255).astype(np.uint8)

    def to_tex(x: float, y: float) -> tuple[int, int]:
        return int((x - x_min) * ppm), int((y_max - y) * ppm)

    ground = to_tex(x_min, b.ground_y_m)[1]
    tex[ground:] = (60, 70, 70) if not pal.night else (20, 20, 20)
    rows = range(-(b.lowest_floor - 1), b.floors + b.floors_above)
    for row in rows:
        slab = to_tex(0, row * b.storey_m)[1]
        cv2.rectangle(tex, (0, slab - 3), (tw, slab + 2), tuple(int(c * 0.8) for c in pal.wall), -1)
    quads: dict[tuple[int, int], np.ndarray] = {}
    for row in rows:
        for col in range(-b.columns_side, b.columns + b.columns_side):
            x0, y0, x1, y1 = b.window_rect(row, col)
            p0, p1 = to_tex(x0, y1), to_tex(x1, y0)
            cv2.rectangle(tex, (p0[0] - 2, p0[1] - 2), (p1[0] + 2, p1[1] + 2), pal.frame, -1)
            colour = (
                pal.lit
                if rng.random() < lit_p
                else tuple(int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in pal.glass)
            )
            cv2.rectangle(tex, p0, p1, colour, -1)
            cv2.line(tex, ((p0[0] + p1[0]) // 2, p0[1]), ((p0[0] + p1[0]) // 2, p1[1]), pal.frame, 2)
            corners = np.array([[x0, y1, 0], [x1, y1, 0], [x1, y0, 0], [x0, y0, 0]])
            quads[(row, col)] = cam.project(corners)[0]
    tex_to_wall = np.array([[1 / ppm, 0, x_min], [0, -1 / ppm, y_max], [0, 0, 1.0]])
    h = cam.plane_homography() @ tex_to_wall
    img = cv2.warpPerspective(tex, h, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(np.full((th, tw), 255, np.uint8), h, (WIDTH, HEIGHT))
    ramp = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    sky = np.array(pal.sky_top, np.float32) * (1 - ramp) + np.array(pal.sky_bottom, np.float32) * ramp
    sky = np.broadcast_to(sky, (HEIGHT, WIDTH, 3)).astype(np.uint8)
    out = np.where(cover[..., None] > 127, img, sky)
    return np.ascontiguousarray(out), quads

"""What moves in a synthetic scene: thrown objects (with ground truth) and every nuisance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from detectors.throwing.synth.world import HEIGHT, WIDTH, Building, Camera

G = 9.81
SUPER = 4  # supersampling of small sprites, so a one-pixel object still has the right coverage
EXPOSURE_S = 0.02


def draw_capsule(
    img: np.ndarray, p0: np.ndarray, p1: np.ndarray, diameter: float, colour: tuple[int, ...], alpha: float
) -> None:
    """Blend a motion-blurred disc (a capsule from p0 to p1) with sub-pixel coverage."""
    r = max(diameter, 0.6) / 2
    lo = np.floor(np.minimum(p0, p1) - r - 2).astype(int)
    hi = np.ceil(np.maximum(p0, p1) + r + 2).astype(int)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [img.shape[1], img.shape[0]])
    if np.any(hi - lo < 1):
        return
    w, h = hi - lo
    mask = np.zeros((h * SUPER, w * SUPER), np.uint8)
    a = ((p0 - lo) * SUPER).round().astype(int)
    b = ((p1 - lo) * SUPER).round().astype(int)
    cv2.line(mask, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, max(1, round(2 * r * SUPER)))
    cover = cv2.resize(mask, (int(w), int(h)), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    # A streak spreads the same light over a longer path: fainter per pixel.
    length = float(np.hypot(*(p1 - p0)))
    cover *= alpha * min(1.0, 2 * r / max(2 * r, length) + 0.35)
    patch = img[lo[1] : hi[1], lo[0] : hi[0]].astype(np.float32)
    col = np.asarray(colour[: img.shape[2] if img.ndim == 3 else 1], np.float32)
    if img.ndim == 2:
        patch += (col[0] - patch) * cover
    else:
        patch += (col[None, None, :] - patch) * cover[..., None]
    img[lo[1] : hi[1], lo[0] : hi[0]] = np.clip(patch, 0, 255).astype(np.uint8)


@dataclass
class Throw:
    """A thrown object with its ground truth and its per-frame image path."""

    floor: int
    column: int
    kind: str
    size_m: float
    release_frame: int
    first_frame: int  # first frame it is visible (held out before release)
    colour: tuple[int, int, int]
    frames: list[int] = field(default_factory=list)
    xy: list[np.ndarray] = field(default_factory=list)  # image position per frame
    tail: list[np.ndarray] = field(default_factory=list)  # image position EXPOSURE_S earlier
    diameter: list[float] = field(default_factory=list)

    @property
    def end_frame(self) -> int:
        """Last frame it is visible."""
        return self.frames[-1] if self.frames else self.release_frame

    def draw(self, img: np.ndarray, frame: int) -> None:
        """Draw the object as it appears in `frame`, if visible."""
        i = frame - self.first_frame
        if 0 <= i < len(self.frames):
            draw_capsule(img, self.tail[i], self.xy[i], self.diameter[i], self.colour, 0.95)

    def truth(self) -> dict[str, object]:
        """Ground truth record for the JSON file."""
        track = [
            [f, round(float(p[0]), 1), round(float(p[1]), 1)]
            for f, p in zip(self.frames, self.xy, strict=True)
            if f >= self.release_frame
        ]
        return {
            "floor": self.floor,
            "column": self.column,
            "kind": self.kind,
            "size_m": round(self.size_m, 3),
            "release_frame": self.release_frame,
            "end_frame": self.end_frame,
            "track": track,
        }


def make_throw(
    rng: np.random.Generator,
    b: Building,
    cam: Camera,
    fps: float,
    release_frame: int,
    night: bool,
    kind: str | None = None,
) -> Throw:
    """Simulate one throw from a random window of the calibrated area."""
    row = int(rng.integers(0, b.floors))
    col = int(rng.integers(0, b.columns))
    drawn = str(rng.choice(["heavy", "heavy", "bag", "paper"]))
    kind = kind or drawn
    size = float(
        {"heavy": rng.uniform(0.09, 0.35), "bag": rng.uniform(0.15, 0.45), "paper": rng.uniform(0.12, 0.3)}[kind]
    )
    if night:
        v = int(rng.integers(150, 240))
        colour = (v, v, v)
    elif rng.random() < 0.5:
        v = int(rng.integers(15, 70))
        colour = (v, v, v + int(rng.integers(0, 40)))
    else:
        colour = tuple(int(c) for c in rng.integers(180, 256, size=3))  # type: ignore[assignment]
    x0, y0, x1, _ = b.window_rect(row, col)
    pos = np.array([rng.uniform(x0 + 0.1, x1 - 0.1), y0 + rng.uniform(0.1, 0.6), rng.uniform(0.3, 0.7)])
    vel = np.array([rng.uniform(-1.0, 1.0), rng.uniform(-0.5, 1.2), rng.uniform(0.5, 2.5)])
    terminal = {"heavy": rng.uniform(25, 60), "bag": rng.uniform(1.8, 4.0), "paper": rng.uniform(1.2, 2.5)}[kind]
    drag = G / terminal**2
    wind = np.array([rng.uniform(-1.5, 1.5), 0.0, rng.uniform(-0.3, 1.0)]) * (kind != "heavy")
    flutter_hz, flutter_a = rng.uniform(0.4, 1.4), (0.0 if kind == "heavy" else rng.uniform(0.3, 1.2))
    phase = rng.uniform(0, 2 * math.pi)
    hold = int(rng.integers(0, int(0.8 * fps))) if rng.random() < 0.4 else 0
    throw = Throw(
        floor=b.lowest_floor + row,
        column=col + 1,
        kind=kind,
        size_m=size,
        release_frame=release_frame,
        first_frame=release_frame - hold,
        colour=colour,
    )
    sub = 8
    dt = 1.0 / (fps * sub)
    history: list[np.ndarray] = []
    for _ in range(hold):
        throw_point(throw, cam, release_frame - hold + len(throw.frames), pos, pos, size, 1.0)
    frame = release_frame
    t = 0.0
    while frame < release_frame + int(12 * fps):
        for _ in range(sub):
            rel = vel - wind
            acc = np.array([0.0, -G, 0.0]) - drag * np.linalg.norm(rel) * rel
            acc[0] += flutter_a * 2 * math.pi * flutter_hz * math.cos(2 * math.pi * flutter_hz * t + phase)
            vel = vel + acc * dt
            pos = pos + vel * dt
            t += dt
            history.append(pos.copy())
        tail = history[-max(1, int(EXPOSURE_S / dt))]
        tumble = 1.0 if kind == "heavy" else 0.45 + 0.55 * abs(math.cos(3.0 * t + phase))
        if pos[1] < b.ground_y_m or not throw_point(throw, cam, frame, pos, tail, size, tumble):
            break
        frame += 1
    return throw


def throw_point(
    throw: Throw, cam: Camera, frame: int, pos: np.ndarray, tail: np.ndarray, size: float, tumble: float
) -> bool:
    """Add one frame of a throw; False once it has left the image."""
    px, depth = cam.project(np.vstack([pos, tail]))
    if not (0 <= px[0, 0] < WIDTH and 0 <= px[0, 1] < HEIGHT):
        return False
    throw.frames.append(frame)
    throw.xy.append(px[0])
    throw.tail.append(px[1])
    throw.diameter.append(size * tumble * cam.focal_px / float(depth[0]))
    return True


# --- nuisances ----------------------------------------------------------------------------


class Bird:
    """A bird crossing the view from an edge; some dive steeply and pull out again."""

    def __init__(self, rng: np.random.Generator, n_frames: int, fps: float, dive: bool) -> None:
        self.start = int(rng.integers(0, max(1, n_frames - int(fps))))
        side = rng.integers(0, 3)
        speed = rng.uniform(4, 14)
        if side == 0:
            p, v = np.array([-10.0, rng.uniform(40, 500)]), np.array([speed, rng.uniform(-2, 2)])
        elif side == 1:
            p, v = np.array([WIDTH + 10.0, rng.uniform(40, 500)]), np.array([-speed, rng.uniform(-2, 2)])
        else:
            p, v = np.array([rng.uniform(200, 1080), -10.0]), np.array([rng.uniform(-6, 6), rng.uniform(2, 6)])
        self.size = rng.uniform(4, 12)
        self.colour = tuple(int(c) for c in rng.integers(20, 70, size=3))
        self.flap_hz = rng.uniform(4, 9) * (rng.random() < 0.8)
        self.path: list[np.ndarray] = []
        dive_at = int(rng.integers(int(0.3 * fps), int(1.5 * fps))) if dive else -1
        dive_len = int(rng.uniform(0.5, 1.3) * fps)
        for i in range(int(8 * fps)):
            if dive and dive_at <= i < dive_at + dive_len:
                v = v + np.array([0, rng.uniform(1.0, 2.5)])
                v[1] = min(v[1], 25)
            elif dive and i >= dive_at + dive_len:
                v = v + np.array([0, -2.0])
                v[1] = max(v[1], -8)
            v = v + rng.normal(0, 0.4, 2)
            p = p + v
            if not (-40 < p[0] < WIDTH + 40 and -40 < p[1] < HEIGHT + 40):
                break
            self.path.append(p.copy())

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Draw a body and two wings whose angle follows the wing beat."""
        i = frame - self.start
        if not 0 <= i < len(self.path):
            return
        p = self.path[i]
        draw_capsule(img, p - [self.size / 3, 0], p + [self.size / 3, 0], self.size / 2.5, self.colour, 1.0)
        beat = math.sin(2 * math.pi * self.flap_hz * frame / fps) if self.flap_hz else 0.2
        for side in (-1, 1):
            tip = p + np.array([side * self.size, -beat * self.size * 0.8])
            draw_capsule(img, p, tip, max(1.0, self.size / 6), self.colour, 1.0)


class Insect:
    """An insect near the lens: a large, blurred, erratic blob that appears out of focus."""

    def __init__(self, rng: np.random.Generator, n_frames: int, fps: float, night: bool) -> None:
        self.start = int(rng.integers(0, max(1, n_frames - int(fps))))
        self.life = int(rng.uniform(0.5, 3.0) * fps)
        self.radius = rng.uniform(10, 45)
        v = int(rng.integers(170, 240)) if night or rng.random() < 0.3 else int(rng.integers(10, 60))
        self.colour = (v, v, v)
        self.alpha = rng.uniform(0.3, 0.7)
        p = np.array([rng.uniform(100, WIDTH - 100), rng.uniform(80, HEIGHT - 80)])
        vel = rng.normal(0, 6, 2)
        self.path = []
        for _ in range(self.life):
            vel = 0.8 * vel + rng.normal(0, 7, 2)
            p = p + vel
            self.path.append(p.copy())

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Draw a soft disc that fades in and out like something crossing the focus."""
        i = frame - self.start
        if not 0 <= i < len(self.path):
            return
        fade = min(1.0, i / 4, (len(self.path) - i) / 4)
        r = self.radius
        p = self.path[i]
        x0, y0 = int(p[0] - 2 * r), int(p[1] - 2 * r)
        size = int(4 * r)
        if x0 < 0 or y0 < 0 or x0 + size > img.shape[1] or y0 + size > img.shape[0]:
            return
        blob = np.zeros((size, size), np.float32)
        cv2.circle(blob, (size // 2, size // 2), int(r), 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), r / 2.5) * (self.alpha * fade)
        patch = img[y0 : y0 + size, x0 : x0 + size].astype(np.float32)
        col = np.asarray(self.colour, np.float32)
        patch += (col[None, None, : patch.shape[2]] - patch) * blob[..., None]
        img[y0 : y0 + size, x0 : x0 + size] = patch.astype(np.uint8)


class Leaf:
    """A leaf blown in from the top or a side, fluttering as it sinks."""

    def __init__(self, rng: np.random.Generator, n_frames: int, fps: float) -> None:
        self.start = int(rng.integers(0, max(1, n_frames - int(fps))))
        side = rng.integers(0, 3)
        if side == 0:
            p = np.array([rng.uniform(100, WIDTH - 100), -5.0])
        else:
            p = np.array([-5.0 if side == 1 else WIDTH + 5.0, rng.uniform(0, HEIGHT / 2)])
        drift = rng.uniform(1, 4) * (1 if side != 2 else -1)
        sink = rng.uniform(1.5, 6)
        amp, hz, ph = rng.uniform(5, 30), rng.uniform(0.5, 1.5), rng.uniform(0, 6.3)
        self.size = rng.uniform(4, 12)
        self.colour = (int(rng.integers(20, 60)), int(rng.integers(90, 160)), int(rng.integers(60, 140)))
        self.path = []
        for i in range(int(10 * fps)):
            q = p + np.array([drift * i + amp * math.sin(2 * math.pi * hz * i / fps + ph), sink * i])
            if not (-20 < q[0] < WIDTH + 20 and q[1] < HEIGHT + 20):
                break
            self.path.append(q)

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Draw a small tumbling ellipse."""
        i = frame - self.start
        if 0 <= i < len(self.path):
            turn = 0.3 + 0.7 * abs(math.sin(i / 3))
            p = self.path[i]
            draw_capsule(
                img, p - [self.size * turn / 2, 0], p + [self.size * turn / 2, 0], self.size / 2, self.colour, 1.0
            )


class Laundry:
    """A cloth hung out of a window below its sill, swinging in the wind."""

    def __init__(self, rng: np.random.Generator, b: Building, cam: Camera) -> None:
        row, col = int(rng.integers(0, b.floors)), int(rng.integers(0, b.columns))
        x0, y0, x1, _ = b.window_rect(row, col)
        self.cam = cam
        w, h = rng.uniform(0.5, 1.0), rng.uniform(0.6, 1.3)
        xc = rng.uniform(x0, x1)
        self.top = np.array([[xc - w / 2, y0, 0.3], [xc + w / 2, y0, 0.3]])
        self.h = h
        self.amp, self.hz, self.ph = rng.uniform(0.1, 0.45), rng.uniform(0.5, 2.5), rng.uniform(0, 6.3)
        self.colour = tuple(int(c) for c in rng.integers(120, 256, size=3))

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Draw the cloth with its free edge swinging sideways and outwards."""
        t = frame / fps
        swing = self.amp * math.sin(2 * math.pi * self.hz * t + self.ph) + 0.05 * math.sin(7.3 * t)
        bottom = self.top + np.array([swing, -self.h, abs(swing)])
        quad = np.vstack([self.top, bottom[::-1]])
        px, _ = self.cam.project(quad)
        cv2.fillConvexPoly(img, px.round().astype(np.int32), self.colour[: img.shape[2]], cv2.LINE_AA)


class Curtain:
    """A curtain blowing in an open window: its covered width changes all the time."""

    def __init__(self, rng: np.random.Generator, quad: np.ndarray) -> None:
        self.quad = quad  # TL, TR, BR, BL of the window in pixels
        self.hz, self.ph = rng.uniform(0.3, 1.5), rng.uniform(0, 6.3)
        v = int(rng.integers(180, 250))
        self.colour = (v - 20, v, v)

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Draw the curtain over a varying fraction of the window."""
        f = 0.35 + 0.3 * math.sin(2 * math.pi * self.hz * frame / fps + self.ph)
        tl, tr, br, bl = self.quad
        poly = np.array([tl, tl + (tr - tl) * f, bl + (br - bl) * f * 0.7, bl])
        cv2.fillConvexPoly(img, poly.round().astype(np.int32), self.colour[: img.shape[2]], cv2.LINE_AA)


class WindowLight:
    """A window whose light is switched on and off during the scene."""

    def __init__(self, rng: np.random.Generator, quad: np.ndarray, n_frames: int, lit: tuple[int, ...]) -> None:
        self.quad = quad.round().astype(np.int32)
        self.switches = sorted(int(s) for s in rng.integers(0, n_frames, size=int(rng.integers(1, 4))))
        self.lit = lit
        self.on_first = bool(rng.random() < 0.5)

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Fill the window when its light is on."""
        on = self.on_first ^ (sum(1 for s in self.switches if s <= frame) % 2 == 1)
        if on:
            cv2.fillConvexPoly(img, self.quad, self.lit[: img.shape[2]], cv2.LINE_AA)


class Rain:
    """Rain: many short, faint, near-vertical streaks, new ones every frame."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.count = int(rng.integers(80, 300))
        self.slant = rng.uniform(-0.25, 0.25)

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None:
        """Draw this frame's streaks."""
        rng = self.rng
        n = self.count
        x = rng.uniform(0, WIDTH, n)
        y = rng.uniform(0, HEIGHT, n)
        length = rng.uniform(12, 45, n)
        overlay = img.copy()
        for xi, yi, li in zip(x, y, length, strict=True):
            cv2.line(
                overlay, (int(xi), int(yi)), (int(xi + self.slant * li), int(yi + li)), (225, 225, 225), 1, cv2.LINE_AA
            )
        cv2.addWeighted(overlay, 0.35, img, 0.65, 0, dst=img)

"""A synthetic scene: building, camera, throws and nuisances, rendered to mp4 with a truth file."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from detectors.throwing.synth.actors import (
    Bird,
    Curtain,
    Insect,
    Laundry,
    Leaf,
    Rain,
    Throw,
    WindowLight,
    make_throw,
)
from detectors.throwing.synth.world import (
    HEIGHT,
    WIDTH,
    calibration_corners,
    make_building,
    make_camera,
    make_palette,
    render_background,
)

FPS = 25.0
NUISANCES = (
    "birds",
    "diving_birds",
    "insects",
    "leaves",
    "rain",
    "laundry",
    "curtains",
    "window_lights",
    "illumination",
    "shake",
    "compression",
)


class Actor(Protocol):
    """Anything drawn into the scene frame by frame."""

    def draw(self, img: np.ndarray, frame: int, fps: float) -> None: ...


@dataclass(frozen=True)
class SceneSpec:
    """What a scene contains; everything else follows from the seed."""

    seed: int
    throws: int
    nuisances: tuple[str, ...]
    night: bool
    seconds: float = 8.0
    throw_kind: str | None = None  # heavy, bag or paper; None draws one per throw


def random_spec(seed: int, nuisance_only: bool) -> SceneSpec:
    """A scene with 1-2 throws (or none) and a random selection of nuisances."""
    rng = np.random.default_rng([seed, 7])
    pool = list(NUISANCES)
    k = int(rng.integers(3, 7)) if nuisance_only else int(rng.integers(1, 5))
    picked = tuple(sorted(rng.choice(pool, size=k, replace=False).tolist()))
    throws = 0 if nuisance_only else int(rng.integers(1, 3))
    return SceneSpec(seed=seed, throws=throws, nuisances=picked, night=bool(rng.random() < 0.3))


class CameraEffects:
    """Exposure jumps, shake, sensor noise and extra compression, applied to a clean frame."""

    def __init__(self, rng: np.random.Generator, spec: SceneSpec, n_frames: int) -> None:
        self.gain = np.ones(n_frames, np.float32)
        if "illumination" in spec.nuisances:
            level = 1.0
            for at in sorted(rng.integers(int(FPS), n_frames, size=int(rng.integers(1, 4)))):
                target = float(np.clip(level * rng.uniform(0.6, 1.5), 0.45, 1.6))
                ramp = int(rng.integers(1, 4))
                for i in range(at, n_frames):
                    w = min(1.0, (i - at + 1) / ramp)
                    self.gain[i] = level + (target - level) * w
                level = target
        self.shift = np.zeros((n_frames, 2), np.float32)
        if "shake" in spec.nuisances:
            amp, hz, ph = rng.uniform(0.5, 3.0), rng.uniform(1, 5), rng.uniform(0, 6.3, 2)
            t = np.arange(n_frames) / FPS
            self.shift[:, 0] = amp * np.sin(2 * math.pi * hz * t + ph[0])
            self.shift[:, 1] = amp * 0.7 * np.sin(2 * math.pi * hz * 1.3 * t + ph[1])
            for at in rng.integers(0, n_frames, size=int(rng.integers(1, 4))):
                kick = rng.uniform(-10, 10, 2)
                for i in range(at, min(n_frames, at + int(FPS))):
                    k = i - at
                    self.shift[i] += kick * math.exp(-k / 6) * math.cos(k * 1.3)
        self.noise_sigma = float(rng.uniform(5, 12) if spec.night else rng.uniform(1.0, 3.0))
        self.noise_bank = [rng.normal(0, self.noise_sigma, (HEIGHT, WIDTH)).astype(np.int16) for _ in range(6)]
        self.jpeg_q = int(rng.integers(30, 65)) if "compression" in spec.nuisances else 0
        self.rng = rng
        # Night IR noise comes with every night scene, from its own random stream so that the
        # rest of a scene does not depend on it.
        self.ir = IrNoise(np.random.default_rng([spec.seed, 11])) if spec.night else None

    def apply(self, img: np.ndarray, i: int) -> np.ndarray:
        """The frame as the camera delivers it."""
        dx, dy = self.shift[i]
        if dx or dy:
            m = np.array([[1, 0, dx], [0, 1, dy]], dtype=np.float32)
            img = cv2.warpAffine(img, m, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)
        if self.gain[i] != 1.0:
            img = cv2.convertScaleAbs(img, alpha=float(self.gain[i]))
        noise = self.noise_bank[int(self.rng.integers(0, len(self.noise_bank)))]
        noise = np.roll(noise, int(self.rng.integers(0, WIDTH)), axis=1)
        img = np.clip(img.astype(np.int16) + noise[..., None], 0, 255).astype(np.uint8)
        if self.ir is not None:
            img = self.ir.apply(img)
        if self.jpeg_q:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_q])
            decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
            img = decoded if decoded is not None else img
        return img


class IrNoise:
    """What an IR-lit sensor at high gain adds at night: twinkling hot pixels, sparkle, gain pumping."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        n_hot = int(rng.integers(150, 600))
        self.hot = np.stack([rng.integers(0, WIDTH - 1, n_hot), rng.integers(0, HEIGHT - 1, n_hot)], axis=1)
        self.hot_size = rng.integers(1, 3, n_hot)  # 1x1 or 2x2 pixel clusters
        self.hot_duty = rng.uniform(0.05, 0.6, n_hot)  # how often each one is lit
        self.sparkle = int(rng.integers(20, 120))  # random bright specks per frame
        self.pump = float(rng.uniform(0.0, 0.05))  # automatic gain control hunting, per frame

    def apply(self, img: np.ndarray) -> np.ndarray:
        """The frame with this frame's IR noise."""
        rng = self.rng
        if self.pump:
            img = cv2.convertScaleAbs(img, alpha=1.0 + float(rng.uniform(-self.pump, self.pump)))
        lit = rng.random(len(self.hot)) < self.hot_duty
        specks = np.stack([rng.integers(0, WIDTH - 1, self.sparkle), rng.integers(0, HEIGHT - 1, self.sparkle)], axis=1)
        points = np.vstack([self.hot[lit], specks])
        sizes = np.concatenate([self.hot_size[lit], rng.integers(1, 3, self.sparkle)])
        values = rng.integers(170, 256, len(points))
        for (x, y), k, v in zip(points.tolist(), sizes.tolist(), values.tolist(), strict=True):
            img[y : y + k, x : x + k] = v
        return img


def render_scene(spec: SceneSpec, out_dir: Path, name: str) -> dict[str, Any]:
    """Render one scene to `out_dir/name.mp4` and `out_dir/name.json`; returns the truth."""
    rng = np.random.default_rng(spec.seed)
    building = make_building(rng)
    cam = make_camera(rng, building)
    palette = make_palette(rng, spec.night)
    background, quads = render_background(rng, building, cam, palette, 0.25 if spec.night else 0.08)
    throws: list[Throw] = []
    release = int(rng.integers(int(2.0 * FPS), int(3.0 * FPS)))
    for _ in range(spec.throws):
        throws.append(make_throw(rng, building, cam, FPS, release, spec.night, spec.throw_kind))
        release = throws[-1].end_frame + int(rng.integers(int(0.3 * FPS), int(1.5 * FPS)))
    n_frames = int(spec.seconds * FPS)
    if throws:
        n_frames = max(n_frames, max(t.end_frame for t in throws) + int(0.6 * FPS))
    actors = _nuisances(rng, spec, building, cam, quads, n_frames, palette.lit)
    effects = CameraEffects(rng, spec, n_frames)
    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / f"{name}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"cannot write {video}: no mp4v encoder in this OpenCV build")
    try:
        for i in range(n_frames):
            img = background.copy()
            for actor in actors:
                actor.draw(img, i, FPS)
            for throw in throws:
                throw.draw(img, i)
            if palette.night:
                img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            writer.write(effects.apply(img, i))
    finally:
        writer.release()
    truth = {
        "version": 1,
        "video": video.name,
        "camera": name,
        "fps": FPS,
        "frames": n_frames,
        "size": [WIDTH, HEIGHT],
        "seed": spec.seed,
        "night": spec.night,
        "nuisances": list(spec.nuisances) + (["ir_noise"] if spec.night else []),
        "facade": {
            "corners_px": calibration_corners(building, cam),
            "floors": building.floors,
            "lowest_floor": building.lowest_floor,
            "columns": building.columns,
        },
        "world": {
            "focal_px": round(cam.focal_px, 1),
            "camera_m": [round(float(v), 2) for v in cam.c],
            "storey_m": round(building.storey_m, 3),
            "column_m": round(building.column_m, 3),
        },
        "throws": [t.truth() for t in throws],
    }
    (out_dir / f"{name}.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def _nuisances(
    rng: np.random.Generator,
    spec: SceneSpec,
    building: Any,
    cam: Any,
    quads: dict[tuple[int, int], np.ndarray],
    n_frames: int,
    lit: tuple[int, ...],
) -> list[Actor]:
    inside = [q for (r, c), q in quads.items() if 0 <= r < building.floors and 0 <= c < building.columns]
    actors: list[Actor] = []
    n = spec.nuisances
    if "window_lights" in n:
        for i in rng.choice(len(inside), size=min(len(inside), int(rng.integers(2, 7))), replace=False):
            actors.append(WindowLight(rng, inside[int(i)], n_frames, lit))
    if "curtains" in n:
        for i in rng.choice(len(inside), size=min(len(inside), int(rng.integers(1, 4))), replace=False):
            actors.append(Curtain(rng, inside[int(i)]))
    if "laundry" in n:
        actors.extend(Laundry(rng, building, cam) for _ in range(int(rng.integers(1, 4))))
    if "birds" in n:
        actors.extend(Bird(rng, n_frames, FPS, dive=False) for _ in range(int(rng.integers(1, 5))))
    if "diving_birds" in n:
        actors.extend(Bird(rng, n_frames, FPS, dive=True) for _ in range(int(rng.integers(1, 4))))
    if "leaves" in n:
        actors.extend(Leaf(rng, n_frames, FPS) for _ in range(int(rng.integers(2, 7))))
    if "insects" in n:
        actors.extend(Insect(rng, n_frames, FPS, spec.night) for _ in range(int(rng.integers(1, 4))))
    if "rain" in n:
        actors.append(Rain(rng))
    return actors


def generate(out_dir: Path, scenes: int, seed: int, nuisance_fraction: float = 0.3) -> list[dict[str, Any]]:
    """Render `scenes` scenes; about `nuisance_fraction` of them have no throw at all."""
    truths = []
    for i in range(scenes):
        nuisance_only = (i % max(1, round(1 / nuisance_fraction))) == 0 if nuisance_fraction > 0 else False
        spec = random_spec(seed * 10_000 + i, nuisance_only)
        truths.append(render_scene(spec, out_dir, f"scene-{i:03d}"))
    write_devices(out_dir, truths)
    return truths


def write_devices(out_dir: Path, truths: list[dict[str, Any]]) -> Path:
    """A devices.yaml with one facade camera per scene, so `zhian throwing` runs on them."""
    lines = ["version: 1", "community: {id: synth, name: synthetic scenes}", "devices:"]
    for truth in truths:
        f = truth["facade"]
        lines += [
            f"  - id: {truth['camera']}",
            "    type: camera",
            "    zone: facade",
            f"    stream: {truth['video']}",
            "    detectors: [throwing]",
            "    facade:",
            f"      corners_px: {json.dumps(f['corners_px'])}",
            f"      floors: {f['floors']}",
            f"      lowest_floor: {f['lowest_floor']}",
            f"      columns: {f['columns']}",
        ]
    path = out_dir / "devices.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

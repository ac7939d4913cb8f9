"""An exposure jump that clips the bright parts of the facade swamps the foreground with still
blobs; the background then learns everywhere until they are gone, and a fall among them is found."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from detectors.throwing.foreground import ForegroundExtractor, ForegroundParams
from tests.detectors.throwing_scenes import scene_alarms

SHAPE = (360, 480)
JUMP_AT = 30


def _facade_frames(rng: np.random.Generator, n: int, gain: float) -> list[np.ndarray]:
    # A pale wall with small bright fittings (sills, frames): a gain of more than 255/240 clips
    # the fittings and not the wall, which no cell gain can undo.
    wall = np.full(SHAPE, 165.0)
    place = np.random.default_rng(7)  # (scattered: a regular grid would fool the shake estimate)
    for y, x in zip(place.integers(4, SHAPE[0] - 7, 600), place.integers(4, SHAPE[1] - 7, 600), strict=True):
        wall[y : y + 3, x : x + 3] = 240.0
    frames = []
    for i in range(n):
        lit = wall * (gain if i >= JUMP_AT else 1.0)
        frames.append(np.clip(lit + rng.normal(0, 1.5, SHAPE), 0, 255).astype(np.uint8))
    return frames


def _blob_counts(params: ForegroundParams, frames: list[np.ndarray]) -> list[int]:
    fg = ForegroundExtractor(SHAPE, params)
    return [len(fg.apply(f).xy) for f in frames]  # (the same frames twice: `apply` copies them)


def test_the_background_learns_everywhere_while_swamped_and_clears_within_a_second() -> None:
    frames = _facade_frames(np.random.default_rng(3), JUMP_AT + 40, gain=1.3)
    counts = _blob_counts(ForegroundParams(), frames)
    assert max(counts[JUMP_AT : JUMP_AT + 3]) > 300  # every fitting stands out after the jump
    assert max(counts[JUMP_AT + 25 :]) <= 5
    # Learning as usual (slowly under foreground), the fittings still stand out a second later.
    slow = _blob_counts(replace(ForegroundParams(), swamp_frames=10**6), frames)
    assert slow[JUMP_AT + 25] > 300


def test_hundreds_of_blobs_at_the_same_light_do_not_count_as_swamped() -> None:
    # Noise at night (and a low-bitrate stream's keyframes) may give hundreds of blobs for frames
    # on end at an unchanged light; an object put out at a window meanwhile fades into the
    # background no sooner than it would without the rule.
    rng = np.random.default_rng(4)
    frames = _facade_frames(rng, 80, gain=1.0)
    noisy = list(range(30, 40))
    for i, frame in enumerate(frames):
        if i >= 10:
            frame[100:108, 200:208] = 60  # put out at a window, and held there
        if i in noisy:
            for y, x in zip(rng.integers(4, SHAPE[0] - 7, 350), rng.integers(4, SHAPE[1] - 7, 350), strict=True):
                frame[y : y + 3, x : x + 3] = 20
    counts = _blob_counts(ForegroundParams(), frames)
    assert [i for i, n in enumerate(counts) if n > 300] == noisy
    assert counts == _blob_counts(replace(ForegroundParams(), swamp_frames=10**6), frames)


def test_a_heavy_object_falling_through_a_swamped_facade_is_found(tmp_path: Path) -> None:
    # Recorded: held-out set 49006, scene 026, by day. The sky brightens 4 frames after a pale
    # 0.35 m object leaves a window of floor 8 and the pale wall clips: some 400 still blobs
    # stood about its path for two seconds, and tracks of them took it piece by piece.
    truth, alarms = scene_alarms(490060026, tmp_path)
    assert [(t["floor"], t["column"], t["kind"]) for t in truth["throws"]] == [(8, 5, "heavy")]
    found = [(floor, column) for _, floor, column in alarms]
    assert found == [(8, 5)]

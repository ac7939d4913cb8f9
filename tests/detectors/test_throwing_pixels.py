"""The foreground's pixel work: sparkle suppression keeps objects and drops lone specks."""

from __future__ import annotations

import numpy as np

from detectors.throwing.foreground import ForegroundExtractor, _unheralded

SHAPE = (240, 200)


def _boxes(*rows: tuple[int, int, int, int]) -> np.ndarray:
    return np.array(rows, dtype=np.int32).reshape(-1, 4)


def test_a_small_blob_far_from_every_earlier_blob_is_a_sparkle() -> None:
    boxes = _boxes((10, 10, 14, 14), (100, 100, 104, 104))
    last = _boxes((14, 18, 18, 22))  # 4 px right and below the first: within reach
    alone = _unheralded(boxes, np.array([16, 16]), last, max_area=16, reach=8)
    assert alone.tolist() == [False, True]


def test_reach_is_measured_between_box_edges() -> None:
    boxes = _boxes((30, 10, 34, 14))
    assert not _unheralded(boxes, np.array([16]), _boxes((10, 10, 23, 14)), 16, 8)[0]  # 7 px gap
    assert _unheralded(boxes, np.array([16]), _boxes((10, 10, 22, 14)), 16, 8)[0]  # 8 px gap


def test_bigger_blobs_and_blobs_after_nothing() -> None:
    boxes = _boxes((10, 10, 14, 14), (100, 100, 106, 106))
    alone = _unheralded(boxes, np.array([16, 36]), _boxes(), max_area=16, reach=8)
    assert alone.tolist() == [True, False]  # the big one is never a sparkle


def _frames(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    # A wall with windows: texture for the shake estimate to lock on to.
    wall = np.kron(rng.uniform(30, 120, (SHAPE[0] // 20, SHAPE[1] // 20)), np.ones((20, 20)))
    return [np.clip(wall + rng.normal(0, 2.0, SHAPE), 0, 255).astype(np.uint8) for _ in range(n)]


WARM_UP = 30  # frames for the extractor to learn the background and its noise


def _warmed(seed: int, n: int) -> tuple[ForegroundExtractor, list[np.ndarray]]:
    """An extractor that has learnt the first WARM_UP of `n` frames, and the frames after those."""
    frames = _frames(np.random.default_rng(seed), n)
    fg = ForegroundExtractor(SHAPE)
    for frame in frames[:WARM_UP]:
        fg.apply(frame)
    return fg, frames[WARM_UP:]


def test_a_lone_speck_makes_no_blob_but_a_small_moving_object_does() -> None:
    fg, frames = _warmed(50001, 40)
    speck = frames[0].copy()
    speck[100:102, 50:52] = 250  # a 2x2 sparkle: dilated to 4x4 = 16 pixels
    assert len(fg.apply(speck).area) == 0
    found = []
    for k, frame in enumerate(frames[1:7]):
        img = frame.copy()
        y = 40 + 3 * k  # a 2x2 object falling 3 px a frame
        img[y : y + 2, 120:122] = 250
        blobs = fg.apply(img)
        found.append(blobs.xy - np.array([120.5, y + 0.5]))  # offsets from the object's centre
    assert len(found[0]) == 0  # its first sighting looks like a sparkle
    for offsets in found[1:]:
        assert offsets.shape == (1, 2) and np.abs(offsets).max() < 1.0


def test_a_larger_object_is_found_on_its_first_frame() -> None:
    fg, frames = _warmed(50002, 32)
    img = frames[0].copy()
    img[100:104, 50:53] = 250  # 4x3: dilated to 6x5 = 30 pixels
    blobs = fg.apply(img)
    assert blobs.area.tolist() == [30]


def test_an_object_missed_for_a_frame_is_not_a_sparkle_when_it_shows_again() -> None:
    fg, frames = _warmed(50003, 36)
    seen = []
    for k, frame in enumerate(frames):
        img = frame.copy()
        if k != 3:  # hidden on the fourth frame (behind dark glass)
            img[60 + 2 * k : 62 + 2 * k, 70:72] = 250
        seen.append(len(fg.apply(img).area))
    assert seen == [0, 1, 1, 0, 1, 1]

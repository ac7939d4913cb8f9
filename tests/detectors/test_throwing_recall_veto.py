"""Recall: an object that leaves its window just as something fast flies past it."""

from __future__ import annotations

from detectors.throwing.physics import G_MPS2
from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, image_point, run_scene

WINDOW_M = (2.5 * GEOMETRY.column_m, 6.4 * GEOMETRY.storey_m)  # floor 9, column 3


def _thrown(f: int) -> tuple[float, float]:
    """An object let go at frame 60 with a push of 1.5 m/s to the side, then falling freely."""
    tau = (f - 60) / FPS
    return image_point(WINDOW_M[0] + 1.5 * tau, WINDOW_M[1] - 0.5 * G_MPS2 * tau * tau)


def _bird(f: int) -> tuple[float, float]:
    """A bird diving past the window, 15 px to its right at frame 60, at 25 px a frame."""
    x, y = image_point(*WINDOW_M)
    return x + 15.0 + 3.0 * (f - 60), y + 25.0 * (f - 60)


def _run_with_bird(thrown: bool) -> list[tuple[int, int, int]]:
    def scene(f: int) -> list[tuple[float, float]]:
        pts = [_bird(f)] if 48 <= f < 66 else []
        return pts + ([_thrown(f)] if thrown and f >= 60 else [])

    return run_scene(scene, 110)


def test_object_released_as_a_bird_dives_past_its_window_is_found() -> None:
    # The object's first blob is 15 px from the bird's: it is taken for a piece of the bird
    # (a tumbling bag breaks into two blobs; neither starts a throw). It then moves at a
    # tenth of the bird's speed: it is not part of the bird.
    assert [(floor, column) for _, floor, column in _run_with_bird(True)] == [(9, 3)]


def test_the_bird_alone_is_no_throw() -> None:
    assert _run_with_bird(False) == []

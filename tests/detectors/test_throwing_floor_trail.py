"""Floor: a light object lost for a second at a time as it sinks is placed at its window, not
where its last fragment began."""

from __future__ import annotations

import numpy as np

from tests.detectors.test_throwing_recall_rest import FPS, GEOMETRY, Scene, detections, image_point


def run_scene(scene: Scene, frames: int) -> list[tuple[int, int, int, str]]:
    """(alarm frame, floor, column, kind) of every alarm raised on the scene."""
    return [(d.frame, d.floor, d.column, d.kind) for d in detections(scene, frames)]


# Floor 13 (storey index 10), column 3: a sheet of paper put out a little above the sill.
WINDOW_M = (2.5 * GEOMETRY.column_m, 10.4 * GEOMETRY.storey_m)
RELEASE = 60
SINK_MPS = 1.6


def _paper(f: int) -> tuple[float, float]:
    """The paper at frame f: held until RELEASE, then sinking at about SINK_MPS, drifting a little."""
    tau = max(f - RELEASE, 0) / FPS
    settle = 0.25
    fallen = SINK_MPS * (tau - settle * (1 - np.exp(-tau / settle)))
    return image_point(WINDOW_M[0] + 0.15 * tau, WINDOW_M[1] - fallen)


def _seen(f: int, hidden: list[tuple[int, int]]) -> bool:
    return not any(a <= f < b for a, b in hidden)


def test_paper_lost_twice_while_sinking_is_placed_at_its_window() -> None:
    # Seen held and sinking away for 0.4 s, then lost for 1.1 s (it crosses dark glass), seen
    # for 0.4 s, lost again for 1.1 s, and then followed: by then it is more than a floor below
    # its window, and only that last fragment is judged a fall.
    hidden = [(RELEASE + 10, RELEASE + 38), (RELEASE + 48, RELEASE + 76)]

    def scene(f: int) -> list[tuple[float, float]]:
        return [_paper(f)] if f >= 30 and _seen(f, hidden) else []

    alarms = run_scene(scene, RELEASE + 160)
    assert len(alarms) == 1
    frame, floor, column, kind = alarms[0]
    assert kind == "light" and frame > RELEASE + 76
    assert (floor, column) == (13, 3)

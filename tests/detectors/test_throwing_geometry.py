"""Facade geometry and the back-trace of a release point to its window, on pure data."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.throwing.geometry import FacadeGeometry
from detectors.throwing.synth.world import calibration_corners, make_building, make_camera
from ingest.registry import Facade

DEMO = Facade(corners_px=[[512, 32], [768, 32], [936, 656], [344, 656]], floors=16, lowest_floor=3, columns=6)


def _world(seed: int):
    rng = np.random.default_rng(seed)
    building = make_building(rng)
    camera = make_camera(rng, building)
    facade = Facade(
        corners_px=calibration_corners(building, camera),
        floors=building.floors,
        lowest_floor=building.lowest_floor,
        columns=building.columns,
    )
    return building, camera, FacadeGeometry(facade, (1280, 720))


def test_corners_map_to_the_grid_corners_and_back() -> None:
    g = FacadeGeometry(DEMO, (1280, 720))
    grid = g.to_grid(np.asarray(DEMO.corners_px))
    assert np.allclose(grid, [[0, 16], [6, 16], [6, 0], [0, 0]], atol=1e-6)
    pts = np.array([[600.0, 300.0], [800.0, 600.0]])
    assert np.allclose(g.to_image(g.to_grid(pts)), pts, atol=1e-6)


def test_floors_count_up_from_lowest_floor_and_columns_from_the_left() -> None:
    g = FacadeGeometry(DEMO, (1280, 720))
    bottom_left = g.to_metric(g.to_image(np.array([[0.5, 0.5]])))[0]
    top_right = g.to_metric(g.to_image(np.array([[5.5, 15.5]])))[0]
    assert (g.window_of(bottom_left).floor, g.window_of(bottom_left).column) == (3, 1)
    assert (g.window_of(top_right).floor, g.window_of(top_right).column) == (18, 6)
    outside = g.window_of(np.array([-1.0, 1000.0]))
    assert not outside.inside and outside.floor == 18 and outside.column == 1


def test_watched_region_covers_the_area_and_everything_below_it() -> None:
    g = FacadeGeometry(DEMO, (1280, 720))
    x0, y0, x1, y1 = g.roi()
    assert x0 < 344 and x1 > 936 and y0 <= 32 and y1 == 720


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_camera_pose_is_recovered_from_the_calibration(seed: int) -> None:
    building, camera, g = _world(seed)
    # The metric frame is the facade's own: the camera stands in front of the wall, near
    # the ground, at about the distance the synthetic world put it.
    assert g.camera_m[2] == pytest.approx(camera.c[2], rel=0.15)
    assert abs(g.camera_m[1] - camera.c[1]) < 4.0
    assert g.column_m == pytest.approx(building.column_m, rel=0.15)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_release_in_front_of_a_window_traces_back_to_that_window(seed: int) -> None:
    building, camera, g = _world(seed)
    rng = np.random.default_rng(seed)
    raw_errors, corrected_errors = [], []
    for _ in range(40):
        row, col = int(rng.integers(0, building.floors)), int(rng.integers(0, building.columns))
        x0, y0, x1, _ = building.window_rect(row, col)
        x = rng.uniform(x0 + 0.1, x1 - 0.1)
        y = y0 + rng.uniform(0.1, 0.6)  # the hand holds it out above the sill
        px, _ = camera.project(np.array([[x, y, 0.5]]))
        seen = g.to_metric(px)[0]
        origin = g.in_front(seen)[0]
        cell = g.window_of(origin)
        assert (cell.floor, cell.column) == (building.lowest_floor + row, col + 1)
        # Facade storeys/columns from the calibration are nominal, so compare in grid units.
        truth = np.array([x / building.column_m, y / building.storey_m])
        raw_errors.append(abs(seen[1] / g.storey_m - truth[1]))
        corrected_errors.append(abs(origin[1] / g.storey_m - truth[1]))
    # The plane projection puts things in front of the wall too high; the correction helps.
    assert np.mean(corrected_errors) < np.mean(raw_errors)


def test_scale_of_one_point_is_the_batch_figure_to_the_bit() -> None:
    # One point takes a plain-float path; a batch takes numpy's. Both must give the same scale.
    for seed in range(5):
        g = _world(seed)[2]
        pts = np.random.default_rng(seed).uniform([0, 0], [1280, 720], size=(40, 2))
        batch = g.px_per_m(pts)
        assert batch.shape == (40,)
        for p, expected in zip(pts, batch, strict=True):
            assert g.px_per_m(p[None, :])[0] == expected
            assert g.px_per_m_at(float(p[0]), float(p[1])) == expected

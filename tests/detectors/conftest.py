"""Synthetic throwing scenes shared by the detector tests, rendered once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.throwing.synth.scene import render_scene, write_devices
from tests.detectors.throwing_scenes import NUISANCES, THROWS


@pytest.fixture(scope="session")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every scene above as NAME.mp4 + NAME.json, with a devices.yaml naming each as a camera."""
    out = tmp_path_factory.mktemp("throwing-scenes")
    truths = [render_scene(spec, out, name) for name, spec in {**THROWS, **NUISANCES}.items()]
    write_devices(out, truths)
    return out

"""Shared fixtures: a real Mosquitto started on 127.0.0.1 for each test that asks for one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhian.broker import LocalBroker

ROOT = Path(__file__).resolve().parent.parent
DEVICES = ROOT / "devices.yaml"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A real Mosquitto with the project's config; fails (never skips) when it is missing."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed: `apt-get install mosquitto` (scripts/test.sh does it)")
    b = LocalBroker(tmp_path / "mosquitto").start()
    try:
        yield b
    finally:
        b.stop()

"""Shared fixtures: a real Mosquitto started on 127.0.0.1 for each test that asks for one; the
start of recent simulated days."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhian.broker import LocalBroker
from zhian.simulate.clock import DAY, HOUR, local_midnight

ROOT = Path(__file__).resolve().parent.parent
DEVICES = ROOT / "devices.yaml"
COMMUNITY_TZ = ZoneInfo("Asia/Shanghai")  # devices.yaml's community


def recent_noon(days_ago: int) -> int:
    """Epoch ms of the community's noon `days_ago` days back.

    Simulated spans start at a fixed time of day: the simulator's plan is laid out in
    community time, so a span starting at "now minus N days" would hold different incidents
    depending on when the tests run."""
    return local_midnight(int(time.time() * 1000) - days_ago * DAY, COMMUNITY_TZ) + 12 * HOUR


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

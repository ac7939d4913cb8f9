"""A real InfluxDB 1.x for each test that asks for one (started on 127.0.0.1, stopped after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.influx.support import influxd_fixture
from zhian.influxd import LocalInfluxd


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[LocalInfluxd]:
    """A real influxd 1.x; fails (never skips) when it is missing."""
    yield from influxd_fixture(tmp_path)

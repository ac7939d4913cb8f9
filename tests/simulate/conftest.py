"""Simulated traffic shared by the simulator's tests: generated once per session (a few seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.event import Event, parse_event
from ingest.registry import Registry, load_registry
from zhian.simulate.clock import DAY
from zhian.simulate.generator import generate_traffic
from zhian.simulate.model import Traffic
from zhian.simulate.week import simulate_week

DEVICES = Path(__file__).resolve().parents[2] / "devices.yaml"
MONDAY = 1_793_548_800_000  # 2026-11-02T00:00:00+08:00


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The example compound."""
    return load_registry(DEVICES)


@pytest.fixture(scope="session")
def normal_day(registry: Registry) -> list[Traffic]:
    """One weekday of normal life, no incidents."""
    return list(generate_traffic(registry, MONDAY, DAY, seed=5))


@pytest.fixture(scope="session")
def week(registry: Registry) -> tuple[list[Traffic], dict[str, Any]]:
    """The simulated week with incidents and near misses, and its truth."""
    traffic, truth = simulate_week(registry, MONDAY, seed=1)
    return list(traffic), truth


@pytest.fixture(scope="session")
def normal_events(normal_day: list[Traffic]) -> list[Event]:
    """The normal day's payloads, validated (parse_event raises on any invalid one)."""
    return [parse_event(p) for _, _, p in normal_day]


@pytest.fixture(scope="session")
def week_events(week: tuple[list[Traffic], dict[str, Any]]) -> list[Event]:
    """The week's payloads, validated."""
    return [parse_event(p) for _, _, p in week[0]]

"""Simulated traffic of a compound: normal life, incidents with their truth, replay files, live.

- `generate_traffic` / `TrafficGenerator`: seeded normal life, `(ts_ms, topic, payload)` in
  time order; `TrafficGenerator.add(incident)` injects an incident and returns its truth.
- `INCIDENTS` (one per rule of the default pack) and `NEAR_MISSES`: pure builders
  `(world, at_ms, …) -> Incident`.
- `simulate_week`: a week of normal life with every incident and the near misses, and truth.
- `write_replay` / `write_truth`: the files `zhian replay` and the checks read.
"""

from zhian.simulate.generator import TrafficGenerator, generate_traffic
from zhian.simulate.incidents import INCIDENTS
from zhian.simulate.model import Incident, Traffic, Truth
from zhian.simulate.nearmiss import NEAR_MISSES
from zhian.simulate.replayfile import write_replay, write_truth
from zhian.simulate.week import PLAN, simulate_week
from zhian.simulate.world import World, build_world

__all__ = [
    "INCIDENTS",
    "NEAR_MISSES",
    "PLAN",
    "Incident",
    "TrafficGenerator",
    "Traffic",
    "Truth",
    "World",
    "build_world",
    "generate_traffic",
    "simulate_week",
    "write_replay",
    "write_truth",
]

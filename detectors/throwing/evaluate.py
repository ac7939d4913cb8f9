"""Scoring detections against the ground truth of synthetic scenes (pure; no video here)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

MATCH_PX = 30.0  # median distance between a detection's track and the true path
MIN_SHARED = 3  # frames both tracks must share


@dataclass
class SceneScore:
    """Outcome of one scene: matched pairs, misses and false alarms."""

    name: str
    matches: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (truth, detection)
    missed: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    nuisance_only: bool = False


def match_scene(name: str, truth: dict[str, Any], detections: list[dict[str, Any]]) -> SceneScore:
    """Pair detections with true throws by how closely their tracks follow the true paths."""
    score = SceneScore(name=name, nuisance_only=not truth["throws"])
    candidates = []
    for ti, throw in enumerate(truth["throws"]):
        path = {int(f): (x, y) for f, x, y in throw["track"]}
        for di, det in enumerate(detections):
            dists = [
                ((x - path[f][0]) ** 2 + (y - path[f][1]) ** 2) ** 0.5 for f, x, y in det["track"] if int(f) in path
            ]
            if len(dists) >= MIN_SHARED and statistics.median(dists) <= MATCH_PX:
                candidates.append((statistics.median(dists), ti, di))
    used_t: set[int] = set()
    used_d: set[int] = set()
    for _, ti, di in sorted(candidates):
        if ti in used_t or di in used_d:
            continue
        used_t.add(ti)
        used_d.add(di)
        score.matches.append((truth["throws"][ti], detections[di]))
    score.missed = [t for i, t in enumerate(truth["throws"]) if i not in used_t]
    score.false_alarms = [d for i, d in enumerate(detections) if i not in used_d]
    return score


@dataclass(frozen=True)
class Report:
    """Aggregate figures over scenes."""

    scenes: int
    throws: int
    detected: int
    missed: int
    false_alarms: int
    false_alarms_nuisance_only: int
    nuisance_scenes: int
    floor_exact: float
    floor_within_one: float
    column_exact: float
    latency_median_s: float
    latency_worst_s: float
    recall: float

    def lines(self) -> list[str]:
        """Human-readable figures."""
        return [
            f"scenes {self.scenes} ({self.nuisance_scenes} nuisance-only), throws {self.throws}",
            f"recall {self.recall:.1%} ({self.detected}/{self.throws}), missed {self.missed}",
            f"false alarms {self.false_alarms} (on nuisance-only scenes {self.false_alarms_nuisance_only})",
            f"floor exact {self.floor_exact:.1%}, within one {self.floor_within_one:.1%}",
            f"column exact {self.column_exact:.1%}",
            f"alarm latency after release: median {self.latency_median_s:.2f} s, worst {self.latency_worst_s:.2f} s",
        ]


def summarise(scores: list[SceneScore], fps: float) -> Report:
    """Recall, false alarms, floor/column accuracy and alarm latency over scenes."""
    pairs = [p for s in scores for p in s.matches]
    throws = sum(len(s.matches) + len(s.missed) for s in scores)
    n = max(len(pairs), 1)
    latencies = [(d["frame"] - t["release_frame"]) / fps for t, d in pairs]
    return Report(
        scenes=len(scores),
        throws=throws,
        detected=len(pairs),
        missed=sum(len(s.missed) for s in scores),
        false_alarms=sum(len(s.false_alarms) for s in scores),
        false_alarms_nuisance_only=sum(len(s.false_alarms) for s in scores if s.nuisance_only),
        nuisance_scenes=sum(1 for s in scores if s.nuisance_only),
        floor_exact=sum(t["floor"] == d["floor"] for t, d in pairs) / n,
        floor_within_one=sum(abs(t["floor"] - d["floor"]) <= 1 for t, d in pairs) / n,
        column_exact=sum(t["column"] == d["column"] for t, d in pairs) / n,
        latency_median_s=statistics.median(latencies) if latencies else 0.0,
        latency_worst_s=max(latencies) if latencies else 0.0,
        recall=len(pairs) / throws if throws else 1.0,
    )

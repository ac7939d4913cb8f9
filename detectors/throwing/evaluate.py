"""Scoring detections against the ground truth of synthetic scenes (pure; no video here)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

MATCH_PX = 30.0  # median distance between a detection's track and the true path
MIN_SHARED = 3  # frames both tracks must share
TARGET_MIN_SIZE_M = 0.09  # the recall target counts objects of this size and more
SIZE_BANDS_M = (0.09, 0.15, 0.25)  # recall is broken down by object size from these edges
LATE_ALARM_S = 1.5  # the worst alarm latency the target allows: a later alarm is named


@dataclass
class SceneScore:
    """Outcome of one scene: matched pairs, misses and false alarms."""

    name: str
    matches: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (truth, detection)
    missed: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # a detected throw alarmed again
    nuisance_only: bool = False
    night: bool = False


def match_scene(name: str, truth: dict[str, Any], detections: list[dict[str, Any]]) -> SceneScore:
    """Pair detections with true throws by how closely their tracks follow the true paths."""
    score = SceneScore(name=name, nuisance_only=not truth["throws"], night=bool(truth.get("night", False)))
    candidates = []
    for ti, throw in enumerate(truth["throws"]):
        path = {int(f): (x, y) for f, x, y in throw["track"]}
        for di, det in enumerate(detections):
            distance = _path_distance(path, det["track"])
            if distance is not None:
                candidates.append((distance, ti, di))
    pairs: dict[int, int] = {}  # throw -> detection
    for _, ti, di in sorted(candidates):
        if ti in pairs or di in pairs.values():
            continue
        pairs[ti] = di
    # The alarm that counts for a throw is the first one on its path (its latency is what the
    # desk sees); a later one on the same path is a repeat.
    for _, ti, di in candidates:
        if ti in pairs and di not in pairs.values() and detections[di]["frame"] < detections[pairs[ti]]["frame"]:
            pairs[ti] = di
    used_t, used_d = set(pairs), set(pairs.values())
    score.matches = [(truth["throws"][ti], detections[di]) for ti, di in sorted(pairs.items())]
    score.missed = [t for i, t in enumerate(truth["throws"]) if i not in used_t]
    # A second alarm on the path of a throw already matched is the same object found again
    # (lost for a while, then judged anew): counted apart, since it is no nuisance alarm.
    on_path = {di for _, _, di in candidates}
    for di, det in enumerate(detections):
        if di not in used_d:
            (score.duplicates if di in on_path else score.false_alarms).append(det)
    return score


def findings(score: SceneScore, fps: float) -> list[str]:
    """What went wrong in a scene, one line each, for whoever tunes the detector: throws missed,
    alarmed later than `LATE_ALARM_S` or at the wrong window, repeated alarms and false ones."""
    out = []
    for t in score.missed:
        out.append(f"missed {t['kind']} floor {t['floor']} column {t['column']} size {float(t['size_m']):.2f} m")
    for t, d in score.matches:
        what = f"{t['kind']} floor {t['floor']} column {t['column']} size {float(t['size_m']):.2f} m"
        late = (d["frame"] - t["release_frame"]) / fps
        if late > LATE_ALARM_S:
            out.append(f"late alarm {late:.2f} s after the release of the {what}")
        if (d["floor"], d["column"]) != (t["floor"], t["column"]):
            out.append(f"{what} alarmed at floor {d['floor']} column {d['column']}")
    for d in score.duplicates:
        out.append(f"repeated alarm at frame {d['frame']} on a throw already detected")
    for d in score.false_alarms:
        out.append(f"false alarm at frame {d['frame']} (floor {d['floor']} column {d['column']})")
    return out


def _path_distance(path: dict[int, tuple[float, float]], track: list[Any]) -> float | None:
    """Median distance in pixels between a detection's track and a true path, if they match."""
    dists = [((x - path[f][0]) ** 2 + (y - path[f][1]) ** 2) ** 0.5 for f, x, y in track if int(f) in path]
    if len(dists) >= MIN_SHARED and statistics.median(dists) <= MATCH_PX:
        return float(statistics.median(dists))
    return None


@dataclass(frozen=True)
class Group:
    """Recall and alarm latency of one group of throws (a size band, a kind, day or night)."""

    throws: int
    detected: int
    latency_median_s: float
    latency_worst_s: float

    @property
    def recall(self) -> float:
        """Share of the group's throws that raised an alarm."""
        return self.detected / self.throws if self.throws else 1.0


@dataclass(frozen=True)
class Report:
    """Aggregate figures over scenes."""

    scenes: int
    throws: int
    detected: int
    missed: int
    false_alarms: int
    false_alarms_nuisance_only: int
    duplicates: int
    nuisance_scenes: int
    floor_exact: float
    floor_within_one: float
    column_exact: float
    latency_median_s: float
    latency_worst_s: float
    recall: float
    recall_target_size: float  # recall over objects of TARGET_MIN_SIZE_M and more
    groups: dict[str, Group]  # "size 0.09-0.15 m", "kind heavy", "night", …

    def lines(self) -> list[str]:
        """Human-readable figures."""
        out = [
            f"scenes {self.scenes} ({self.nuisance_scenes} nuisance-only), throws {self.throws}",
            f"recall {self.recall:.1%} ({self.detected}/{self.throws}), missed {self.missed}; "
            f"objects >= {TARGET_MIN_SIZE_M * 100:.0f} cm {self.recall_target_size:.1%}",
            f"false alarms {self.false_alarms} (on nuisance-only scenes {self.false_alarms_nuisance_only}); "
            f"repeated alarms on an already detected throw {self.duplicates}",
            f"floor exact {self.floor_exact:.1%}, within one {self.floor_within_one:.1%}",
            f"column exact {self.column_exact:.1%}",
            f"alarm latency after release: median {self.latency_median_s:.2f} s, worst {self.latency_worst_s:.2f} s",
        ]
        for name, g in self.groups.items():
            out.append(
                f"  {name:<18} recall {g.recall:6.1%} ({g.detected}/{g.throws}), "
                f"latency median {g.latency_median_s:.2f} s, worst {g.latency_worst_s:.2f} s"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """The figures as one JSON object (groups with their recall)."""
        out = {k: v for k, v in self.__dict__.items() if k != "groups"}
        out["groups"] = {name: {**g.__dict__, "recall": g.recall} for name, g in self.groups.items()}
        return out


def size_band(size_m: float) -> str:
    """The name of the size band an object falls in."""
    edges = SIZE_BANDS_M
    if size_m < edges[0]:
        return f"size < {edges[0]:.2f} m"
    for lo, hi in zip(edges, edges[1:], strict=False):
        if size_m < hi:
            return f"size {lo:.2f}-{hi:.2f} m"
    return f"size >= {edges[-1]:.2f} m"


def _group(throws: list[dict[str, Any]], latency: dict[int, float]) -> Group:
    lat = [latency[id(t)] for t in throws if id(t) in latency]
    return Group(
        throws=len(throws),
        detected=len(lat),
        latency_median_s=statistics.median(lat) if lat else 0.0,
        latency_worst_s=max(lat) if lat else 0.0,
    )


def summarise(scores: list[SceneScore], fps: float) -> Report:
    """Recall (overall and by size, kind, day/night), false alarms, floor/column accuracy and latency."""
    pairs = [p for s in scores for p in s.matches]
    throws = sum(len(s.matches) + len(s.missed) for s in scores)
    n = max(len(pairs), 1)
    latencies = [(d["frame"] - t["release_frame"]) / fps for t, d in pairs]
    latency = {id(t): (d["frame"] - t["release_frame"]) / fps for t, d in pairs}
    every = [(t, s.night) for s in scores for t in [*(m[0] for m in s.matches), *s.missed]]
    groups: dict[str, list[dict[str, Any]]] = {}
    for t, night in every:
        for key in (size_band(float(t["size_m"])), f"kind {t['kind']}", "night" if night else "day"):
            groups.setdefault(key, []).append(t)
    target = [t for t, _ in every if float(t["size_m"]) >= TARGET_MIN_SIZE_M]
    return Report(
        scenes=len(scores),
        throws=throws,
        detected=len(pairs),
        missed=sum(len(s.missed) for s in scores),
        false_alarms=sum(len(s.false_alarms) for s in scores),
        false_alarms_nuisance_only=sum(len(s.false_alarms) for s in scores if s.nuisance_only),
        duplicates=sum(len(s.duplicates) for s in scores),
        nuisance_scenes=sum(1 for s in scores if s.nuisance_only),
        floor_exact=sum(t["floor"] == d["floor"] for t, d in pairs) / n,
        floor_within_one=sum(abs(t["floor"] - d["floor"]) <= 1 for t, d in pairs) / n,
        column_exact=sum(t["column"] == d["column"] for t, d in pairs) / n,
        latency_median_s=statistics.median(latencies) if latencies else 0.0,
        latency_worst_s=max(latencies) if latencies else 0.0,
        recall=len(pairs) / throws if throws else 1.0,
        recall_target_size=_group(target, latency).recall,
        groups={k: _group(v, latency) for k, v in sorted(groups.items())},
    )

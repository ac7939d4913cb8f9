"""Scoring detections against scene truth: matches, misses, false and repeated alarms, breakdowns."""

from __future__ import annotations

from typing import Any

from detectors.throwing.evaluate import findings, match_scene, size_band, summarise


def _throw(kind: str, size_m: float, floor: int, x: float, release: int = 50) -> dict[str, Any]:
    track = [[release + i, x, 100.0 + 8 * i] for i in range(20)]
    return {"kind": kind, "size_m": size_m, "floor": floor, "column": 2, "release_frame": release, "track": track}


def _detection(throw: dict[str, Any], alarm_after: int, floor: int, start: int = 0) -> dict[str, Any]:
    track = [[f, x + 2.0, y - 1.0] for f, x, y in throw["track"][start : start + alarm_after]]
    return {"frame": track[-1][0], "floor": floor, "column": throw["column"], "track": track}


def test_each_throw_matches_one_detection_and_the_rest_is_sorted() -> None:
    heavy, paper = _throw("heavy", 0.2, 7, 300.0), _throw("paper", 0.12, 4, 800.0)
    hit = _detection(heavy, 12, floor=7)
    again = _detection(heavy, 5, floor=6, start=14)  # the same object judged a second time
    elsewhere = {"frame": 90, "floor": 3, "column": 1, "track": [[80, 50.0, 50.0], [81, 50.0, 60.0], [82, 50.0, 70.0]]}
    score = match_scene("s", {"throws": [heavy, paper], "night": True}, [again, hit, elsewhere])
    assert [d for _, d in score.matches] == [hit]
    assert score.missed == [paper] and score.duplicates == [again] and score.false_alarms == [elsewhere]


def test_summary_reports_latency_floor_accuracy_and_recall_by_group() -> None:
    heavy, paper, bag = _throw("heavy", 0.2, 7, 300.0), _throw("paper", 0.12, 4, 800.0), _throw("bag", 0.3, 9, 500.0)
    day = match_scene(
        "day", {"throws": [heavy, paper], "night": False}, [_detection(heavy, 13, 7), _detection(paper, 20, 5)]
    )
    night = match_scene("night", {"throws": [bag], "night": True}, [])
    quiet = match_scene("quiet", {"throws": [], "night": False}, [])
    report = summarise([day, night, quiet], fps=25.0)
    assert (report.throws, report.detected, report.missed, report.nuisance_scenes) == (3, 2, 1, 1)
    assert report.floor_exact == 0.5 and report.floor_within_one == 1.0
    assert report.latency_median_s == (12 + 19) / 2 / 25 and report.latency_worst_s == 19 / 25
    groups = report.groups
    assert groups["night"].recall == 0.0 and groups["day"].recall == 1.0
    assert groups[size_band(0.12)].throws == 1 and groups["kind bag"].detected == 0
    assert abs(report.recall_target_size - 2 / 3) < 1e-9
    assert report.to_json()["groups"]["day"]["recall"] == 1.0


def test_size_bands_cover_every_size() -> None:
    assert size_band(0.05).startswith("size <")
    assert size_band(0.09) == size_band(0.149) != size_band(0.15)
    assert size_band(1.0).startswith("size >=")


def test_findings_name_misses_late_and_misplaced_alarms_repeats_and_false_alarms() -> None:
    heavy, paper, bag = _throw("heavy", 0.2, 7, 300.0), _throw("paper", 0.12, 4, 800.0), _throw("bag", 0.3, 9, 500.0)
    paper["release_frame"] = 20  # let go long before it was first seen
    prompt, late = _detection(heavy, 12, floor=7), _detection(paper, 20, floor=5)
    assert (late["frame"] - paper["release_frame"]) / 25.0 > 1.5 >= (prompt["frame"] - heavy["release_frame"]) / 25.0
    again = _detection(heavy, 5, floor=7, start=14)
    stray = {"frame": 90, "floor": 3, "column": 1, "track": [[80, 50.0, 50.0], [81, 50.0, 60.0], [82, 50.0, 70.0]]}
    score = match_scene("s", {"throws": [heavy, paper, bag]}, [prompt, late, again, stray])
    assert findings(score, fps=25.0) == [
        "missed bag floor 9 column 2 size 0.30 m",
        "late alarm 1.96 s after the release of the paper floor 4 column 2 size 0.12 m",
        "paper floor 4 column 2 size 0.12 m alarmed at floor 5 column 2",
        "repeated alarm at frame 68 on a throw already detected",
        "false alarm at frame 90 (floor 3 column 1)",
    ]

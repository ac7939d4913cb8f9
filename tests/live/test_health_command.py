"""`zhian health`: the reason it gives for each state `zhian run` writes."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

from zhian.commands import health


@pytest.mark.parametrize(("state", "code", "says"), [
    ("connected", 0, "healthy: loop alive"),
    ("disconnected", 1, "not connected to the MQTT broker"),
    ("engine-down", 1, "the engine process is down"),
    ("puzzled", 1, "state 'puzzled'"),
])
def test_health_names_the_state(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                state: str, code: int, says: str) -> None:
    path = tmp_path / "health"
    path.write_text(f"{int(time.time())} {state}\n")
    assert health.run(argparse.Namespace(file=path, max_age=30.0)) == code
    out = capsys.readouterr().out
    assert says in out
    if state == "engine-down":
        assert "MQTT" not in out, "an engine process that is down is not a broker problem"


def test_a_stale_file_is_unhealthy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "health"
    path.write_text(f"{int(time.time()) - 100} connected\n")
    assert health.run(argparse.Namespace(file=path, max_age=30.0)) == 1
    assert "silent for" in capsys.readouterr().out

"""`zhian run` options: the MQTT login may come from the environment (compose.yaml uses it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DEVICES
from zhian.cli import build_parser
from zhian.commands.run import build


def test_login_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZHIAN_MQTT_USERNAME", "zhian")
    monkeypatch.setenv("ZHIAN_MQTT_PASSWORD", "s3cret")
    args = build_parser().parse_args(["run", "--devices", str(DEVICES), "--store", str(tmp_path / "z.db")])
    config = build(args, "mosquitto:1883").mqtt.config
    assert (config.host, config.port, config.username, config.password) == ("mosquitto", 1883, "zhian", "s3cret")


def test_options_win_over_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZHIAN_MQTT_PASSWORD", "from-env")
    args = build_parser().parse_args(["run", "--devices", str(DEVICES), "--store", str(tmp_path / "z.db"),
                                      "--username", "u", "--password", "from-option"])
    config = build(args, "127.0.0.1:1883").mqtt.config
    assert (config.username, config.password) == ("u", "from-option")

"""`zhian run` options: the MQTT login may come from the environment (compose.yaml uses it)."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from ingest.mqtt import BrokerConfig
from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.cli import build_parser
from zhian.commands.run import build
from zhian.live import LiveConfig, LiveProcessor


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


def test_only_the_run_command_tunes_the_garbage_collector(tmp_path: Path) -> None:
    # `zhian run` owns its process and freezes what recovery built; a processor built by a
    # library user or a test must leave the process's collector alone.
    args = build_parser().parse_args(["run", "--devices", str(DEVICES), "--store", str(tmp_path / "a.db")])
    assert build(args, "127.0.0.1:1").config.tune_gc
    live = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1),
                         LiveConfig(store_path=tmp_path / "b.db", cameras=False))
    frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
    stop = threading.Event()
    stop.set()
    live.run(stop)
    assert (gc.get_freeze_count(), gc.get_threshold()) == (frozen, threshold)

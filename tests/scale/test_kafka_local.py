"""The local Kafka's cluster id: never one the storage tool would take for an option."""

from __future__ import annotations

import uuid

import pytest

from zhian import kafka_local


def test_a_cluster_id_beginning_with_a_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 puts 62 ("-" in URL-safe base64) in the first six bits: the CI failure of session 16,
    # "kafka-storage: error: argument --cluster-id/-t: expected one argument".
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" * 16)])
    monkeypatch.setattr(kafka_local.uuid, "uuid4", lambda: next(draws))
    cid = kafka_local._cluster_id()
    assert cid == "AQEBAQEBAQEBAQEBAQEBAQ"
    assert len(cid) == 22


def test_cluster_ids_are_22_url_safe_characters() -> None:
    for _ in range(500):
        cid = kafka_local._cluster_id()
        assert len(cid) == 22 and not cid.startswith("-")
        assert set(cid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

"""Hostile vendor payloads: every adapter answers with events or a RejectError, never a crash."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import REASONS, Decoder
from ingest.errors import RejectError
from ingest.registry import parse_registry
from tests.ingest.test_adapters import CASES, REGISTRY

DECODER = Decoder(parse_registry(REGISTRY))
CASE_BODIES = [json.loads(p.read_text(encoding="utf-8")) for p in CASES]

leaves = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                      max_size=4), max_leaves=12)


def mutate(obj: Any, path: list[int], new: Any) -> Any:
    """Replace one node of a fixture payload (chosen by `path`) with `new`."""
    if not path or not isinstance(obj, dict | list) or not obj:
        return new
    if isinstance(obj, dict):
        key = sorted(obj)[path[0] % len(obj)]
        return {**obj, key: mutate(obj[key], path[1:], new)}
    i = path[0] % len(obj)
    return [*obj[:i], mutate(obj[i], path[1:], new), *obj[i + 1:]]


def decode(case: dict[str, Any], payload: Any) -> None:
    try:
        for event in DECODER.decode_all(f"zhian/cyl/{case['device']}/events", payload):
            assert event.to_dict()["v"] == 1
    except RejectError as exc:
        assert exc.reason in REASONS, exc.reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(CASE_BODIES))), st.lists(st.integers(0, 50), max_size=5), values)
def test_mutated_fixtures_never_crash(index: int, path: list[int], new: Any) -> None:
    case = CASE_BODIES[index]
    decode(case, mutate(case["payload"], path, new))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(CASE_BODIES))), values)
def test_arbitrary_json_never_crashes(index: int, payload: Any) -> None:
    decode(CASE_BODIES[index], payload)

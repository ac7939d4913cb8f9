"""Fuzzing what the processor does with a message: every rejection is counted exactly once,
and with a deployment salt (ZHIAN_SUBJECT_SALT) no clear subject id survives, neither in
decoded events nor in `Pipeline.redact`, which keeps rejected payloads for diagnosis.

Inputs per run (hypothesis `max_examples`):
  test_every_rejection_is_counted        800 messages, each through the decoder and Pipeline.decode
  test_redact_never_leaks_a_subject_id  1,000 messages, each through redact and a salted Pipeline.decode
= 1,800 hypothesis examples, 1,800 counted messages and 1,000 redactions.

The redaction inputs nest up to ORJSON_SAFE_DEPTH (200) levels: past the redactor's own limit
(64, kept as a note) and past the depth at which orjson 3.11.4 corrupted memory (~95).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.adapters.common import hashed
from ingest.decode import REASONS, UnknownDevice
from ingest.errors import RejectError
from ingest.event import UNKNOWN_DEVICE
from ingest.pseudonym import SALT_ENV, SALT_FILE_ENV
from tests.fuzz.contract import TALLY, check, check_event, check_reject, fuzz_registry, topic_of
from tests.fuzz.hostile import (
    BAD_UTF8,
    DELETE,
    FIXTURE_CASES,
    ORJSON_SAFE_DEPTH,
    byte_values,
    fuzz_settings,
    hostile_objects,
    nest,
    paths,
    replaced,
    shallow_hostile_objects,
    splice,
    write_json,
)
from zhian.pipeline import Pipeline

REGISTRY = fuzz_registry()
SALT = "fuzz-salt-0123456789abcdef"
PSEUDONYM_RE = re.compile(r"p-[0-9a-f]{24}")

NATIVE_EVENT = {"v": 1, "id": "gate-north-1", "ts": "2026-11-02T07:31:05.120+08:00", "device": "gate-north",
                "type": "access.granted", "subject": {"id": "r-00042", "kind": "resident", "credential": "face"},
                "data": {"direction": "in"}}


@pytest.fixture(scope="module")
def clear_pipeline() -> Pipeline:
    """A pipeline with no salt: subject ids stay as sent."""
    return Pipeline(REGISTRY, [], pseudonyms=None)


@pytest.fixture(scope="module")
def salted_pipeline() -> Iterator[Pipeline]:
    """A pipeline that takes its salt from the environment, as a deployment does."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv(SALT_FILE_ENV, raising=False)
        env.setenv(SALT_ENV, SALT)
        pipeline = Pipeline(REGISTRY, [])
    assert pipeline.pseudonym is not None, "the salt was not taken from the environment"
    yield pipeline


messages = st.one_of(
    st.tuples(st.sampled_from([d.id for d in REGISTRY.devices] + ["nobody", "cam-9"]),
              st.one_of(hostile_objects, byte_values).map(write_json)),
    st.tuples(st.sampled_from([c["device"] for c in FIXTURE_CASES]), st.sampled_from(FIXTURE_CASES).map(
        lambda case: orjson.dumps(case["payload"]))),
    st.tuples(st.just("gate-north"), st.just(orjson.dumps(NATIVE_EVENT))),
)


@fuzz_settings(800)
@given(message=messages, community=st.sampled_from(["cyl", "cyl", "cyl", "other"]))
def test_every_rejection_is_counted(clear_pipeline: Pipeline, message: tuple[str, bytes], community: str) -> None:
    """Pipeline.decode never raises; a rejection adds exactly one to its reason's count, an
    event adds nothing, an unknown device also yields the internal event the rules need."""
    device, raw = message
    topic = topic_of(device, community)
    expected = check(clear_pipeline.decoder, topic, raw)  # what the decoder alone says
    before = dict(clear_pipeline.rejects)
    outcome = clear_pipeline.decode(topic, raw)
    after = dict(clear_pipeline.rejects)
    if isinstance(expected, RejectError):
        assert outcome.reject is not None and outcome.reject.reason == expected.reason
        assert after.get(expected.reason, 0) == before.get(expected.reason, 0) + 1
        assert sum(after.values()) == sum(before.values()) + 1
        assert set(after) <= set(REASONS)
        if isinstance(expected, UnknownDevice) and outcome.events:
            assert [e.type for e in outcome.events] == [UNKNOWN_DEVICE]
            assert outcome.events[0].device == expected.device  # the topic's, or a Frigate camera's
        else:
            assert not outcome.events
    else:
        assert outcome.reject is None and after == before
        assert [e.to_dict() for e in outcome.events] == [e.to_dict() for e in expected]


# ---- redaction -------------------------------------------------------------------------------

def _carriers() -> list[tuple[str, dict[str, Any], tuple[str, ...], str]]:
    """(device, payload, path to the subject field, kind of id) for every fixture with a subject."""
    out: list[tuple[str, dict[str, Any], tuple[str, ...], str]] = [
        ("gate-north", NATIVE_EVENT, ("subject", "id"), "plain")]
    for case in FIXTURE_CASES:
        payload = case["payload"]
        for outer in ("AccessControllerEvent", "Data"):
            inner = payload.get(outer)
            if not isinstance(inner, dict):
                continue
            # strip the ids the fixture carries, so that the planted one is the subject
            bare = {k: v for k, v in inner.items() if k not in ("employeeNoString", "employeeNo", "cardNo",
                                                                   "CardNo", "UserID")}
            base = {**payload, outer: bare}
            if outer == "AccessControllerEvent":
                out += [(case["device"], base, (outer, "employeeNoString"), "plain"),
                        (case["device"], base, (outer, "employeeNo"), "number"),
                        (case["device"], base, (outer, "cardNo"), "card")]
            else:
                out += [(case["device"], base, (outer, "UserID"), "plain"),
                        (case["device"], base, (outer, "CardNo"), "card")]
    return out


CARRIERS = _carriers()
clear_ids = st.from_regex(r"[a-z][a-z0-9-]{9,30}[a-z0-9]", fullmatch=True)
number_ids = st.integers(10**14, 10**15 - 1)  # not an epoch in s or ms: cannot collide with a time
separators = st.sampled_from([" ", ":", "/", ", ", "\t", "\"", "'", "=", "(", "|", "\n"])


def quoted(sid: str, left: str, right: str) -> str:
    return f"user{left}{sid}{right}tail"


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    """(device, raw payload, clear ids that must not survive) with hostile surroundings."""
    device, base, path, kind = draw(st.sampled_from(CARRIERS))
    value: Any = draw(number_ids) if kind == "number" else draw(clear_ids)
    forbidden = [str(value)]
    if kind == "card":
        forbidden.append(hashed("card", value))  # the adapter's id for the card
    payload = replaced(base, path[:-1], {**_at(base, path[:-1]), path[-1]: value})
    # hostile company: one other node made hostile, the id quoted in vendor text, nesting
    others = [p for p in paths(payload) if p and p[: len(path)] != path and path[: len(p)] != p]
    mutate = draw(st.booleans())
    if others and mutate:
        new = draw(st.one_of(shallow_hostile_objects, st.just(DELETE)))
        # (a hostile value that happens to hold the id is not a subject field: the redactor
        # cannot know it is one, so such draws are left out rather than counted as leaks)
        if new is DELETE or str(value) not in write_json(new).decode("utf-8", "replace"):
            payload = replaced(payload, draw(st.sampled_from(others)), new)
    how = draw(st.sampled_from(["none", "note", "nested-note", "as-json-text", "deep", "list"]))
    text = quoted(str(value), draw(separators), draw(separators))
    if how == "note":
        payload = {**payload, "note": text}
    elif how == "nested-note":
        payload = {**payload, "extra": nest({"remark": text}, draw(st.integers(1, 40)), "mixed")}
    elif how == "as-json-text":
        payload = {**payload, "raw": orjson.dumps(payload).decode()}
    elif how == "deep":
        depth = draw(st.integers(2, ORJSON_SAFE_DEPTH))
        payload = {**payload, "extra": nest(text, depth, draw(st.sampled_from(["list", "dict"])))}
    elif how == "list":
        payload = [payload, text]
    raw = write_json(payload)
    if draw(st.integers(0, 9)) == 0:
        raw = splice(raw, draw(st.integers(0, 10**6)), draw(st.sampled_from(BAD_UTF8)))
    return device, raw, forbidden


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@fuzz_settings(1000)
@given(case=planted())
def test_redact_never_leaks_a_subject_id(salted_pipeline: Pipeline, case: tuple[str, bytes, list[str]]) -> None:
    """With a salt, a hostile payload carrying a subject id (where native events and the
    adapters read one) never shows it in clear after `redact`, nor in a decoded event."""
    device, raw, forbidden = case
    kept = salted_pipeline.redact(raw)
    assert isinstance(kept, bytes)
    orjson.loads(kept)  # what is stored is JSON: the payload redacted, or a note
    for clear in forbidden:
        assert clear.encode() not in kept, f"{clear!r} survives redaction"
    outcome = salted_pipeline.decode(topic_of(device), raw)
    TALLY.add(outcome.reject.reason if outcome.reject is not None else None)
    if outcome.reject is not None:
        check_reject(outcome.reject)
        detail = salted_pipeline.redact_detail(outcome.reject.detail, raw)
        assert all(clear not in detail for clear in forbidden), "a reject's detail quotes the id"
    for event in outcome.events:
        check_event(event, REGISTRY, None)
        if event.subject is not None:
            assert PSEUDONYM_RE.fullmatch(event.subject.id), event.subject.id
        text = orjson.dumps(event.to_dict()).decode()
        assert all(clear not in text for clear in forbidden)

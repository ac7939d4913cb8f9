"""Subject pseudonyms without a broker: the salt settings, the mapping, the pipeline (events,
vendor adapters, watchlist rules), dead-letter redaction and the timeline's subject filter."""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson
import pytest

from ingest.adapters.common import hashed
from ingest.errors import RegistryError
from ingest.event import parse_ts_ms
from ingest.pseudonym import MIN_SALT_BYTES, Pseudonymizer, Redactor, SaltError, pseudonymizer_from_env, salt_from_env
from ingest.registry import parse_registry
from tests.security.scenario import (
    CARD_OK,
    CARD_REJECTED,
    DEVICES_YAML,
    HOUR_MS,
    NAME,
    SALT,
    SHARED,
    WATCHED,
    as_bytes,
    pseudonym,
    traffic,
)
from zhian.commands.timeline import audited_argv, query_subject
from zhian.pipeline import Pipeline, load_processors, rules_registry
from zhian.replay import redact_line, replay

T0 = 1_793_500_000_000
REGISTRY = parse_registry(DEVICES_YAML)
PSEUDO = Pseudonymizer(SALT)


# ---- the salt ---------------------------------------------------------------------------------

def test_no_salt_means_clear_ids() -> None:
    assert salt_from_env({}) is None
    assert pseudonymizer_from_env({}) is None


def test_salt_from_the_variable_and_from_a_file(tmp_path: Path) -> None:
    assert salt_from_env({"ZHIAN_SUBJECT_SALT": SALT.decode()}) == SALT
    secret = tmp_path / "salt"
    secret.write_bytes(SALT + b"\n")  # as `echo … > file` leaves it
    assert salt_from_env({"ZHIAN_SUBJECT_SALT_FILE": str(secret)}) == SALT


def test_both_variables_is_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "salt"
    secret.write_bytes(SALT)
    with pytest.raises(SaltError, match="give only one"):
        salt_from_env({"ZHIAN_SUBJECT_SALT": SALT.decode(), "ZHIAN_SUBJECT_SALT_FILE": str(secret)})


@pytest.mark.parametrize("value", ["", "short", "x" * (MIN_SALT_BYTES - 1)])
def test_a_short_salt_is_an_error_saying_so(value: str) -> None:
    with pytest.raises(SaltError) as info:
        salt_from_env({"ZHIAN_SUBJECT_SALT": value})
    text = str(info.value)
    assert f"the salt is {len(value)} bytes; at least {MIN_SALT_BYTES} are needed" in text
    assert "ZHIAN_SUBJECT_SALT" in text
    assert isinstance(info.value, RegistryError)  # reported by the commands like a config problem


def test_a_missing_or_short_salt_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SaltError, match="cannot read the salt file") as info:
        salt_from_env({"ZHIAN_SUBJECT_SALT_FILE": str(tmp_path / "nope")})
    assert str(tmp_path / "nope") in str(info.value)
    short = tmp_path / "short"
    short.write_bytes(b"0123456789\n")
    with pytest.raises(SaltError, match="the salt is 10 bytes"):
        salt_from_env({"ZHIAN_SUBJECT_SALT_FILE": str(short)})


# ---- the mapping -------------------------------------------------------------------------------

def test_pseudonym_is_the_documented_keyed_hash() -> None:
    assert PSEUDO(WATCHED) == pseudonym(WATCHED)
    assert len(PSEUDO(WATCHED)) == 26 and PSEUDO(WATCHED).startswith("p-")
    assert PSEUDO(WATCHED) == PSEUDO(WATCHED)  # cached, and deterministic
    assert Pseudonymizer(SALT)(WATCHED) == PSEUDO(WATCHED)  # across processes (replay == live)
    assert Pseudonymizer(SALT + b"!")(WATCHED) != PSEUDO(WATCHED)  # keyed
    assert PSEUDO("r-00001") != PSEUDO("r-00002")


# ---- the pipeline --------------------------------------------------------------------------------

def _pipeline(pseudo: Pseudonymizer | None) -> Pipeline:
    return Pipeline(REGISTRY, load_processors(REGISTRY, None, pseudonyms=pseudo), pseudonyms=pseudo)


def _decoded(pipeline: Pipeline) -> dict[str, str | None]:
    out = {}
    for topic, payload in traffic(T0)[:9]:
        outcome = pipeline.decode(topic, as_bytes(payload))
        assert outcome.reject is None, outcome.reject
        for event in outcome.events:
            out[event.id] = event.subject_id
    return out


def test_events_carry_pseudonyms_native_and_vendor() -> None:
    clear = _decoded(_pipeline(None))
    assert clear["gn-1"] == WATCHED and clear["hik-502-" + str((T0 + 40 * HOUR_MS + 50_000) // 1000)] \
        == hashed("card", CARD_OK)
    mapped = _decoded(_pipeline(PSEUDO))
    assert mapped.keys() == clear.keys()
    assert mapped.pop("gs-hb") is clear.pop("gs-hb") is None  # no subject, nothing to map
    for eid, subject in clear.items():
        assert subject is not None
        assert mapped[eid] == pseudonym(subject), eid


def test_the_hot_path_maps_too_and_costs_nothing_without_a_salt() -> None:
    plain = _pipeline(None)
    assert plain.decode_one == plain.decoder.decode  # no wrapper at all without a salt
    salted = _pipeline(PSEUDO)
    topic, payload = traffic(T0)[1]
    assert salted.decode_one(topic, as_bytes(payload)).subject_id == pseudonym(WATCHED)


def test_watchlist_is_mapped_where_the_rules_read_it() -> None:
    assert rules_registry(REGISTRY, None) is REGISTRY
    mapped = rules_registry(REGISTRY, PSEUDO)
    assert [w.subject for w in mapped.watchlist] == [pseudonym(WATCHED)]
    assert [w.subject for w in REGISTRY.watchlist] == [WATCHED]  # the installer's registry is untouched


def _alerts(pipeline: Pipeline) -> list[dict[str, object]]:
    lines = [orjson.dumps({"topic": t, "payload": p.decode() if isinstance(p, bytes) else p})
             for t, p in traffic(T0)]
    out: list[dict[str, object]] = []
    replay(lines, pipeline, lambda _item, message: out.append(message[1]))
    return [a for a in out if "rule" in a]


@pytest.mark.parametrize("salted", [True, False])
def test_subject_rules_fire_on_pseudonyms(salted: bool) -> None:
    alerts = _alerts(_pipeline(PSEUDO if salted else None))
    name = pseudonym if salted else (lambda s: s)
    raised = {(a["rule"], a["subject"]) for a in alerts if a["state"] == "raised"}
    assert ("care_no_activity", name(WATCHED)) in raised
    care = [a for a in alerts if a["rule"] == "care_no_activity"]
    assert [parse_ts_ms(a["ts"]) for a in care] == [T0 + 36 * HOUR_MS]  # quiet since it was seen at t0
    assert f"No activity from watched resident {name(WATCHED)} for 36 h" in str(care[0]["summary_en"])
    assert ("credential_shared", name(SHARED)) in raised
    assert ("rental_occupancy", None) in raised  # two distinct (pseudonymised) subjects, one occupant
    text = orjson.dumps(alerts).decode()
    assert (WATCHED in text) is not salted and (SHARED in text) is not salted


def test_without_the_mapped_watchlist_the_rule_would_leak_the_clear_id() -> None:
    # the failure the mapping prevents: pseudonymised events against a clear watchlist make
    # the watched subject look never heard of, and its alert names the clear id
    unmapped = Pipeline(REGISTRY, load_processors(REGISTRY, None, pseudonyms=None), pseudonyms=PSEUDO)
    care = [a for a in _alerts(unmapped) if a["rule"] == "care_no_activity"]
    assert [(a["subject"], parse_ts_ms(a["ts"])) for a in care] == [(WATCHED, T0 - 2 * HOUR_MS + 36 * HOUR_MS)]


# ---- dead letters ----------------------------------------------------------------------------------

def _redactor() -> Redactor:
    return Redactor(PSEUDO, PSEUDO.digest)


def test_redact_native_payload_and_its_detail() -> None:
    raw = orjson.dumps({"v": "r-echo-1", "id": "x", "subject": {"id": "r-echo-1", "kind": "resident"},
                        "data": {"note": "seen r-echo-1 at gate; r-echo-10 elsewhere"}})
    out = orjson.loads(_redactor().payload(raw))
    assert out["subject"] == {"id": pseudonym("r-echo-1"), "kind": "resident"}
    assert out["v"] == pseudonym("r-echo-1")  # quoted elsewhere: replaced too
    assert out["data"]["note"] == f"seen {pseudonym('r-echo-1')} at gate; r-echo-10 elsewhere"  # whole ids only
    detail = _redactor().detail("must be 1, got 'r-echo-1'", raw)
    assert detail == f"must be 1, got '{pseudonym('r-echo-1')}'"


def test_redact_vendor_fields_as_the_adapters_map_them() -> None:
    hik = {"AccessControllerEvent": {"employeeNoString": "hk-7", "cardNo": CARD_REJECTED, "name": NAME,
                                     "employeeNo": 12345}}
    out = orjson.loads(_redactor().payload(orjson.dumps(hik)))["AccessControllerEvent"]
    assert out["employeeNoString"] == pseudonym("hk-7")
    assert out["employeeNo"] == pseudonym("12345")
    assert out["cardNo"] == pseudonym(hashed("card", CARD_REJECTED))  # what the event would have carried
    assert out["name"] == "<redacted>"
    dahua = {"Code": "AccessControl", "Data": {"UserID": "dh-1", "CardNo": "C1"}}
    data = orjson.loads(_redactor().payload(orjson.dumps(dahua)))["Data"]
    assert data == {"UserID": pseudonym("dh-1"), "CardNo": pseudonym(hashed("card", "C1"))}


@pytest.mark.parametrize("raw", [b'{"subject":{"id":"r-trunc-1"', b"\xff\xfe r-trunc-1",
                                 b"[" * 900 + b'{"subject": "r-trunc-1"}' + b"]" * 900])
def test_unparsable_payloads_become_a_note(raw: bytes) -> None:
    out = _redactor().payload(raw)
    assert b"r-trunc-1" not in out
    note = orjson.loads(out)
    assert note["redacted"].startswith("payload not kept:") and note["bytes"] == len(raw)


def test_redaction_is_identity_without_a_salt() -> None:
    raw = b'{"subject":{"id":"r-1"}}'
    assert _pipeline(None).redact(raw) is raw
    assert _pipeline(None).redact_detail("d r-1", raw) == "d r-1"
    assert b"r-1" not in _pipeline(PSEUDO).redact(raw)


def test_replay_lines_redact_their_payload_once() -> None:
    salted = _pipeline(PSEUDO)
    as_object = orjson.dumps({"topic": "t", "payload": {"subject": {"id": "r-9"}}})
    as_text = orjson.dumps({"topic": "t", "payload": '{"subject": {"id": "r-9"}}'})
    for line in (as_object, as_text):
        assert orjson.loads(redact_line(line, salted.redact))["payload"] == {"subject": {"id": pseudonym("r-9")}}
    truncated = orjson.dumps({"topic": "t", "payload": '{"subject": {"id": "r-9"'})
    assert b"r-9" not in redact_line(truncated, salted.redact)
    assert redact_line(as_text, _pipeline(None).redact) is as_text


# ---- timeline --------------------------------------------------------------------------------------

def test_timeline_subject_is_mapped_and_audited_as_pseudonym() -> None:
    args = argparse.Namespace(subject=WATCHED, pseudonym=None)
    assert query_subject(args, None) == WATCHED
    assert query_subject(args, PSEUDO) == pseudonym(WATCHED)
    given = argparse.Namespace(subject=None, pseudonym=pseudonym(WATCHED))
    assert query_subject(given, PSEUDO) == pseudonym(WATCHED)
    with pytest.raises(ValueError, match="needs the subject salt"):
        query_subject(given, None)
    with pytest.raises(ValueError, match="not both"):
        query_subject(argparse.Namespace(subject=WATCHED, pseudonym="p-1"), PSEUDO)
    argv = ["timeline", "--subject", WATCHED, f"--subj={WATCHED}", "--device", "gate-north"]
    assert audited_argv(argv, WATCHED, pseudonym(WATCHED)) == [
        "timeline", "--subject", pseudonym(WATCHED), f"--subj={pseudonym(WATCHED)}", "--device", "gate-north"]


# ---- subjects named in rule files ------------------------------------------------------------------

VIP_RULE = """\
rule: vip_at_gate
severity: info
key: subject
params: {who: r-vip-clear-1}
raise:
  event:
    where: {type: access.granted, subject.id: $who}
clear:
  ack: true
summary: {zh: "{subject}到访", en: "{subject} at the gate"}
"""
SILENCE_SHARED = f"""\
silences:
  - subject: {SHARED}
    rule: credential_shared
    owner: desk-lead
    until: "2100-01-01T00:00:00+08:00"
"""


def _rules_dir(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "vip_at_gate.yaml").write_text(VIP_RULE, encoding="utf-8")
    (rules / "silences.yaml").write_text(SILENCE_SHARED, encoding="utf-8")
    return rules


def _vip_traffic() -> list[bytes]:
    later = T0 + 40 * HOUR_MS
    vip = {"v": 1, "id": "gn-vip", "ts": later + 5000, "device": "gate-north", "type": "access.granted",
           "subject": {"id": "r-vip-clear-1", "kind": "visitor"}}
    return [orjson.dumps({"topic": t, "payload": p.decode() if isinstance(p, bytes) else p})
            for t, p in [*traffic(T0)[:4], ("zhian/cyl/gate-north/events", vip)]]


@pytest.mark.parametrize("salted", [True, False])
def test_rule_conditions_and_silences_name_subjects_in_clear(tmp_path: Path, salted: bool) -> None:
    pseudo = PSEUDO if salted else None
    name = pseudonym if salted else (lambda s: s)
    pipeline = Pipeline(REGISTRY, load_processors(REGISTRY, _rules_dir(tmp_path), pseudonyms=pseudo),
                        pseudonyms=pseudo)
    out: list[dict[str, object]] = []
    replay(_vip_traffic(), pipeline, lambda _item, message: out.append(message[1]))
    raised = {a["rule"]: a for a in out if a.get("state") == "raised"}
    assert raised["vip_at_gate"]["subject"] == name("r-vip-clear-1")
    assert raised["credential_shared"]["subject"] == name(SHARED)
    assert raised["credential_shared"]["silenced"] == "desk-lead"  # the silence names the clear id


def test_hot_reload_compiles_with_pseudonyms_and_tests_with_clear_ids(tmp_path: Path) -> None:
    from zhian.pipeline import plan_rules_reload

    current = load_processors(REGISTRY, None, pseudonyms=PSEUDO)
    rules_dir = _rules_dir(tmp_path)
    # a rule test as installers write it: clear ids in, clear ids out
    (rules_dir / "vip_at_gate.tests.yaml").write_text(
        "rule: vip_at_gate\ndevices: " + str(tmp_path / "devices.yaml") + "\ncases:\n"
        "  - name: the visitor arrives\n    events:\n"
        "      - {at: 0s, device: gate-north, type: access.granted, subject: r-vip-clear-1}\n"
        "    expect:\n      - {at: 0s, state: raised, rule: vip_at_gate, subject: r-vip-clear-1}\n",
        encoding="utf-8")
    (tmp_path / "devices.yaml").write_text(DEVICES_YAML, encoding="utf-8")
    new, report = plan_rules_reload(REGISTRY, rules_dir, current, pseudonyms=PSEUDO)
    assert report.accepted, report.summary()
    assert new is not None and "vip_at_gate" in report.added
    pipeline = Pipeline(REGISTRY, [current[0], *new], pseudonyms=PSEUDO)
    out: list[dict[str, object]] = []
    replay(_vip_traffic(), pipeline, lambda _item, message: out.append(message[1]))
    raised = {a["rule"]: a["subject"] for a in out if a.get("state") == "raised"}
    assert raised["vip_at_gate"] == pseudonym("r-vip-clear-1")
    assert raised["care_no_activity"] == pseudonym(WATCHED)


def test_faust_runtime_gives_the_same_pseudonymised_alerts_as_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhian.scale.community import CommunityRuntime

    monkeypatch.delenv("ZHIAN_SUBJECT_SALT_FILE", raising=False)
    monkeypatch.setenv("ZHIAN_SUBJECT_SALT", SALT.decode())  # the runtime takes the salt from the environment
    runtime = CommunityRuntime(REGISTRY, load_processors(REGISTRY, None))
    lines = [orjson.dumps({"topic": t, "payload": p.decode() if isinstance(p, bytes) else p})
             for t, p in traffic(T0)]
    emitted = []
    for line in [*lines, orjson.dumps({"control": "flush"})]:
        emitted += runtime.apply(line)[0]
    faust = [m[1] for _n, messages in runtime.messages(emitted) for m in messages if "rule" in m[1]]
    assert faust == _alerts(_pipeline(PSEUDO))
    assert ("care_no_activity", pseudonym(WATCHED)) in {(a["rule"], a["subject"]) for a in faust}

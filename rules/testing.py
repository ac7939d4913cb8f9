"""Rule tests (`<rule>.tests.yaml`): events in, expected alert transitions out, near misses
silent. Run by pytest, by `zhian rules test DIR` and before a hot reload swaps rules in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingest.errors import ConfigProblem, RegistryError, RejectError
from ingest.event import ALERT_ACK, INTERNAL_TYPES, Event, parse_event, parse_ts_ms
from ingest.registry import Registry, load_registry
from rules.compile import CompiledRule
from rules.engine import Engine
from rules.load import PACK_DIR, TESTS_SUFFIX, load_rule_set, plain, problems_of, read_yaml
from rules.outputs import STATES, AlertTransition, DeviceCommand
from rules.spec import parse_duration_ms

TEST_DEVICES = PACK_DIR / "testing" / "devices.yaml"
DEFAULT_START = "2026-11-05T10:00:00+08:00"  # a Thursday morning, community time


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ack(_Model):
    """The desk acknowledging the alert that names this device/subject/port."""

    device: str | None = None
    subject: str | None = None
    port: int | None = None
    alert: str | None = None
    by: str = "desk"


class TestEvent(_Model):
    """One input event, `at` after the case's start; or an acknowledgement."""

    at: str
    device: str | None = None
    type: str | None = None
    id: str | None = None
    subject: dict[str, Any] | str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    ack: Ack | None = None


class Expect(_Model):
    """One expected transition (or command); only the fields given are compared."""

    at: str
    state: str | None = None
    command: str | None = None
    rule: str | None = None
    device: str | None = None
    subject: str | None = None
    port: int | None = None
    severity: str | None = None
    count: int | None = None
    evidence: list[str] | None = None


class Case(_Model):
    """One scenario: events, how far to run the clock, and the expected outputs."""

    name: Annotated[str, Field(min_length=1)]
    start: str | None = None
    events: list[TestEvent]
    until: str | None = None
    only: list[str] | None = None
    expect: list[Expect]


class TestFile(_Model):
    """A `<rule>.tests.yaml` file."""

    rule: str
    devices: str | None = None
    start: str = DEFAULT_START
    cases: list[Case] = Field(min_length=1)


@dataclass
class CaseResult:
    """Outcome of one case."""

    file: str
    rule: str
    case: str
    ok: bool
    detail: str = ""


def load_test_file(path: Path) -> TestFile:
    """Parse and validate a tests file; RegistryError with file/line/key when invalid."""
    problems: list[ConfigProblem] = []
    tree = read_yaml(path, problems)
    if tree is None:
        raise RegistryError(problems)
    try:
        return TestFile.model_validate(plain(tree))
    except ValidationError as exc:
        raise RegistryError(problems_of(exc, tree, str(path))) from None


def _offset(at: str, start_ms: int) -> int:
    return start_ms + parse_duration_ms(at)


def build_events(case: Case, rule: str, start_ms: int) -> list[Event]:
    """The case's events as validated Events (acknowledgements as zhian.alert.ack)."""
    out: list[Event] = []
    for n, item in enumerate(case.events):
        ts = _offset(item.at, start_ms)
        if item.ack is not None:
            data = {"rule": rule, **item.ack.model_dump(exclude_none=True)}
            out.append(Event(item.id or f"ack-{n}", ts, "desk", ALERT_ACK, None, data))
            continue
        if item.device is None or item.type is None:
            raise ValueError(f"event {n}: needs device and type (or ack)")
        subject = {"id": item.subject, "kind": "resident"} if isinstance(item.subject, str) else item.subject
        if item.type in INTERNAL_TYPES:
            out.append(Event(item.id or f"{item.device}-{n}", ts, item.device, item.type, None, dict(item.data)))
            continue
        raw: dict[str, Any] = {"v": 1, "id": item.id or f"{item.device}-{n}", "ts": ts,
                               "device": item.device, "type": item.type, "data": item.data}
        if subject is not None:
            raw["subject"] = subject
        try:
            out.append(parse_event(raw))
        except RejectError as exc:
            raise ValueError(f"event {n}: {exc}") from None
    return out


def _actual(outputs: list[Any], only: list[str] | None) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    for _ts_ms, o in outputs:
        if isinstance(o, AlertTransition) and (only is None or o.state in only):
            got.append({"at_ms": o.ts_ms, "state": o.state, "rule": o.rule, "device": o.device,
                        "subject": o.subject, "port": o.port, "severity": o.severity,
                        "count": o.count, "evidence": list(o.evidence)})
        elif isinstance(o, DeviceCommand) and (only is None or "command" in only):
            got.append({"at_ms": o.ts_ms, "command": o.action, "device": o.device})
    return got


def run_case(rule: CompiledRule, case: Case, default_start: str) -> tuple[bool, str]:
    """Run one case through a fresh engine; (passed, what differed)."""
    start_ms = parse_ts_ms(case.start or default_start)
    engine = Engine([rule])
    outputs: list[Any] = []
    for event in build_events(case, rule.name, start_ms):
        outputs += [(e.ts_ms, e.output) for e in engine.push(event)]
    outputs += [(e.ts_ms, e.output) for e in engine.flush()]
    if case.until is not None:
        outputs += [(e.ts_ms, e.output) for e in engine.advance(_offset(case.until, start_ms))]
    got = _actual(outputs, case.only)
    want = case.expect
    for i, exp in enumerate(want):
        if i >= len(got):
            return False, f"missing expected #{i + 1} {_show_expect(exp)}; got {len(got)} outputs"
        diff = _diff(exp, got[i], start_ms)
        if diff:
            return False, f"output #{i + 1}: {diff}; got {_show_got(got[i], start_ms)}"
    if len(got) > len(want):
        extra = "; ".join(_show_got(g, start_ms) for g in got[len(want):][:3])
        return False, f"{len(got) - len(want)} unexpected output(s): {extra}"
    return True, ""


def _diff(exp: Expect, got: dict[str, Any], start_ms: int) -> str:
    want_ms = _offset(exp.at, start_ms)
    if got["at_ms"] != want_ms:
        return f"at {(got['at_ms'] - start_ms) / 1000:g}s, expected {exp.at}"
    for field in ("state", "command", "rule", "device", "subject", "port", "severity", "count",
                  "evidence"):
        value = getattr(exp, field)
        if value is not None and got.get(field) != value:
            return f"{field} is {got.get(field)!r}, expected {value!r}"
    return ""


def _show_expect(exp: Expect) -> str:
    return ", ".join(f"{k}={v}" for k, v in exp.model_dump(exclude_none=True).items())


def _show_got(got: dict[str, Any], start_ms: int) -> str:
    what = got.get("state") or f"command {got.get('command')}"
    return f"{what} at {(got['at_ms'] - start_ms) / 1000:g}s key={got.get('device') or got.get('subject')}"


def find_test_files(directory: Path) -> list[Path]:
    """The tests files of a rules directory."""
    return sorted(Path(directory).glob(f"*{TESTS_SUFFIX}"))


class RuleCache:
    """Compiled rule sets per registry file, so a directory of tests compiles each once."""

    def __init__(self, rules_dir: Path | None, registry: Registry | None = None) -> None:
        self.rules_dir = rules_dir
        self.registry = registry
        self._sets: dict[str, dict[str, CompiledRule]] = {}

    def rules(self, devices: Path | None) -> dict[str, CompiledRule]:
        """The effective rules compiled against `devices` (else the given or test registry)."""
        name = str(devices) if devices is not None else "-"
        if name not in self._sets:
            if devices is not None:
                registry = load_registry(devices)
            else:
                registry = self.registry or load_registry(TEST_DEVICES)
            self._sets[name] = {r.name: r for r in load_rule_set(registry, self.rules_dir)}
        return self._sets[name]


def run_test_file(path: Path, cache: RuleCache) -> list[CaseResult]:
    """Run every case of one tests file against the effective rules (pack + overrides)."""
    spec = load_test_file(path)
    rules = cache.rules(path.parent / spec.devices if spec.devices is not None else None)
    rule = rules.get(spec.rule)
    if rule is None:
        return [CaseResult(str(path), spec.rule, "-", False, f"no enabled rule {spec.rule!r}")]
    results = []
    for case in spec.cases:
        bad = [s for s in case.only or [] if s not in (*STATES, "command")]
        if bad:
            results.append(CaseResult(str(path), spec.rule, case.name, False, f"unknown state {bad[0]!r}"))
            continue
        try:
            ok, detail = run_case(rule, case, spec.start)
        except ValueError as exc:
            ok, detail = False, str(exc)
        results.append(CaseResult(str(path), spec.rule, case.name, ok, detail))
    return results


def run_directory(directory: Path, registry: Registry | None = None,
                  files: list[Path] | None = None) -> list[CaseResult]:
    """Run the tests files of a rules directory (its rules override the pack)."""
    rules_dir = None if Path(directory).resolve() == PACK_DIR.resolve() else Path(directory)
    cache = RuleCache(rules_dir, registry)
    out: list[CaseResult] = []
    for path in files if files is not None else find_test_files(directory):
        try:
            out.extend(run_test_file(path, cache))
        except RegistryError as exc:
            out.append(CaseResult(str(path), "-", "-", False, str(exc)))
    return out

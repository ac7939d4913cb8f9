"""Hot reload: a changed rules directory is validated, compiled and its tests run before it
replaces the running set; on any failure the old set keeps running with its state.

The live runner polls `directory_stamp`, calls `plan_reload` when it changes, and on
acceptance continues with `swap_engine`. State of unchanged rules is kept; a rule whose
structure changed (key, constructs, join) starts afresh, since its old state has another
shape; a rule whose thresholds changed keeps its state and applies them from now on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import RegistryError
from ingest.registry import Registry
from rules.compile import CompiledRule
from rules.engine import Engine, Processor
from rules.load import TESTS_SUFFIX, load_rule_set
from rules.testing import run_directory


@dataclass
class ReloadReport:
    """What a reload attempt found; `accepted` False means nothing was replaced."""

    accepted: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)  # changed in structure: state starts afresh
    untested: list[str] = field(default_factory=list)  # changed rules with no tests file in DIR
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log."""
        if not self.accepted:
            return "rules reload rejected: " + "; ".join(self.problems)
        parts = [f"{name}: {', '.join(v)}" for name, v in (
            ("added", self.added), ("removed", self.removed), ("changed", self.changed),
            ("reset", self.reset), ("untested", self.untested)) if v]
        return "rules reloaded" + (" (" + "; ".join(parts) + ")" if parts else " (no change)")


def directory_stamp(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and mtimes of the directory's YAML files: cheap to poll for changes."""
    out = []
    for path in sorted(Path(rules_dir).glob("*.yaml")):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def fingerprint(rule: CompiledRule) -> str:
    """The rule as compiled (after parameters): equal fingerprints, same behaviour."""
    silencer = rule.info.silencer
    return rule.spec.model_dump_json(by_alias=True) + repr(silencer.entries if silencer else [])


def structure(rule: CompiledRule) -> tuple[object, ...]:
    """What the shape of a rule's state depends on."""
    return (rule.spec.key, tuple(c.kind for c in rule.constructs),
            tuple(c.location or () for c in rule.constructs))


def plan_reload(registry: Registry, rules_dir: Path, current: Sequence[Processor]
                ) -> tuple[list[CompiledRule] | None, ReloadReport]:
    """Load, compile and test the directory; the new rules, or None with the reasons."""
    try:
        new = load_rule_set(registry, rules_dir)
    except RegistryError as exc:
        return None, ReloadReport(False, problems=[str(p) for p in exc.problems])
    old = {p.name: p for p in current if isinstance(p, CompiledRule)}
    fresh = {r.name: r for r in new}
    report = ReloadReport(True)
    report.added = sorted(set(fresh) - set(old))
    report.removed = sorted(set(old) - set(fresh))
    report.changed = sorted(n for n in set(fresh) & set(old) if fingerprint(fresh[n]) != fingerprint(old[n]))
    report.reset = [n for n in report.changed if structure(fresh[n]) != structure(old[n])]
    to_test = [*report.added, *report.changed]
    files = [Path(rules_dir) / f"{n}{TESTS_SUFFIX}" for n in to_test]
    report.untested = [n for n, f in zip(to_test, files, strict=True) if not f.exists()]
    results = run_directory(Path(rules_dir), registry, [f for f in files if f.exists()])
    failed = [r for r in results if not r.ok]
    if failed:
        report.accepted = False
        report.problems = [f"{r.file}: {r.rule}: {r.case}: {r.detail}" for r in failed]
        return None, report
    return new, report


def swap_engine(engine: Engine, processors: Sequence[Processor], reset: Iterable[str] = ()) -> Engine:
    """A new engine with `processors` that continues exactly where `engine` is.

    State and timers of removed processors and of those named in `reset` are dropped; the
    buffer, watermark and output numbering carry over.
    """
    snap = engine.snapshot()
    drop = set(reset)
    snap["state"] = [s for s in snap["state"] if s[0] not in drop]
    snap["timers"] = [t for t in snap["timers"] if t[2] not in drop]
    fresh = Engine(processors, engine.lateness_ms, early_raises=engine.early_raises)
    fresh.restore(snap)
    return fresh


def signatures(processors: Sequence[Processor]) -> dict[str, str]:
    """Each rule's state shape, to save beside an engine snapshot."""
    return {p.name: repr(structure(p)) for p in processors if isinstance(p, CompiledRule)}


def incompatible(saved: dict[str, str], processors: Sequence[Processor]) -> list[str]:
    """Rules whose saved state no longer fits (restart after a rule change): reset these."""
    now = signatures(processors)
    return sorted(name for name, sig in saved.items() if name in now and now[name] != sig)

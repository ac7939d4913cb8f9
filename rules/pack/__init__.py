"""The default rule pack (PRODUCT.md) and the entry point that loads it with overrides."""

from __future__ import annotations

from pathlib import Path

from ingest.registry import Registry
from rules.engine import Processor
from rules.load import load_rule_set


def load_rules(registry: Registry, rules_dir: Path | None = None) -> list[Processor]:
    """Default pack plus the overrides in `rules_dir`, validated and compiled.

    Raises ingest.errors.RegistryError listing every problem (file, line, key).
    """
    return list(load_rule_set(registry, rules_dir))

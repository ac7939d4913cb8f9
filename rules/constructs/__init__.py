"""The raising constructs of the rule format, one module per family."""

from __future__ import annotations

from typing import Any

from rules.constructs.absence import AbsenceConstruct
from rules.constructs.base import Construct, Context
from rules.constructs.dwell import DwellConstruct
from rules.constructs.quiet import QuietConstruct
from rules.constructs.single import EventConstruct
from rules.constructs.sustained import SustainedConstruct
from rules.constructs.window import CountConstruct, DistinctConstruct, SequenceConstruct

BUILDERS: dict[str, type[Any]] = {
    "event": EventConstruct,
    "count": CountConstruct,
    "distinct": DistinctConstruct,
    "sequence": SequenceConstruct,
    "absence": AbsenceConstruct,
    "dwell": DwellConstruct,
    "sustained": SustainedConstruct,
    "quiet": QuietConstruct,
}


def build(kind: str, spec: Any, idx: str, ctx: Context) -> Construct:
    """The construct of that kind, compiled against the context's registry."""
    construct: Construct = BUILDERS[kind](idx, ctx, spec)
    return construct

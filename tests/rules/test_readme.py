"""Every YAML example in rules/README.md is valid, so the documentation cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ingest.registry import load_registry
from rules import testing
from rules.compile import CompiledRule
from rules.load import plain
from rules.silence import SilencesFile
from rules.spec import OverrideSpec, RuleSpec, check_where

README = Path(__file__).parents[2] / "rules" / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
REGISTRY = load_registry(testing.TEST_DEVICES)
FILLER = {"rule": "example", "severity": "major", "clear": {"ack": True},
          "summary": {"zh": "示例", "en": "example"}}


def _docs(block: str) -> list[Any]:
    # a block may show alternatives separated by "# or"
    return [plain(YAML(typ="rt").load(part)) for part in re.split(r"\n# or\n", block)]


def _substitute(node: Any, params: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, params) for v in node]
    if isinstance(node, str) and node.startswith("$"):
        return params[node[1:]]
    return node


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[0][:40] for b in BLOCKS])
def test_example_is_valid(block: str) -> None:
    for doc in _docs(block):
        if "override" in doc:
            OverrideSpec.model_validate(doc)
        elif "cases" in doc:
            testing.TestFile.model_validate(doc)
        elif "silences" in doc:
            SilencesFile.model_validate(doc)
        elif "raise" in doc or "commands" in doc:
            spec = {**FILLER, "raise": {"event": {"where": {"type": "door.forced"}}}, **doc}
            CompiledRule(RuleSpec.model_validate(_substitute(spec, spec.get("params", {}))), REGISTRY)
        elif "where" in doc:
            check_where(doc["where"])
        else:
            pytest.fail(f"unrecognised example: {block[:60]}")


def test_there_is_an_example_per_construct() -> None:
    text = "\n".join(BLOCKS)
    for construct in ("event:", "count:", "distinct:", "sequence:", "absence:", "dwell:",
                      "sustained:", "while:", "quiet:", "during:", "commands:", "override:",
                      "silences:", "cases:"):
        assert construct in text, construct

"""Append a device to devices.yaml keeping the file's comments and layout (ruamel round-trip)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ingest.errors import ConfigProblem, RegistryError
from ingest.registry import Registry, parse_registry

# Key order of a new entry: the order PRODUCT.md documents them in.
KEY_ORDER = ("id", "type", "zone", "name", "building", "unit", "floor", "household", "occupants",
             "elevator", "heartbeat_s", "vendor", "stream", "detectors")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an installer's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def add_device(path: Path, entry: dict[str, Any]) -> Registry:
    """Append `entry` to `devices:` and write the file if the whole result validates.

    Raises RegistryError (with the problems, located in the new text) and leaves the file
    untouched when the new entry or the file would be invalid.
    """
    text = path.read_text(encoding="utf-8")
    yaml = _yaml()
    tree = yaml.load(text)
    devices = tree.get("devices") if isinstance(tree, CommentedMap) else None
    if not isinstance(devices, CommentedSeq):
        raise RegistryError([ConfigProblem(str(path), None, "devices", "no devices list to append to")])
    node = CommentedMap()
    for key in sorted(entry, key=lambda k: KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER)):
        value = entry[key]
        # "3" stays a string in YAML only when quoted; quote it the way the example file does
        node[key] = DoubleQuotedScalarString(value) if isinstance(value, str) and value.isdigit() else value
    devices.append(node)
    out = io.StringIO()
    yaml.dump(tree, out)
    new_text = _blank_after(out.getvalue(), len(devices) - 1)
    registry = parse_registry(new_text, str(path))  # raises with every problem, file untouched
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(new_text, encoding="utf-8")
    os.replace(tmp, path)
    return registry


def _blank_after(text: str, index: int) -> str:
    """Keep the blank line that separated `devices:` from the next top-level key after it.

    ruamel keeps a trailing blank line with the last node before it, so an appended entry
    lands after the blank line and sticks to the next key (`watchlist:`); move it back.
    """
    tree = _yaml().load(text)
    start = tree["devices"].lc.item(index)[0]
    lines = text.splitlines(keepends=True)
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "\n", "#", "")), None)
    if end is None or start == 0 or lines[start - 1].strip():
        return text
    blank = lines.pop(start - 1)
    lines.insert(end - 1, blank)
    return "".join(lines)

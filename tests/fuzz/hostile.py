"""Hypothesis strategies for hostile MQTT messages, and a JSON writer that can write them all.

Two domains: *bytes* as they arrive over MQTT (anything: invalid UTF-8, NaN literals,
integers past 64 bits, nesting past any parser's limit) and *objects* as replay hands
them over after `orjson.loads` (so integers within 64 bits, no lone surrogates), which
still carry NaN and infinities when a Python caller builds them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parent.parent / "ingest" / "fixtures"
FIXTURE_CASES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*/*.json"))]


def fuzz_settings(examples: int) -> settings:
    """Settings of a fuzz test: `examples` inputs, no deadline, no example database."""
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---- writing hostile JSON ------------------------------------------------------------------

def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)  # past 64 bits too: a device may send it
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # lone surrogates stay, written below
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def write_json(value: Any) -> bytes:
    """JSON text of any generated value, as a careless or hostile device would write it.

    NaN and Infinity as literals, integers of any size, lone surrogates as invalid UTF-8
    and nesting of any depth (iteratively: orjson stops at 255 levels, json at ~1000)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            parts: list[Any] = []
            for i, (key, inner) in enumerate(item.items()):
                parts.append(_Raw(("," if i else "") + json.dumps(str(key), ensure_ascii=False) + ":"))
                parts.append(inner)
            parts.append(_Raw("}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            out.append("[")
            parts = []
            for i, inner in enumerate(item):
                if i:
                    parts.append(_Raw(","))
                parts.append(inner)
            parts.append(_Raw("]"))
            stack.extend(reversed(parts))
        else:
            out.append(_scalar_text(item))
    return "".join(out).encode("utf-8", "surrogatepass")


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def nest(leaf: Any, depth: int, shape: str) -> Any:
    """`leaf` wrapped `depth` times in arrays, objects or both (built without recursion)."""
    value = leaf
    for i in range(depth):
        if shape == "list" or (shape == "mixed" and i % 2):
            value = [value]
        else:
            value = {"a": value}
    return value


# ---- values --------------------------------------------------------------------------------

EDGE_INTS = [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1, 946_684_799_999, 946_684_800_000,
             4_102_444_800_000, 1_793_575_865, 1_793_575_865_120]
EDGE_FLOATS = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 1e16, 0.5, 1.0000000001,
               1_793_575_865.2]
EDGE_TEXTS = ["", " ", "\x00", "\n", "../", "#", "+", "$SYS", "null", "NaN", "Infinity", "1e309", "-0", "true",
              "\u202e", "\u200b", "\ufeff", "２０２６", "雪", "😀" * 3, "%s%n", "'; DROP TABLE events; --",
              "<script>", "\\u0000", "A" * 41, "a" * 65,
              "2026-11-02T07:31:05.120+08:00", "2026-11-02t07:31:05z", "2026-11-02 07:31:05+08:00",
              "2026-11-02T07:31:05", "2026-02-30T07:31:05Z", "2026-11-02T07:31:60+08:00",
              "2026-11-02T07:31:05+24:00", "1999-12-31T23:59:59.999Z", "2100-01-01T00:00:00Z",
              "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "20261102073105", "20261302073105123",
              "٢٠٢٦-11-02T07:31:05+08:00", "2026-11-02T07:31:05.1234567890123456789+08:00"]
SURROGATES = ["\ud800", "a\udfffb", "\udc80\udc80"]

short_text = st.text(max_size=24)
# long strings cheaply: a short piece repeated up to past the 64 KiB payload limit
huge_text = st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=3), st.integers(50, 70_000))
texts = st.one_of(short_text, st.sampled_from(EDGE_TEXTS), huge_text)
ints64 = st.one_of(st.integers(-(2**63), 2**64 - 1), st.sampled_from(EDGE_INTS))
floats = st.one_of(st.floats(), st.sampled_from(EDGE_FLOATS))

# objects: what orjson hands over (replay), plus NaN/infinities a Python caller may build
object_scalars = st.one_of(st.none(), st.booleans(), ints64, floats, texts)
object_values = st.recursive(object_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(short_text, inner, max_size=4)), max_leaves=12)


def nested(max_depth: int) -> st.SearchStrategy[Any]:
    """A scalar wrapped in up to `max_depth` arrays and objects."""
    return st.builds(nest, object_scalars, st.integers(1, max_depth), st.sampled_from(["list", "dict", "mixed"]))


deep_values = nested(1500)  # past orjson's 1,024 levels, Python's recursion limit
hostile_objects = st.one_of(object_values, object_values, deep_values)
# For the redactor (ingest/pseudonym.py), which walks parsed payloads and writes them back
# with orjson: past its own limit (64), past orjson's (254); orjson 3.11.4 corrupted memory
# from about 95 levels (see test_fuzz_regressions.py).
ORJSON_SAFE_DEPTH = 200  # the tests write some payloads with orjson too (its limit: 254)
shallow_hostile_objects = st.one_of(object_values, object_values, nested(ORJSON_SAFE_DEPTH))

# bytes only: integers past 64 bits and lone surrogates (invalid UTF-8 once written)
byte_scalars = st.one_of(object_scalars, st.integers(-(2**80), 2**80).filter(lambda n: abs(n) >= 2**64),
                         st.sampled_from(SURROGATES))
byte_values = st.recursive(byte_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(short_text, inner, max_size=4)), max_leaves=12)

BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8", b"\x80",
            b"\xf8\x88\x80\x80\x80"]


def splice(raw: bytes, at: int, insert: bytes) -> bytes:
    """`insert` written into `raw` at a position (taken modulo its length)."""
    i = at % (len(raw) + 1)
    return raw[:i] + insert + raw[i:]


def mangled(raw: bytes) -> st.SearchStrategy[bytes]:
    """Byte-level damage to a valid payload: invalid UTF-8, truncation, BOM, UTF-16, junk."""
    return st.one_of(
        st.builds(splice, st.just(raw), st.integers(0, 10**6), st.sampled_from(BAD_UTF8)),
        st.builds(lambda n: raw[: n % (len(raw) + 1)], st.integers(0, 10**6)),
        st.just(b"\xef\xbb\xbf" + raw),
        st.just(raw.decode("utf-8").encode("utf-16")),
        st.builds(lambda junk: raw + junk, st.binary(min_size=1, max_size=8)),
        st.builds(lambda n: raw + b" " * n, st.integers(64 * 1024 - len(raw) - 1, 64 * 1024 - len(raw) + 1)),
    )


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a JSON value (object keys and array indices), root first."""
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out.extend(paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out.extend(paths(inner, (*prefix, i)))
    return out


_DELETE = object()


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of `value` with the node at `path` replaced by `new` (or removed: DELETE)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if not rest and new is _DELETE:
            copy.pop(head, None)
        else:
            copy[head] = replaced(value[head], rest, new)
        return copy
    copy_list = list(value)
    if not rest and new is _DELETE:
        del copy_list[head]
    else:
        copy_list[head] = replaced(value[head], rest, new)
    return copy_list


DELETE = _DELETE


def object_domain(value: Any) -> bool:
    """Whether a caller could hand this over as a parsed object: what orjson.loads makes
    (integers within 64 bits, valid UTF-8 text, at most 1,023 levels inside a replay line),
    plus NaN and infinities, which a Python caller can build."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > 1023:
            return False
        if isinstance(node, dict):
            stack.extend((k, depth) for k in node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, int) and not isinstance(node, bool):
            if not -(2**63) <= node < 2**64:
                return False
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True

"""Coverage-guided fuzzing of ingest with atheris (libFuzzer): topic and payload bytes through
the decoder and every vendor adapter, checked against tests/fuzz/contract.py.

tests/fuzz/test_atheris.py runs it for a bounded number of runs in CI. To fuzz longer by
hand, from the repository root (the corpus grows in the directory; a crash is written to
`crash-…` in the current directory and replayed by passing that file instead of the corpus):

    .venv/bin/python -m tests.fuzz.atheris_ingest --seeds /tmp/zhian-corpus
    .venv/bin/python -m tests.fuzz.atheris_ingest -max_total_time=3600 -max_len=8192 \\
        -print_final_stats=1 /tmp/zhian-corpus
    .venv/bin/python -m tests.fuzz.atheris_ingest crash-<sha1>          # replay one input

An input is read as libFuzzer's FuzzedDataProvider reads it (integers from the end): the
last byte picks the target (a registered device's events topic, or a topic taken from the
input), the byte before it the form the payload is handed over in (bytes as from MQTT,
text, an object as replay parses it, or that object with one node wrapped in deep
nesting, which byte mutations seldom build), then for a topic from the input its length,
then for "nested" the depth, shape and node; the front is the topic text, the rest the payload.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from tests.fuzz.hostile import nest, write_json

FIXTURES = Path(__file__).resolve().parent.parent / "ingest" / "fixtures"
FORMS = ("bytes", "text", "object", "nested", "nested-object")
MAX_TOPIC = 160
MAX_DEPTH = 1500  # past orjson's 1,024 levels and Python's recursion limit
# libFuzzer dictionary: tokens that random byte mutation would take long to find
TOKENS = ['"' + "[" * 64 + '"', '"' + '{\\"a\\":' * 16 + '"', '"NaN"', '"-Infinity"', '"1e400"',
          '"18446744073709551616"', '"\\xff"', '"\\xed\\xa0\\x80"', '"\\\\ud800"', '"\\\\u0000"',
          '"2026-11-02T07:31:05.120+08:00"', '"20261102073105"', '"1793575865"', '"gate-north"',
          '"elevcam_3_1"', '"frigate-nvr"', '"access.granted"', '"object.detected"', '"subject"', '"data"',
          '"employeeNoString"', '"employeeNo"', '"cardNo"', '"channelID"', '"eventState"', '"userType"',
          '"AccessControllerEvent"', '"majorEventType"', '"subEventType"', '"UserID"', '"CardNo"', '"ErrorCode"',
          '"LocaleTime"', '"UTC"', '"Index"', '"Action"', '"false_positive"', '"current_zones"',
          '"FaceListObject"', '"NonMotorVehicleListObject"', '"VehicleType"']


class Input(NamedTuple):
    """One fuzzer input, read: where the payload goes, in which form, and how to deepen it."""

    target: int  # index into devices(), or len(devices()) for `topic`
    topic: str | None
    form: str
    depth: int
    shape: str
    steps: list[int]  # which child to descend into at each level, before wrapping
    raw: bytes


def read_input(fdp: Any, targets: int) -> Input:
    """Read an input the way `one_input` does (integers from the end, then text, then payload)."""
    target = fdp.ConsumeIntInRange(0, targets)
    form = FORMS[fdp.ConsumeIntInRange(0, len(FORMS) - 1)]
    topic = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, MAX_TOPIC)) if target == targets else None
    depth, shape, steps = 0, "list", []
    if form.startswith("nested"):
        depth = fdp.ConsumeIntInRange(1, MAX_DEPTH)
        shape = ("list", "dict", "mixed")[fdp.ConsumeIntInRange(0, 2)]
        steps = [fdp.ConsumeIntInRange(0, 255) for _ in range(fdp.ConsumeIntInRange(0, 6))]
    return Input(target, topic, form, depth, shape, steps, fdp.ConsumeBytes(fdp.remaining_bytes()))


def deepened(value: Any, depth: int, shape: str, steps: list[int]) -> Any:
    """`value` with one node (reached by `steps`) wrapped in `depth` arrays or objects:
    structure-aware, as byte mutations seldom build deep nesting."""
    if not steps or not isinstance(value, dict | list) or not value:
        return nest(value, depth, shape)
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[steps[0] % len(keys)]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = deepened(value[key], depth, shape, steps[1:])
    return copy


def devices() -> list[str]:
    """The fuzz registry's device ids, in order: target i is the events topic of device i."""
    from tests.fuzz.contract import fuzz_registry

    return [d.id for d in fuzz_registry().devices]


def encode_input(payload: bytes, form: str, device: str | None = None, topic: str | None = None) -> bytes:
    """The fuzzer input that hands `payload` to `device` (or to a `topic` taken from the input)."""
    ids = devices()
    if topic is None:
        assert device is not None
        if form.startswith("nested"):
            # read backwards: 1 + depth - 1 as two bytes (high byte last), shape 0 (list),
            # 1 step, to child 0: the first node wrapped in 300 arrays
            payload += bytes([0, 1, 0, 299 % 256, 299 // 256])
        return payload + bytes([FORMS.index(form), ids.index(device)])
    text = topic.encode("ascii")
    # ConsumeUnicode: a first byte with its low bit set means ASCII, then `len` bytes
    return b"\x01" + text + payload + bytes([len(text), FORMS.index(form), len(ids)])


def seeds() -> dict[str, bytes]:
    """A starting corpus: every recorded vendor fixture and a native event, in each form."""
    out: dict[str, bytes] = {}
    for path in sorted(FIXTURES.glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        raw = json.dumps(case["payload"], ensure_ascii=False).encode("utf-8")
        for form in FORMS:
            out[f"{path.parent.name}-{path.stem}-{form}"] = encode_input(raw, form, device=case["device"])
    native = json.dumps({"v": 1, "id": "gate-north-1", "ts": "2026-11-02T07:31:05.120+08:00",
                         "device": "gate-north", "type": "access.granted",
                         "subject": {"id": "r-00042", "kind": "resident", "credential": "face"},
                         "data": {"direction": "in"}}).encode()
    for form in FORMS:
        out[f"native-{form}"] = encode_input(native, form, device="gate-north")
    out["topic-native"] = encode_input(native, "bytes", topic="zhian/cyl/gate-north/events")
    out["topic-other-community"] = encode_input(native, "object", topic="zhian/jinhua/gate-north/events")
    out["topic-unregistered"] = encode_input(native, "bytes", topic="zhian/cyl/gate-west/events")
    return out


def write_seeds(directory: Path) -> int:
    """Write the seed corpus into `directory` and the dictionary (`-dict=`) beside it as
    `ingest.dict`; returns how many inputs the corpus holds."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory.parent / "ingest.dict").write_text("\n".join(TOKENS) + "\n", encoding="utf-8")
    for name, data in seeds().items():
        (directory / name).write_bytes(data)
    return len(seeds())


def main(argv: list[str]) -> None:
    """Fuzz (libFuzzer options and corpus directories in `argv`), or `--seeds DIR`."""
    if len(argv) == 3 and argv[1] == "--seeds":
        print(f"{write_seeds(Path(argv[2]))} seed inputs in {argv[2]}")
        return
    import atheris
    import orjson

    with atheris.instrument_imports(include=["ingest"]):
        from ingest.decode import Decoder
        from tests.fuzz.contract import check, fuzz_registry

    decoder = Decoder(fuzz_registry())
    topics = [f"zhian/{decoder.community}/{d}/events" for d in devices()]

    def one_input(data: bytes) -> None:
        item = read_input(atheris.FuzzedDataProvider(data), len(topics))
        topic = item.topic if item.topic is not None else topics[item.target]
        message: Any = item.raw
        if item.form == "text":
            message = item.raw.decode("utf-8", "surrogateescape")
        elif item.form != "bytes":
            try:
                message = orjson.loads(item.raw)
            except orjson.JSONDecodeError:
                pass
            else:
                if item.form.startswith("nested"):
                    message = deepened(message, item.depth, item.shape, item.steps)
                    if item.form == "nested":
                        message = write_json(message)
        check(decoder, topic, message)

    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)

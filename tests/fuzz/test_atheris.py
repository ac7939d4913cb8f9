"""atheris (coverage-guided, libFuzzer) over the decoder and every adapter, bounded for CI.

RUNS inputs per CI run (about 5 s here), starting from the recorded fixtures; the harness
and how to run it for longer by hand are in tests/fuzz/atheris_ingest.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import atheris
import orjson
import pytest

from tests.fuzz.atheris_ingest import FIXTURES, FORMS, devices, read_input, seeds, write_seeds

ROOT = Path(__file__).resolve().parents[2]
RUNS = 100_000


def test_seed_inputs_reach_their_targets() -> None:
    """The seed corpus is read back as the harness reads it: each recorded payload, intact,
    for its device, in every form (else the fuzzer would start from noise)."""
    ids = devices()
    read = {name: read_input(atheris.FuzzedDataProvider(data), len(ids)) for name, data in seeds().items()}
    for path in sorted(FIXTURES.glob("*/*.json")):
        case = orjson.loads(path.read_bytes())
        for form in FORMS:
            item = read[f"{path.parent.name}-{path.stem}-{form}"]
            assert (ids[item.target], item.topic, item.form) == (case["device"], None, form)
            assert orjson.loads(item.raw) == case["payload"]
            if form.startswith("nested"):
                assert (item.depth, item.shape, item.steps) == (300, "list", [0])
    assert read["topic-other-community"].topic == "zhian/jinhua/gate-north/events"


@pytest.mark.fuzz
def test_atheris_finds_no_crash(tmp_path: Path) -> None:
    """libFuzzer exits 0 after RUNS inputs: no exception escaped the contract checks."""
    corpus = tmp_path / "corpus"
    assert write_seeds(corpus) == len(seeds())
    run = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_ingest", f"-runs={RUNS}", "-max_len=4096",
         f"-dict={tmp_path / 'ingest.dict'}", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", str(corpus)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    log = run.stdout + run.stderr
    crashes = sorted(p.name for p in tmp_path.glob("crash-*"))
    assert run.returncode == 0 and not crashes, f"exit {run.returncode}, {crashes}:\n{log[-3000:]}"
    done = re.search(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+)", log)
    assert done is not None and int(done.group(1)) == RUNS, log[-2000:]
    print(f"atheris: {done.group(1)} runs, cov {done.group(2)}, ft {done.group(3)}")

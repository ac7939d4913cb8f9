"""Fuzzing ingest (issue 9): hostile topics and payloads never crash; each is valid events or
a rejection with a reason from REASONS that names the field (contract.py).

Per CI run: 10,400 hypothesis examples (test_fuzz_ingest 5,700, test_fuzz_adapters 2,900,
test_fuzz_pipeline 1,800: each test's `max_examples`, every one reached), which make about
19,000 decoder calls (19,153 in one measured run, printed by conftest.py after every run)
and 1,000 redactions; then 100,000 coverage-guided atheris runs (test_atheris.py). The
fuzz tests take about 25 s here (`pytest -p no:cacheprovider tests/fuzz`).
"""

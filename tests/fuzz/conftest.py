"""Prints how many hostile inputs the fuzz tests decoded in this run, and how they ended."""

from __future__ import annotations

import pytest

from tests.fuzz.contract import TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The measured count, so the figure in the docstrings can be checked on every run."""
    if not TALLY.inputs:
        return
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(TALLY.reasons.items(), key=lambda kv: -kv[1]))
    terminalreporter.write_sep("-", "fuzz")
    terminalreporter.write_line(f"{TALLY.inputs} hostile inputs decoded: {TALLY.events} became events; "
                                f"rejected: {reasons}")

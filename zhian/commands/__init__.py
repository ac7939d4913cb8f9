"""Subcommands of the `zhian` console script."""

from __future__ import annotations

import sys
from typing import TextIO

from ingest.errors import RegistryError


def print_problems(exc: RegistryError, stream: TextIO | None = None) -> None:
    """Each problem of a registry or rule file (file:line: key: what is wrong), one per line."""
    out = stream if stream is not None else sys.stderr
    for problem in exc.problems:
        print(f"error: {problem}", file=out)

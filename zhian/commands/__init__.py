"""Subcommands of the `zhian` console script."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from ingest.errors import RegistryError


def print_problems(exc: RegistryError, stream: TextIO | None = None) -> None:
    """Each problem of a registry or rule file (file:line: key: what is wrong), one per line."""
    out = stream if stream is not None else sys.stderr
    for problem in exc.problems:
        print(f"error: {problem}", file=out)


def log_problems(exc: RegistryError, log: logging.Logger) -> None:
    """The same problems as errors of a long-running command's log."""
    for problem in exc.problems:
        log.error("%s", problem)

"""The exception tree of zhian; the edges translate these into rejections or exit codes."""

from __future__ import annotations


class ZhianError(Exception):
    """Base of every error zhian raises on purpose."""


class RejectError(ZhianError):
    """A message that cannot become an event: the reason code is counted, the field named."""

    def __init__(self, reason: str, field: str | None, detail: str) -> None:
        self.reason = reason
        self.field = field
        self.detail = detail
        where = f"{field}: " if field else ""
        super().__init__(f"{reason}: {where}{detail}")


class RegistryError(ZhianError):
    """devices.yaml (or another config file) is invalid; carries every problem found."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigProblem:
    """One problem in a config file, located by file, line and key."""

    __slots__ = ("file", "line", "key", "message")

    def __init__(self, file: str, line: int | None, key: str, message: str) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"

    def __repr__(self) -> str:
        return f"ConfigProblem({self!s})"

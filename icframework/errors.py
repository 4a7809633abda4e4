"""The exceptions icframework raises. Each message says what to do next."""

from __future__ import annotations

from dataclasses import dataclass


class ICFError(Exception):
    """Base class: every error the package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: where it is and what is wrong."""

    file: str
    line: int | None
    message: str
    where: str = ""  # a path inside the document (areas[0].questions[2].text) or sheet/row/column

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        return f"{loc}: {self.where + ': ' if self.where else ''}{self.message}"


class ValidationError(ICFError):
    """A file or input failed validation; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem], summary: str = "validation failed"):
        self.problems = list(problems)
        lines = [f"{summary} ({len(self.problems)} problem(s)):"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class NotFoundError(ICFError):
    """A named thing (framework, city, round, respondent) does not exist."""


class AccessDenied(ICFError):
    """A respondent code is missing, wrong, revoked or for another city."""

"""The one exception users see, with where in their text it went wrong."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorKind(Enum):
    """What sort of mistake: decides the message's first word."""

    PARSE = "syntax error"
    SHAPE = "shape error"
    NAME = "name error"
    NOT_DIFFERENTIABLE = "not differentiable"
    VALUE = "value error"


CARET_WIDTH = 72
"""The widest piece of a long line that an error shows."""


@dataclass(frozen=True, slots=True)
class Span:
    """A place in the user's text: 1-based line and column, and the text itself."""

    line: int
    column: int
    text: str

    def caret(self) -> str:
        """The offending line, cut to a window around the column, with a caret under it."""
        lines = self.text.splitlines()
        source = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        column = self.column
        if len(source) > CARET_WIDTH:
            start = max(0, min(column - 1 - CARET_WIDTH // 2, len(source) - CARET_WIDTH))
            end = start + CARET_WIDTH
            head, tail = ("…" if start > 0 else ""), ("…" if end < len(source) else "")
            source = head + source[start:end] + tail
            column = column - start + len(head)
        return f"{source}\n{' ' * (column - 1)}^"


class MatcalcError(ValueError):
    """Every user error: bad syntax, shapes that do not fit, unknown names, no rule."""

    def __init__(self, message: str, kind: ErrorKind = ErrorKind.VALUE, span: Span | None = None):
        self.message = message
        self.kind = kind
        self.span = span
        super().__init__(self.one_line())

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def one_line(self) -> str:
        """The message as the CLI prints it: kind, place, what is wrong."""
        where = f" at line {self.span.line}, column {self.span.column}" if self.span else ""
        return f"{self.kind.value}{where}: {self.message}"

    def __str__(self) -> str:
        if self.span is None:
            return self.one_line()
        return f"{self.one_line()}\n{self.span.caret()}"

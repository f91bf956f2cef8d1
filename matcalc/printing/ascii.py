"""Printed text in ASCII, for a terminal or a file that cannot take Unicode: each operator
becomes the spelling the parser reads back (`⊙` is `.*`, `X^{∘2}` is `X.^2`), Greek letters
their names, and a caret line still points at the same character of the line above it.

An expression without Greek letters reads back as the same expression; one with them reads
back with other scalars, as a letter's name is a symbol of its own: `tr(Λ X)` prints as
`tr(Lambda X)`, which has the scalar `Lambda` where it had `Λ`.

It transliterates text that a printer wrote; it never touches an expression.
"""

from __future__ import annotations

import re
import unicodedata

from matcalc.declarations import GREEK as GREEK_NAMES


def _greek() -> dict[str, str]:
    """Each Greek letter whose name is a Greek scalar's name (declarations.GREEK) by that name:
    `λ` is `lambda`, `Λ` is `Lambda`, the final `ς` is `sigma`."""
    found = {}
    for code in range(ord("Α"), ord("ω") + 1):
        letter = chr(code)
        if unicodedata.category(letter) in ("Lu", "Ll"):
            name = unicodedata.name(letter).split()[-1].lower().replace("lamda", "lambda")
            if name in GREEK_NAMES:
                found[letter] = name if letter.islower() else name.capitalize()
    return found


GREEK = _greek()
"""Greek letters by name, which the parser reads as scalars."""

SPELLINGS: tuple[tuple[str, str], ...] = (
    (r"\^\{∘(\d+)\}", r".^\1"),
    ("⊙", ".*"),
    ("⊘", "./"),
    ("⊗", r"\\otimes"),
    ("∇", "nabla"),
    ("∘", "o"),
    ("↦", "|->"),
    ("→", "->"),
    ("×", "x"),
    ("·", "*"),
    ("‖", "||"),
    ("ᵀ", "^T"),
    ("…", "..."),
    ("–", "-"),
    ("−", "-"),
    ("⟨", "<"),
    ("⟩", ">"),
    ("∑", "sum "),
    ("²", "^2"),
    ("([₀-₉]+)", r"_\1"),
)
"""The one transliteration table, in order: (pattern, replacement). Where the grammar has an
ASCII spelling (`.*`, `./`, `.^k`, `||`, `^T`, `*`) the table uses it, so that an operator
printed in ASCII parses back to the same operator."""

_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in SPELLINGS)
_GREEK = re.compile(f"[{''.join(GREEK)}]")
_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_CARET = re.compile(r" *\^")


def to_ascii(text: str) -> str:
    """`text` in ASCII by the table above (`X ⊙ Y ↦ λ X` is `X .* Y |-> lambda X`), with
    any character the table lacks escaped as `\\uXXXX`; a line of spaces and one caret under
    another line still marks the same character of it."""
    lines = text.split("\n")
    out = [_line(line) for line in lines]
    for i in range(1, len(lines)):
        if _CARET.fullmatch(lines[i]):
            column = len(lines[i]) - 1
            above = lines[i - 1]
            moved = len(_line(above[:column])) + max(0, column - len(above))
            out[i] = " " * moved + "^"
    return "\n".join(out)


def _line(text: str) -> str:
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    text = _GREEK.sub(lambda found: GREEK[found.group()], text.translate(_DIGITS))
    return text.encode("ascii", "backslashreplace").decode("ascii")

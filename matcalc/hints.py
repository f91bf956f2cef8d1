"""What to write instead: names within a small edit distance of a known one, the slips of
other notations (NumPy, Python, LaTeX, single bars) with matcalc's spelling, and letters that
only look Latin. The parser words its errors and notes with them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matcalc.declarations import GREEK


@dataclass(frozen=True, slots=True)
class Slip:
    """A function of another notation and how matcalc writes it: `fix` with $1, $2 for the
    arguments as written (`example` when there are none to hand), and why, where it helps."""

    fix: str
    example: tuple[str, ...] = ("X",)
    why: str = ""

    def written(self, args: Sequence[str] = ()) -> str:
        """The fix, with `args` (or the example's) in place of $1, $2: in parentheses where
        an operator binds them, as they are inside a call's or a norm's own brackets."""
        args = args if len(args) == len(self.example) else self.example

        def argument(found: re.Match[str]) -> str:
            arg = args[int(found.group(1)) - 1]
            enclosed = self.fix[found.start() - 1 : found.start()] in ("(", "|", " ") and (
                self.fix[found.end() : found.end() + 1] in (")", "|", ",")
            )
            return arg if enclosed else grouped(arg)

        return re.sub(r"\$(\d)", argument, self.fix)

    def advice(self, args: Sequence[str] = ()) -> str:
        """The fix, and why where it helps."""
        return self.written(args) + (f" ({self.why})" if self.why else "")


ALIASES: Mapping[str, str] = {
    **{"trace": "tr", "Tr": "tr", "Trace": "tr", "determinant": "det", "diagonal": "diag"},
    **{"ln": "log", "lndet": "logdet", "log_det": "logdet", "logistic": "sigmoid", "sgn": "sign"},
    **{"avg": "mean", "average": "mean", "layer_norm": "layernorm", "LayerNorm": "layernorm"},
}
"""Names that other notations (NumPy, papers' LaTeX) give matcalc's functions: the LaTeX reader
reads them as the function, the plain parser says which function to write."""

SLIPS: Mapping[str, Slip] = {
    **{name: Slip(f"{function}($1)") for name, function in ALIASES.items()},
    "sigma": Slip(
        "sigmoid($1)", why="for the logistic function; sigma (X) with a space is a product"
    ),
    "norm": Slip("||$1||_2", ("x",), "for a vector; ||X||_F is a matrix's Frobenius norm"),
    "transpose": Slip("$1^T"),
    "inverse": Slip("$1^{-1}"),
    "dot": Slip("$1^T $2", ("x", "y")),
    "matmul": Slip("$1 $2", ("X", "Y")),
    "multiply": Slip("$1 ⊙ $2", ("X", "Y")),
    "hadamard": Slip("$1 ⊙ $2", ("X", "Y")),
    "divide": Slip("$1 ⊘ $2", ("X", "Y")),
    "outer": Slip("$1 $2^T", ("x", "y")),
    "square": Slip("$1.^2"),
    "identity": Slip("eye($1)", ("n",)),
}
"""Names that matcalc does not know, as other notations use them (a call written in a NumPy
namespace, np.trace(X), is looked up here too)."""

NUMPY_FUNCTIONS: Mapping[str, Slip] = {
    "inv": Slip("$1^{-1}"),
    "dot": Slip("$1 $2", ("X", "Y"), "the matrix product; x^T y for two vectors"),
    "kron": Slip("$1 ⊗ $2", ("A", "B"), "the Kronecker product"),
}
"""NumPy's functions that matcalc writes otherwise than SLIPS does, as np.linalg.inv(X)."""

NUMPY_METHODS: Mapping[str, Slip] = {
    "T": Slip("$1^T"),
    "transpose": Slip("$1^T"),
    "dot": Slip("$1 $2", ("X", "Y")),
    "sum": Slip("sum($1)"),
    "trace": Slip("tr($1)"),
}
"""NumPy's methods, as X.dot(Y): $1 is the object."""

NAMESPACES = ("np", "numpy", "jnp", "torch", "tf", "scipy")


def close_names(name: str, candidates: Iterable[str]) -> list[str]:
    """The candidates nearest to `name`, if within one edit for a name of up to five letters
    and two for a longer one (a swap of neighbours is one edit): `tnah` finds tanh, `mean`
    finds nothing."""
    allowed = 1 if len(name) <= 5 else 2
    scored = sorted((distance(name, c), c) for c in set(candidates))
    return [c for d, c in scored if d <= allowed and d == scored[0][0]][:3]


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: the optimal
    string alignment distance."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def grouped(text: str) -> str:
    """`text` as an operand: a name, a number or a bracketed group as it is, else in
    parentheses."""
    text = text.strip()
    if re.fullmatch(r"\w+", text) or (
        text[:1] == "(" and arguments(text, 0) is not None and _closes_at_end(text)
    ):
        return text
    return f"({text})"


def _closes_at_end(text: str) -> bool:
    """Whether the '(' that opens `text` is closed by its last character."""
    depth = 0
    for at, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return at == len(text) - 1
    return False


def arguments(text: str, opening: int) -> list[str] | None:
    """The comma-separated arguments of the call whose '(' is at `opening`, as written."""
    depth, start, found = 0, opening + 1, []
    for at in range(opening, len(text)):
        if text[at] in "([{":
            depth += 1
        elif text[at] in ")]}":
            depth -= 1
            if depth == 0:
                found.append(text[start:at].strip())
                return found if any(found) else []
        elif text[at] == "," and depth == 1:
            found.append(text[start:at].strip())
            start = at + 1
    return None


def operand_before(text: str, end: int) -> str:
    """The operand written just before `end`: a name, a number, or a parenthesised group."""
    at = end
    if at > 0 and text[at - 1] == ")":
        depth = 0
        while at > 0:
            at -= 1
            depth += {")": 1, "(": -1}.get(text[at], 0)
            if depth == 0:
                while at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_'"):
                    at -= 1  # a call: f(X)
                return text[at:end]
        return text[:end]
    while at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_"):
        at -= 1
    return text[at:end]


# Letters that only look Latin ------------------------------------------------------------

_LOOKALIKES = dict(
    zip(
        "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧονаеіјорсѕухһԁԛԝАВЕІЈКМНОРСЅТУХԚԜıȷ",
        "ABEZHIKMNOPTYXovaeijopcsyxhdqwABEIJKMHOPCSTYXQWij",
        strict=True,
    )
)


def latin_lookalike(char: str) -> str | None:
    """The Latin letter that `char` looks like, if it is another letter: Greek Χ, Cyrillic х,
    fullwidth Ｘ, bold 𝐗, dotless ı."""
    if char.isascii():
        return None
    if char in _LOOKALIKES:
        return _LOOKALIKES[char]
    plain = unicodedata.normalize("NFKC", char)
    if len(plain) == 1 and plain.isascii() and plain.isalpha():
        return plain
    return None


def lookalike_description(char: str) -> str:
    """What a letter that looks Latin is: "the Greek capital Chi, not the Latin X"."""
    *kind, letter = [word for word in unicodedata.name(char, char).split() if word != "LETTER"]
    capital = "CAPITAL" in kind
    described = [w.title() if w in ("GREEK", "CYRILLIC", "LATIN") else w.lower() for w in kind]
    name = (letter if len(letter) == 1 else letter.title()) if capital else letter.lower()
    return f"the {' '.join([*described, name])}, not the Latin {latin_lookalike(char)}"


def lookalikes_in(name: str) -> list[tuple[int, str]]:
    """Where `name` has a letter that only looks Latin, and what it is."""
    return [
        (at, lookalike_description(char))
        for at, char in enumerate(name)
        if latin_lookalike(char) is not None
    ]


def plain_latin(word: str) -> str:
    """`word` with each lookalike letter replaced by the Latin one it looks like."""
    return "".join(latin_lookalike(char) or char for char in word)


# Characters and slips met where the grammar stops ----------------------------------------

LATEX_FUNCTIONS = (
    *("exp", "log", "ln", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "tanh"),
    *("det", "tr", "Tr", "trace", "diag"),
)
"""LaTeX's commands that name one of matcalc's functions, or an alias of one (`\\ln`)."""

LATEX_ADVICE: Mapping[tuple[str, ...], str] = {
    ("min", "max", "arg", "argmin", "argmax", "inf", "sup"): (
        "matcalc reads the objective alone: paste what is minimised, e.g. \\|X - D R\\|_F^2"
    ),
    ("nabla", "partial"): (
        "matcalc takes the objective and works out its derivative: paste the objective and "
        "name the variable"
    ),
    ("hat", "bar", "tilde", "vec", "dot", "overline", "widehat"): (
        "a decorated name: write a plain one, such as \\mathit{xhat} or x_1"
    ),
    ("left", "right"): "\\left and \\right take a delimiter matcalc reads: ( [ | \\| \\Vert",
    ("top", "intercal", "prime"): "a transpose is a superscript: X^\\top",
    ("oplus",): "matcalc has no direct sum",
    ("langle", "rangle"): "an inner product is a trace: write \\operatorname{tr}(A^\\top B)",
}
"""LaTeX commands that matcalc reads in neither notation, or not where they stand, and what to
write instead."""

_LATEX_PLAIN = {
    "frac": "a / b",
    "left": "( )",
    "right": "( )",
    "times": "X W",
    "circ": "X ⊙ W",
    "sqrt": "sqrt(x)",
    "mathbf": "X",
    "boldsymbol": "X",
    "bm": "X",
}
"""LaTeX commands that --latex reads, and how the plain notation writes them."""

CHARACTERS = {
    "−": "write the minus sign as -",
    "–": "write the minus sign as -",
    "⋅": "write the matrix product as X W or X·W",
    "∙": "write the matrix product as X W or X·W",
    "⁻": "write an inverse as X^{-1}",
    "=": "an objective is an expression, not an equation: write only what follows =",
}
"""Characters that neither notation reads, and what to write instead."""

_PLAIN_CHARACTERS = {
    "×": "the matrix product is written X W (or X * W), the entrywise product X ⊙ W",
    "²": "write a square as X^2 (entrywise X.^2)",
    "³": "write a cube as X^3 (entrywise X.^3)",
    "√": "write a square root as sqrt(x)",
    "∑": "write a sum of entries as sum(X)",
    "[": "group with parentheses ( ), not brackets",
    "]": "group with parentheses ( ), not brackets",
    "$": "LaTeX's $…$ delimiters are not part of the formula: leave them out",
}
"""Characters that LaTeX reads but the plain notation does not."""


def character_hint(text: str, at: int) -> str | None:
    """What to write instead of the character at `at`, where the grammar cannot go on."""
    char = text[at]
    for hint in (_numpy_hint, _bars_hint, _latex_hint):
        found = hint(text, at)
        if found is not None:
            return found
    found = _PLAIN_CHARACTERS.get(char) or CHARACTERS.get(char)
    if found is not None:
        return found
    if unicodedata.category(char) == "Zs":
        return f"{unicodedata.name(char, 'a space').lower()}: use a plain space"
    return None


def token_hint(text: str, at: int) -> str | None:
    """What to write instead of the token at `at`, where the grammar cannot go on."""
    if text.startswith("*", at) and at > 0 and text[at - 1] == "*":
        base = operand_before(text, at - 1)
        power = re.match(r"\s*(-?\w+|\([^()]*\))", text[at + 1 :])
        exponent = power.group(1) if power else "2"
        entrywise = f"{grouped(base)}.^{exponent}" if exponent.isdigit() else ""
        also = f", {entrywise} entrywise" if entrywise else ""
        return (
            f"** is Python's power: write {grouped(base)}^{exponent} (of a scalar or a square "
            f"matrix){also}"
        )
    return None


def _numpy_hint(text: str, at: int) -> str | None:
    """np.exp(X), np.linalg.inv(X), X.T, X.dot(Y), X.sum(): what matcalc writes."""
    if text[at] != ".":
        return None
    namespace = re.search(r"\b(" + "|".join(NAMESPACES) + r")$", text[:at])
    method = re.match(r"\.((?:linalg\.)?(\w+))\s*(\()?", text[at:])
    if method is None:
        return None
    name, call = method.group(2), method.group(3)
    args = arguments(text, at + method.end() - 1) if call else []
    if namespace is not None:
        written = f"{namespace.group(1)}.{method.group(1)}"
        slip = NUMPY_FUNCTIONS.get(name) or SLIPS.get(name)
        if slip is None:
            plain = f"{name}({', '.join(args or ['X'])})"
            return f"{written} is NumPy's: drop the {namespace.group(1)}. prefix, {plain}"
        return f"{written} is NumPy's: write {slip.advice(args or ())}"
    slip = NUMPY_METHODS.get(name)
    if slip is None:
        return None
    return f".{name} is NumPy's: write {slip.advice([operand_before(text, at), *(args or ())])}"


def _bars_hint(text: str, at: int) -> str | None:
    """|x|_1 or |x|: a norm has two bars on each side."""
    if text[at] not in "|‖" or text.startswith("||", at):
        return None
    if text[:at].count("||") % 2 == 1 or text[:at].count("‖") % 2 == 1:
        return "a norm closes as it opens, with two bars: ||x||_1, ||x||_2, ||G||_F"
    closing = text.find("|", at + 1)
    if closing < 0:
        return "a norm is written with two bars on each side: ||x||_1, ||x||_2, ||G||_F"
    inner = text[at + 1 : closing].strip()
    subscript = re.match(r"\s*_\s*\{?\s*([12F])\s*\}?", text[closing + 1 :])
    if subscript is not None:
        return f"a norm has two bars on each side: write ||{inner}||_{subscript.group(1)}"
    return (
        f"|{inner}| is not read: write ||{inner}||_1 or ||{inner}||_2 for a norm, "
        f"abs({inner}) for the absolute value of each entry, det({inner}) for a determinant"
    )


def _latex_hint(text: str, at: int) -> str | None:
    """\\frac, \\operatorname{tr}, \\lambda: LaTeX, which --latex reads."""
    command = re.match(r"\\([A-Za-z]+)", text[at:])
    if command is None:
        return None
    name = command.group(1)
    advice = next((advice for words, advice in LATEX_ADVICE.items() if name in words), None)
    if name not in _LATEX_PLAIN and advice is not None:
        return f"\\{name} is LaTeX; {advice}"
    lead = (
        f'\\{name} is LaTeX, which matcalc reads with --latex (matcalc.diff(..., notation="latex"))'
    )
    plain = _LATEX_PLAIN.get(name)
    operator = re.match(r"\\(?:operatorname|mathrm|text|mathop)\s*\{\s*(\w+)\s*\}", text[at:])
    fraction = re.match(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", text[at:])
    if fraction is not None:
        plain = f"{grouped(fraction.group(1))} / {grouped(fraction.group(2))}"
    elif operator is not None:
        plain = f"{ALIASES.get(operator.group(1), operator.group(1))}(X)"
    elif name in GREEK:
        plain = name
    elif name in LATEX_FUNCTIONS:
        plain = f"{ALIASES.get(name, name)}(X)"
    return f"{lead}; in its own notation write {plain}" if plain else lead

"""How a user names things and declares shapes: what a name is, which names are scalars,
vectors or matrices by convention, and declarations as `diff` takes them ("m,n",
("m", "n"), "scalar", "n,n,symmetric"), each refused clearly where it is not one."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Dim
from matcalc.limits import MAX_NUMBER_DIGITS
from matcalc.operations import SCALAR, Shape

GREEK = frozenset(
    (
        "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
        "nu xi omicron pi rho sigma tau upsilon phi varphi chi psi omega"
    ).split()
)
"""Names that are scalars by convention, and LaTeX commands."""


NAMINGS = ("seed", "matrixcalculus")


def convention(name: str, naming: str = "seed") -> str:
    """A name's kind unless declared. The seed's naming: Greek is a scalar, lower case a
    vector, else a matrix. matrixcalculus.org's: a–g scalars, h–z vectors, A–Z matrices."""
    if naming == "matrixcalculus" and name[0].isascii() and name[0].isalpha():
        return "matrix" if name[0].isupper() else "scalar" if name[0] <= "g" else "vector"
    stem = name.split("_")[0].rstrip("0123456789")
    if stem.lower() in GREEK or (len(name) == 1 and "α" <= name.lower() <= "ω"):
        return "scalar"
    return "vector" if name[0].islower() else "matrix"


Spec = Sequence[int | str] | str
"""A declaration: ("m", "n"), "m,n", ("n",), "scalar", ("n", "n", "symmetric"), or with
"rows-sum-to-one" ("sums-to-one" for a column) for probabilities and one-hot labels."""

SPEC_FORMS = (
    '"m,n", ("m", "n"), "n", "scalar", "n,n,symmetric" or "m,k,rows-sum-to-one" (a size may be '
    "a number)"
)
"""How a declaration is written, for the messages that refuse one."""

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*|[α-ωΑ-Ω]")
"""A name as grammar/matcalc.lark's NAME terminal reads it (tests/test_parse.py checks that
they agree)."""

NAME_FORMS = "a letter, then letters, digits or _ (X, W1, x_2), or one Greek letter (λ)"


def is_name(text: str) -> bool:
    """Whether `text` is one name as the parser reads it."""
    return NAME.fullmatch(text) is not None


class Declarations(NamedTuple):
    """What a declaration says: the shapes, the names declared symmetric, and those declared
    to sum to one (probabilities, one-hot labels)."""

    shapes: dict[str, Shape]
    symmetric: frozenset[str]
    sum_to_one: frozenset[str]


def declarations(spec: object) -> Declarations:
    """The declared shapes and properties of a declaration as `diff` takes it: {"X": ("m",
    "n"), "x": "n", "lambda": "scalar", "S": "n,n,symmetric", "Y": "m,k,rows-sum-to-one"}. Names
    are stripped; a name declared twice, or anything else where a name or a shape goes, is
    refused."""
    if spec is None:
        return Declarations({}, frozenset(), frozenset())
    if not isinstance(spec, Mapping):
        raise MatcalcError(
            f'shapes map names to shapes, as {{"X": ("m", "n")}}, not {reprlib.repr(spec)}',
            ErrorKind.SHAPE,
        )
    declared: dict[str, Shape] = {}
    symmetric: set[str] = set()
    sum_to_one: set[str] = set()
    for key, found in spec.items():
        name = declared_name(key)
        if name in declared:
            raise MatcalcError(f"{name} is declared twice; declare each name once", ErrorKind.NAME)
        declared[name] = declared_shape(name, found)
        if is_symmetric(found):
            symmetric.add(name)
        if _parts(found)[-1:] in (["rows-sum-to-one"], ["sums-to-one"]):
            sum_to_one.add(name)
    return Declarations(declared, frozenset(symmetric), frozenset(sum_to_one))


def declared_name(key: object) -> str:
    """A declared name, stripped, if the parser reads it as one name."""
    if not isinstance(key, str):
        raise MatcalcError(
            f'a declared name is a string such as "X", not {reprlib.repr(key)}', ErrorKind.NAME
        )
    if not is_name(key.strip()):
        raise MatcalcError(
            f"{key!r} is not a name matcalc reads: a name is {NAME_FORMS}", ErrorKind.NAME
        )
    return key.strip()


def _parts(spec: object, name: str = "") -> list[int | str]:
    """The comma-separated or listed parts of a declaration; "scalar" has none."""
    parts: list[int | str]
    if isinstance(spec, str):
        parts = [part.strip() for part in spec.split(",")]
    elif isinstance(spec, tuple | list) and all(
        isinstance(part, int | str) and not isinstance(part, bool) for part in spec
    ):
        parts = [part.strip() if isinstance(part, str) else part for part in spec]
    else:
        where = f"{name}: " if name else ""
        raise MatcalcError(
            f"{where}a shape is written {SPEC_FORMS}, not {reprlib.repr(spec)}", ErrorKind.SHAPE
        )
    return [] if parts == ["scalar"] else parts


def is_symmetric(spec: Spec) -> bool:
    """Whether a declaration ends in "symmetric", as S=n,n,symmetric."""
    return _parts(spec)[-1:] == ["symmetric"]


def declared_shape(name: str, spec: Spec) -> Shape:
    """A declaration as a shape: ("m", "n") a matrix, ("n",) a column vector, () or "scalar";
    a symmetric matrix is square, and a scalar is symmetric too (its own transpose)."""
    parts = _parts(spec, name)
    if parts[-1:] == ["rows-sum-to-one"] and (len(parts) != 3 or str(parts[1]).strip() == "1"):
        raise MatcalcError(
            f"{name}: rows that sum to one are a matrix's, as in {name}=m,k,rows-sum-to-one; "
            f"a column whose entries sum to one is {name}=n,sums-to-one",
            ErrorKind.SHAPE,
        )
    if parts[-1:] == ["sums-to-one"] and len(parts) != 2:
        raise MatcalcError(
            f"{name}: entries that sum to one are a column's, as in {name}=n,sums-to-one; a "
            f"matrix whose rows sum to one is {name}=m,k,rows-sum-to-one",
            ErrorKind.SHAPE,
        )
    if parts[-1:] in (["rows-sum-to-one"], ["sums-to-one"]):
        parts = parts[:-1]
    if parts[-1:] == ["symmetric"]:
        parts = parts[:-1]
        if parts == ["scalar"]:
            parts = []
        elif len(parts) != 2 or parts[0] != parts[1]:
            raise MatcalcError(
                f"{name}: a symmetric matrix is square, as in {name}=n,n,symmetric",
                ErrorKind.SHAPE,
            )
    dims = [_dim(name, d) for d in parts]
    if len(dims) == 0:
        return SCALAR
    if len(dims) == 1:
        return (dims[0], 1)
    if len(dims) == 2:
        return (dims[0], dims[1])
    raise MatcalcError(
        f"{name}: a shape has at most two dimensions, got {len(dims)}", ErrorKind.SHAPE
    )


def _dim(name: str, value: int | str) -> Dim:
    if isinstance(value, str) and value.isdecimal():
        if len(value) > MAX_NUMBER_DIGITS:  # Python will not read past 4,300 digits
            raise MatcalcError(
                f"{name}: a dimension has at most {MAX_NUMBER_DIGITS} digits, not {len(value):,}",
                ErrorKind.SHAPE,
            )
        value = int(value)
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isidentifier() and value not in _WORDS:
        return value
    raise MatcalcError(
        f"{name}: a dimension is a positive integer or a name, not {value!r}", ErrorKind.SHAPE
    )


_WORDS = ("scalar", "symmetric")
"""Words of a declaration, which are not dimensions."""

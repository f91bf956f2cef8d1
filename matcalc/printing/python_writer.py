"""The lines of generated code that compute expressions, in array-API calls on `xp`: one
operation per line, and an operation met again on the same values reuses the variable of its
first line (value numbering), so each shared subexpression is computed once and the gradients
reuse the forward values, as reverse-mode differentiation does."""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import assert_never

from matcalc.definitions import Definition
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import (
    Add,
    Applied,
    Dim,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Kron,
    MatMul,
    Neg,
    Number,
    Ones,
    Pending,
    Power,
    Symbol,
    Trace,
    Transpose,
    as_node,
)
from matcalc.functions import FUNCTIONS, is_generic
from matcalc.operations import factors, is_product, operation_of
from matcalc.printing.ascii import to_ascii
from matcalc.shapes import Shapes, is_scalar
from matcalc.sharing import Binding


@dataclass(frozen=True, slots=True)
class Gradient:
    """df/d`wrt` = `result`, using the named values `where`, with the shapes of its symbols
    (each derivation names values of its own)."""

    wrt: Symbol
    result: Expr
    where: tuple[Binding, ...]
    shapes: Shapes
    direction: Symbol | None = None
    """For a Hessian-vector product ∇²f[V]: V, the argument of the function that computes it."""


def inline_temporaries(lines: list[str], temporaries: set[str]) -> list[str]:
    """The lines with each temporary used once written where it is used: shorter, and NumPy
    then works on its intermediate arrays in place instead of allocating new ones."""
    uses = Counter(word for line in lines for word in re.findall(_WORD, line.partition(" = ")[2]))
    once = {name for name in temporaries if uses[name] == 1}
    kept: list[str] = []
    codes: dict[str, str] = {}
    for line in lines:
        name, _, code = line.partition(" = ")
        code = re.sub(_WORD, lambda word: codes.pop(word[0], word[0]), code)
        if name in once:
            codes[name] = code if _atomic(code) else f"({code})"
        else:
            kept.append(f"{name} = {re.sub(_DOUBLED, _single, code)}")
    return kept


_DOUBLED = r"\(\(([^()]*)\)\)"
"""((a @ b)), as a parenthesised temporary makes it in a call: (a @ b) is the same."""


def _single(doubled: re.Match[str]) -> str:
    return f"({doubled[1]})"


_WORD = r"\b\w+\b"


def _atomic(code: str) -> bool:
    """Whether `code` needs no parentheses as an operand: a name, or one call."""
    code = re.sub(r"(\.\w+)+$", "", code)  # an attribute of a call, f(x).T, is one too
    if re.fullmatch(r"[\w.]+", code):
        return True
    if not re.match(r"[\w.]+\(", code) or not code.endswith(")"):
        return False
    depth = 0
    for index, char in enumerate(code):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char == ")":
            return index == len(code) - 1
    return False


def identifier(name: str) -> str:
    """A Python name in ASCII for a matcalc name, so that the code reads the same in any
    encoding: `g'` is g_prime, `λ` is lambda_ (its letter's name, `_` after a keyword), and a
    character ASCII lacks is `_`."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", to_ascii(name.replace("'", "_prime")))
    return f"{name}_" if keyword.iskeyword(name) else name


def is_column(shape: tuple[Dim, Dim]) -> bool:
    return shape[1] == 1 and shape[0] != 1


def _literal(value: Fraction) -> str:
    """The float nearest `value`, as Python reads it: a literal, or a division of integers."""
    try:
        exact = float(value)
    except OverflowError:
        digits = str(value)
        shown = digits if len(digits) <= 24 else f"{digits[:12]}… ({len(digits)} characters)"
        raise MatcalcError(
            f"the number {shown} is beyond the largest float, about 1.8e308", ErrorKind.VALUE
        ) from None
    if Fraction(exact) == value:
        return repr(exact)
    if value.denominator == 1:
        return f"{value.numerator}.0"
    return f"({value.numerator} / {value.denominator})"


class Writer:
    """The lines computing expressions, one operation per line, each operation once."""

    def __init__(
        self,
        shapes: Shapes,
        functions: Mapping[str, Definition],
        inputs: Sequence[str],
        generic: Sequence[str],
        function: str = "f_and_grad",
    ):
        self.shapes = self.objective_shapes = shapes
        self.functions = functions
        self.lines: list[str] = []
        self.numbered: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        """The other way round: the code of each variable."""
        self.taken = {"xp", "dtype", "f", "array_namespace", function}
        self.temporaries: set[str] = set()
        self.count = 0
        named = [*(("input", name) for name in inputs), *(("callable", name) for name in generic)]
        # names already Python's keep themselves, then ASCII ones (lambda is lambda_); a Greek
        # letter gives way to them: λ beside lambda is lambda__
        first = sorted(
            named, key=lambda found: (identifier(found[1]) != found[1], not found[1].isascii())
        )
        chosen = {found: self.fresh(identifier(found[1])) for found in first}
        self.inputs = {name: chosen["input", name] for name in inputs}
        self.callables = {name: chosen["callable", name] for name in generic}
        self.names = dict(self.inputs)
        self.closure: list[str] | None = None
        """The lines of the function of a direction being written, if one is."""
        self.bound: dict[str, Expr] = {}
        """The values of the derivation's names in scope, for what looks through them."""
        self.varying: set[str] = set()
        """The variables whose values depend on that function's argument."""

    def scope(self, gradient: Gradient | None, argument: str | None = None) -> None:
        """The names of one derivation's values, on top of the inputs (None: the inputs');
        `argument` is the variable holding the gradient's direction, in its closure."""
        self.names = dict(self.inputs)
        self.bound = {} if gradient is None else {b.name.name: b.value for b in gradient.where}
        self.shapes = self.objective_shapes if gradient is None else gradient.shapes
        if argument is not None and gradient is not None and gradient.direction is not None:
            self.names[gradient.direction.name] = argument
        for binding in gradient.where if gradient is not None else ():
            self.names[binding.name.name] = self.atom(binding.value, binding.name.name)

    def open_closure(self, argument: str) -> None:
        """From here on, a value computed from `argument` is written into the closure's lines,
        and any other value before the closure, computed once for every call."""
        self.closure, self.varying = [], {argument}

    def close_closure(self) -> list[str]:
        """The closure's lines; the values computed in it are not reused after it."""
        assert self.closure is not None
        lines, self.closure = self.closure, None
        for variable in self.varying:
            self.numbered.pop(self.codes.get(variable, ""), None)
        self.varying = set()
        return lines

    def fresh(self, wanted: str | None = None) -> str:
        """An unused Python name: `wanted` (with _ appended while taken), or a temporary."""
        if wanted is not None:
            while wanted in self.taken:
                wanted += "_"
            self.taken.add(wanted)
            return wanted
        while f"t{self.count}" in self.taken:
            self.count += 1
        self.taken.add(f"t{self.count}")
        self.temporaries.add(f"t{self.count}")
        return f"t{self.count}"

    def atom(self, expr: Expr, wanted: str | None = None, *, elementwise: bool = False) -> str:
        """A variable (or a number) holding the value of `expr`, written out if new."""
        match expr:
            case Symbol(name) if name in self.names:
                return self.names[name]
            case Symbol(name):  # a dimension's name, standing for its size
                return self._dim(name)
            case Number(value):
                return _literal(value)
        if isinstance(expr, Add):  # a - b rather than a + (-b)
            code = self._sum(expr.terms, elementwise)
        elif isinstance(expr, MatMul) and not elementwise:
            code = self._product(expr)
        elif isinstance(expr, Trace) and self._traceable(expr.arg):
            assert isinstance(expr.arg, MatMul)
            code = self._product(expr.arg, traced=True)
        elif (stable := self._log_sigmoid(expr, elementwise)) is not None:
            code = stable
        else:
            kids = [self.atom(kid, elementwise=elementwise) for kid in expr.children()]
            code = self._code(expr, kids, elementwise)
        return self.atom_of(code, wanted)

    def _sum(self, terms: tuple[Expr, ...], elementwise: bool) -> str:
        parts = [
            ("-", self.atom(term.arg, elementwise=elementwise))
            if isinstance(term, Neg)
            else ("+", self.atom(term, elementwise=elementwise))
            for term in terms
        ]
        first_sign, first = parts[0]
        code = f"-{first}" if first_sign == "-" else first
        return code + "".join(f" {sign} {value}" for sign, value in parts[1:])

    def _product(self, product: MatMul, *, traced: bool = False) -> str:
        """The matrices multiplied in order, then the scalars: scaling the (often smaller)
        result rather than a factor, and never a transposed copy of one. `traced`: the trace
        of the product, tr(P M) as the sum of P ⊙ M^T, without multiplying P by M."""
        factors: list[Expr] = []
        stack: list[Expr] = [product]
        while stack:
            node = stack.pop()
            if isinstance(node, MatMul) and (node is product or not self._scalar(node, False)):
                stack += [node.right, node.left]  # a 1×1 product inside is a scalar factor
            else:
                factors.append(node)
        scalars = [self.atom(f) for f in factors if self._scalar(f, False)]
        matrices = [self.atom(f) for f in factors if not self._scalar(f, False)]
        if self.closure is not None and not traced:
            matrices = self._hoisted(matrices)
        last = len(matrices) - 1 if traced else len(matrices)
        code = matrices[0] if matrices else ""
        for index, matrix in enumerate(matrices[1:last], 2):
            code = f"{code} @ {matrix}"
            if index < last or scalars or traced:  # one product a line, the last one's here
                code = self.atom_of(code)
        if traced:
            code = f"xp.tensordot({code}, {self._transposed(matrices[-1])}, axes=2)"
            code = self.atom_of(code) if scalars else code
        return " * ".join([*scalars, code] if code else scalars)

    def _log_sigmoid(self, expr: Expr, elementwise: bool) -> str | None:
        """log(sigmoid(u)) as -softplus(-u), and log(1 - sigmoid(u)) as -softplus(u), also where
        sigmoid(u) is a named value: finite and exact where sigmoid(u) itself rounds to 0 or 1
        (|u| of 40 and more)."""
        match expr:
            case Func("log", Add((Number(one), Neg(inner)))) if one == 1:
                sign, u = "", self._sigmoid_arg(inner)
            case Func("log", inner):
                sign, u = "-", self._sigmoid_arg(inner)
            case _:
                return None
        if u is None:
            return None
        value = self.atom(u, elementwise=elementwise)
        return f"-xp.logaddexp(xp.zeros_like({value}), {sign}{value})"

    def _sigmoid_arg(self, expr: Expr) -> Expr | None:
        """u, where `expr` is sigmoid(u) or a named value that is."""
        if isinstance(expr, Symbol):
            expr = self.bound.get(expr.name, expr)
        match expr:
            case Func("sigmoid", u):
                return u
        return None

    def _hoisted(self, matrices: list[str]) -> list[str]:
        """In a closure, each run of factors that do not depend on its argument multiplied
        once, before it: A^T A V B B^T as (A^T A) V (B B^T), two products a call, not four."""
        if all(self._varies(m) for m in matrices) or not any(map(self._varies, matrices)):
            return matrices
        grouped: list[str] = []
        for matrix in matrices:
            if grouped and not self._varies(matrix) and not self._varies(grouped[-1]):
                grouped[-1] = self.atom_of(f"{grouped[-1]} @ {matrix}")
            else:
                grouped.append(matrix)
        return grouped

    def _transposed(self, atom: str) -> str:
        """`atom.T`, or the name it is the transpose of."""
        code = self.codes.get(atom, "")
        return code.removesuffix(".T") if re.fullmatch(r"\w+\.T", code) else f"{atom}.T"

    def _traceable(self, arg: Expr) -> bool:
        """A product of two or more matrices (scalars aside)."""
        if not isinstance(arg, MatMul):
            return False
        return not (self._scalar(arg.left, False) or self._scalar(arg.right, False))

    def atom_of(self, code: str, wanted: str | None = None) -> str:
        """A variable holding the value of `code`, written out (as `wanted`) if new: the same
        code on the same variables is the same value."""
        if code not in self.numbered:
            variable = self.numbered[code] = self.fresh(wanted)
            self.codes[variable] = code
            if self.closure is not None and self._varies(code):
                self.varying.add(variable)
                self.closure.append(f"{variable} = {code}")
            else:
                self.lines.append(f"{variable} = {code}")
        return self.numbered[code]

    def _varies(self, code: str) -> bool:
        """Whether `code` reads the closure's argument or a value computed from it."""
        return not self.varying.isdisjoint(re.findall(_WORD, code))

    def _scalar(self, expr: Expr, elementwise: bool) -> bool:
        return elementwise or is_scalar(self.shapes.of(expr))

    def _dim(self, dim: Dim) -> str:
        if isinstance(dim, int):
            return str(dim)
        if is_product(dim):
            return " * ".join(map(self._dim, factors(dim)))
        for name, variable in self.inputs.items():
            if dim in self.shapes.symbols[name]:
                return f"{variable}.shape[{self.shapes.symbols[name].index(dim)}]"
        raise MatcalcError(
            f"the size {dim} is no input's size, so the generated code cannot tell it: declare "
            "a symbol the objective uses with that dimension",
            ErrorKind.SHAPE,
        )

    def _code(self, expr: Expr, kids: list[str], elementwise: bool) -> str:
        node = as_node(expr)
        match node:
            case Transpose(arg):
                return kids[0] if self._scalar(arg, elementwise) else f"{kids[0]}.T"
            case Neg():
                return f"-{kids[0]}"
            case MatMul():  # inside a user's formula, entry by entry (see _product)
                return f"{kids[0]} * {kids[1]}"
            case Div() | HadamardDiv():
                return f"{kids[0]} / {kids[1]}"
            case Hadamard():
                return f"{kids[0]} * {kids[1]}"
            case Kron(left, right) if self._scalar(left, elementwise) or self._scalar(
                right, elementwise
            ):
                return f"{kids[0]} * {kids[1]}"
            case Kron():
                return kron_code(*kids)
            case HadamardPow(_, exponent):
                return f"{kids[0]} ** {exponent}"
            case Power(base, Number(value)) if not self._scalar(base, elementwise):
                return f"xp.linalg.matrix_power({kids[0]}, {int(value)})"
            case Power():
                return f"{kids[0]} ** {kids[1]}"
            case Func(name, arg):
                return self._function(name, arg, kids[0])
            case FrobSq(arg) if self._scalar(arg, elementwise):
                return f"{kids[0]} * {kids[0]}"
            case FrobSq():  # the sum of the squares, as one dot product
                return f"xp.tensordot({kids[0]}, {kids[0]}, axes=2)"
            case Applied():
                first = node.children()[0]
                scalar = self._scalar(first, elementwise)
                column = not scalar and is_column(self.shapes.of(first))
                return operation_of(node).source(kids, scalar=scalar, column=column)
            case Ones(rows, cols):
                return f"xp.ones(({self._dim(rows)}, {self._dim(cols)}), dtype=dtype)"
            case Identity(n):
                return f"xp.eye({self._dim(n)}, dtype=dtype)"
            case Pending():
                raise MatcalcError(f"a pending derivative, {expr}, has no code", ErrorKind.VALUE)
            case Symbol() | Number() | Add():  # written by `atom`
                raise AssertionError(f"no code for {expr}")
            case _:
                assert_never(node)

    def _function(self, name: str, arg: Expr, value: str) -> str:
        if is_generic(name):
            return f"{self.callables[name]}({value})"
        if name in self.functions:  # the user's formula, entry by entry
            definition = self.functions[name]
            outer = self.names
            self.names = {**outer, definition.parameter: value}
            try:
                return self.atom(definition.body, elementwise=True)
            finally:
                self.names = outer
        return FUNCTIONS[name].source.format(value)


def kron_code(a: str, b: str) -> str:
    """A ⊗ B in array-API calls, which have no kron: entry (i k, j l) is a_ij b_kl, a 4-index
    product reshaped."""
    blocks = (
        f"xp.reshape({a}, ({a}.shape[0], 1, {a}.shape[1], 1)) "
        f"* xp.reshape({b}, (1, {b}.shape[0], 1, {b}.shape[1]))"
    )
    return f"xp.reshape({blocks}, ({a}.shape[0] * {b}.shape[0], {a}.shape[1] * {b}.shape[1]))"

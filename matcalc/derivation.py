"""What a derivation is: its steps, its result and how it was asked for, and every form in which
it shows itself (text, LaTeX, HTML, JSON, code), each drawn by a printer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from matcalc.definitions import Definition
from matcalc.expr import Expr, Symbol
from matcalc.limits import deep_recursion
from matcalc.notes import Note
from matcalc.operations import dim_product
from matcalc.rules import RULES_BY_NAME, Assumption, Rule
from matcalc.shapes import Shape, Shapes, show
from matcalc.sharing import Binding, needed
from matcalc.simplify import factored_form
from matcalc.traversal import symbol_names

LAYOUTS = ("denominator", "numerator")
"""The gradient's layout: the variable's shape (the seed's), or its transpose."""


@dataclass(frozen=True)
class Options:
    """How to differentiate: the layout of the result, whether a symmetric variable's gradient
    is symmetrised, how undeclared names are read, the user's functions, and the first tag."""

    layout: str = "denominator"
    symmetrise: bool = True
    convention: str = "seed"
    functions: tuple[Definition, ...] = ()
    first_tag: int = 1

    @property
    def definitions(self) -> dict[str, Definition]:
        return {found.name: found for found in self.functions}


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a derivation: the expression after applying `rule`, and why.

    `tag` is None for steps that only move signs or scalars, and for the final simplification.
    `function` is (H, G(H)) for the seed's "we've used the framework with G: H ↦ G(H)", and
    `wording` is that sentence with `{function}` in its place, for every printer to fill in,
    and `{block}` for the named value whose block the step is in.
    """

    tag: int | None
    rule: str
    expression: Expr
    wording: str
    function: tuple[Expr, Expr] | None = None
    letter: str = "G"
    assumption: Assumption | None = None
    block: Symbol | None = None
    """The named value whose derivative the step works out (matcalc/sharing.py); None: the
    variable's."""
    order: int = 1
    """2 for the steps of a second derivative that follow the gradient's."""

    @property
    def justification(self) -> str:
        return self.sentence(str, "{}: {} ↦ {}")

    def at_order(self, order: int) -> Step:
        """The same step, as one of the derivative of order `order`."""
        return Step(
            self.tag,
            self.rule,
            self.expression,
            self.wording,
            self.function,
            self.letter,
            self.assumption,
            self.block,
            order,
        )

    def __repr__(self) -> str:
        tag = f"({self.tag}) " if self.tag is not None else ""
        return f"<Step {tag}{self.rule}: {self.expression}>"

    def sentence(self, show: Callable[[Expr], str], form: str) -> str:
        """The wording with the function written by `form` from (letter, H, G(H)) in `show`,
        and the named value of the step's block where it says `{block}`."""
        wording = self.wording
        if self.block is not None:  # the name as the block is called now (names renumber)
            wording = wording.replace("{block}", str(self.block))
        if self.function is None:
            return wording
        h, p = self.function
        return wording.format(function=form.format(self.letter, show(h), show(p)))


@dataclass(frozen=True)
class Derivation:
    """The derivative of a scalar objective with respect to one variable, step by step."""

    objective: Expr
    wrt: Symbol
    shapes: Shapes
    steps: tuple[Step, ...]
    result: Expr
    layout: str = "denominator"
    citation: str | None = None
    """The known identity the result is, as "Matrix Cookbook eq. (101)"."""
    jacobian_of: Expr | None = None
    """For a column objective y: y itself; the derivation is of f = u^T y."""
    cotangent: Symbol | None = None
    """For a Jacobian, the column u in f = u^T y."""
    functions: Mapping[str, Definition] = field(default_factory=dict)
    """The user's functions the objective uses."""
    where: tuple[Binding, ...] = ()
    """The named values the steps and the result use, each after those its value uses."""
    notes: tuple[Note, ...] = ()
    """Readings that may surprise: `*` between matrices, a matrix power, a lookalike letter."""
    gradient: Derivation | None = None
    """For a second derivative: the gradient's derivation, whose steps come first in `steps`
    and whose names are this derivation's."""
    direction: Symbol | None = None
    """For a Hessian-vector product ∇²f[V], and for the Kronecker form read off it: V."""
    second_objective: Expr | None = None
    """For a second derivative: the scalar whose gradient it is, ⟨V, df/dX⟩ or u^T df/dx."""
    vectorised: bool = False
    """Whether the result is the Hessian of vec(X) (column-major), as Kronecker products."""

    @property
    def result_where(self) -> tuple[Binding, ...]:
        """The named values the result uses, directly or through another one."""
        return needed(self.result, self.where)

    @deep_recursion
    def factored(self) -> Expr:
        """The result with common factors pulled out, e.g. `2 (D R - X) R^T`."""
        return factored_form(self.result, self.shapes)

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        """Where the result holds, if not everywhere: each condition once, in step order."""
        found = (step.assumption for step in self.steps if step.assumption is not None)
        return tuple(dict.fromkeys(found))

    @property
    def symbol_shapes(self) -> tuple[tuple[str, Shape, tuple[str, ...]], ...]:
        """Each symbol of the objective (and the variable), its shape, and what it was declared
        to be ("symmetric", "rows sum to one", "sums to one"): what every output states, so
        that no reading stays hidden."""
        return self.shapes.table(dict.fromkeys([*symbol_names(self.objective), self.wrt.name]))

    @property
    def kind(self) -> str:
        """What the result is: a gradient, a Jacobian, a second derivative (of a scalar), a
        Hessian (of a column), a Hessian-vector product or a Hessian of vec(X)."""
        if self.gradient is None:
            return "gradient" if self.jacobian_of is None else "Jacobian"
        if self.vectorised:
            return "Hessian of vec"
        if self.direction is not None:
            return "Hessian-vector product"
        return "Hessian" if self.shapes.symbols[self.wrt.name] != (1, 1) else "second derivative"

    @property
    def shape(self) -> Shape:
        """The result's shape: the variable's own, or its transpose in numerator layout; a
        Hessian's is square, n×n for a column of n, mn×mn for vec of an m×n matrix."""
        rows, cols = self.shapes.symbols[self.wrt.name]
        if self.kind in ("Hessian", "second derivative"):
            return (rows, rows)
        if self.vectorised:
            side = dim_product(rows, cols)
            return (side, side)
        if self.cotangent is not None:
            rows, cols = rows, self.shapes.symbols[self.cotangent.name][0]
        return (cols, rows) if self.layout == "numerator" else (rows, cols)

    @property
    def result_name(self) -> str:
        """`df/dX`, `d(A exp(x))/dx` for a Jacobian, `d²f/dx²`, `∇²f[V]`, `d²f/dvec(X)²`."""
        name = self.wrt.name
        match self.kind:
            case "gradient":
                return f"df/d{name}"
            case "Jacobian":
                return f"d({self.jacobian_of})/d{name}"
            case "Hessian-vector product":
                return f"∇²f[{self.direction}]"
            case "Hessian of vec":
                return f"d²f/dvec({name})²"
        return f"d²f/d{name}²"

    @property
    def layout_sentence(self) -> str:
        """Which layout the result is in, or what a second derivative is, said in every output."""
        name, size = self.wrt.name, show(self.shape)
        match self.kind:
            case "second derivative":
                return f"d²f/d{name}² is the second derivative, a scalar"
            case "Hessian":
                return (
                    f"d²f/d{name}² is the Hessian, {size}: entry (i, j) is the second partial "
                    f"derivative by {name}_i and {name}_j"
                )
            case "Hessian-vector product":
                where = "its transpose (numerator layout)" if self.layout == "numerator" else ""
                shape = where or f"{name}'s shape"
                return (
                    f"{self.result_name} is the Hessian applied to {self.direction}, the "
                    f"derivative of df/d{name} in the direction {self.direction}; it has "
                    f"{shape}, {size}"
                )
            case "Hessian of vec":
                among = ""
                if self.direction is not None and self.direction.name in self.shapes.symmetric:
                    among = f" for symmetric V, as {name} is symmetric"
                return (
                    f"{self.result_name} is the Hessian of vec({name}), {size}, where vec "
                    f"stacks the columns of {name} (column-major): vec(∇²f[V]) is "
                    f"{self.result_name} vec(V){among}"
                )
        if self.jacobian_of is not None:
            per = "a row" if self.layout == "numerator" else "a column"
            return f"{self.result_name} is {size}, {per} per entry ({self.layout} layout)"
        if self.layout == "numerator":
            return (
                f"df/d{name} is {show(self.shape)}, the transpose of {name}'s shape "
                "(numerator layout)"
            )
        return f"df/d{name} has the shape of {name}, {show(self.shape)} (denominator layout)"

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules of the table the steps used, each once, in the order first used."""
        used = (RULES_BY_NAME.get(step.rule) for step in self.steps)
        return tuple(dict.fromkeys(rule for rule in used if rule is not None))

    @deep_recursion
    def text(self, *, proofs: bool = False) -> str:
        """The steps in plain text; `proofs` appends the index-notation proof of each rule used."""
        from matcalc.printing.text import derivation_text

        return derivation_text(self, proofs=proofs)

    @deep_recursion
    def latex(self, *, proofs: bool = False, standalone: bool = False) -> str:
        """An align* with a tag per step and the seed's sentences; `proofs` appends each rule's
        proof, `standalone` makes a complete LaTeX document."""
        from matcalc.printing.latex_derivation import derivation_latex, document

        body = derivation_latex(self, proofs=proofs)
        return document(body) if standalone else body

    def _repr_latex_(self) -> str:
        return self.latex()

    @deep_recursion
    def html(self) -> str:
        """The derivation as HTML with MathML, which every current browser typesets with no
        script: the steps, the sentences, each rule's proof folded (notebooks, the playground)."""
        from matcalc.printing.html import derivation_html

        return derivation_html(self)

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        """What a notebook shows: HTML with each rule's proof folded, LaTeX, and plain text."""
        return {
            "text/plain": self.text(),
            "text/latex": self.latex(),
            "text/html": self.html(),
        }

    @deep_recursion
    def to_python(self, name: str = "f_and_grad") -> str:
        """Python source of `name(inputs…)`, returning f and this gradient, in array-API calls
        (NumPy, and PyTorch, JAX, … arrays through array-api-compat)."""
        from matcalc.generate import python_function

        return python_function([self], name)

    def to_function(self, name: str = "f_and_grad") -> Callable[..., Any]:
        """`to_python()`'s function, ready to call: `f, grad = d.to_function()(X, D, R)`, its
        inputs in the order its source lists them (`__matcalc_source__`)."""
        from matcalc.generate import to_function

        return to_function([self], name)

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The result's value with the symbols bound in `env` (NumPy arrays, Python numbers):
        its named values, sizes and the user's functions are read as the derivation has them."""
        from matcalc.numeric import evaluate

        return evaluate(self, env)

    def to_sympy(self) -> Any:
        """The result as a SymPy matrix expression, its named values written out; a clear
        MatcalcError names what SymPy cannot represent."""
        from matcalc.sympy_forms import to_sympy

        return to_sympy(self.result, self.shapes, self.where)

    @deep_recursion
    def to_dict(self) -> dict[str, Any]:
        """The JSON form: expression, wrt, result (text and LaTeX), named values and steps."""
        from matcalc.printing.json import derivation_dict

        return derivation_dict(self)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Derivation {self.result_name} = {self.result}>"

"""The input notation: what this prints parses back to an equal expression."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, assert_never

from matcalc.expr import (
    Add,
    Applied,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    Identity,
    Inverse,
    Kron,
    MatMul,
    Neg,
    Norm,
    Number,
    Ones,
    Pending,
    Power,
    Symbol,
    Transpose,
    as_node,
)
from matcalc.operations import Placement, operation_of
from matcalc.printing import (
    HADAMARD,
    POSTFIX,
    PRODUCT,
    decimal,
    elementwise_needs_parentheses,
    kronecker_needs_parentheses,
    needs_parentheses,
    power_base_needs_parentheses,
    scientific,
    sum_parts,
)
from matcalc.rules.second_order import (
    HESSIAN,
    HESSIAN_VECTOR_PRODUCT,
    KRONECKER_FORM,
    SECOND_DERIVATIVE,
)
from matcalc.shapes import PLACEHOLDER, show

if TYPE_CHECKING:
    from collections.abc import Callable

    from matcalc.derivation import Derivation
    from matcalc.sharing import Binding


# the steps of a derivation share most of their subtrees: each is written out once
@lru_cache(maxsize=4096)
def text(expr: Expr) -> str:
    """`expr` in the seed's notation with Unicode operators, e.g. `2 X^T ((A - B) ⊙ C)`."""
    node = as_node(expr)
    match node:
        case Symbol(name):
            return name
        case Number(value):
            exact = scientific(value) or decimal(value)
            return exact if exact is not None else f"({value.numerator} / {value.denominator})"
        case Ones(rows, cols) if _placeholder(rows) and (cols == 1 or _placeholder(cols)):
            return "vector(1)" if cols == 1 else "matrix(1)"  # as written, sized where used
        case Ones(rows, cols):
            return f"ones({rows}, {cols})"
        case Identity(size) if _placeholder(size):
            return "I"
        case Identity(size):
            return f"eye({size})"
        case Transpose(Inverse(arg)):
            return f"{_at(arg, POSTFIX)}^{{-T}}"
        case Norm(arg, norm) if norm not in ("norm1", "norm2"):
            return f"||{text(arg)}||_{norm}"
        case Applied():
            operation = operation_of(node)
            place = operation.text.placement
            return operation.text.written(*(_placed(kid, place) for kid in node.children()))
        case Transpose(arg):
            wrap = needs_parentheses(arg, POSTFIX) or isinstance(arg, Pending)
            return f"{_group(arg, wrap)}^T"
        case Neg(arg):
            return "-" + _at(arg, HADAMARD)
        case Add(terms):
            return "".join(sign + _at(term, layer) for sign, term, layer in sum_parts(terms))
        case MatMul(left, right):
            return f"{_at(left, PRODUCT)} {_at(right, POSTFIX)}"
        case Div(num, den):
            return f"{_at(num, PRODUCT)} / {_at(den, POSTFIX)}"
        case Hadamard(left, right):
            return f"{_operand(left, True)} ⊙ {_operand(right, False)}"
        case HadamardDiv(left, right):
            return f"{_operand(left, True)} ⊘ {_operand(right, False)}"
        case Kron(left, right):
            return f"{_factor(left, True)} ⊗ {_factor(right, False)}"
        case HadamardPow(base, exponent):
            return f"{_at(base, POSTFIX)}^{{∘{exponent}}}"
        case Power(base, Number(value)) if value.denominator == 1 and value >= 0:
            return f"{_group(base, power_base_needs_parentheses(base))}^{value}"
        case Power(base, exponent):
            return f"{_group(base, power_base_needs_parentheses(base))}^{{{text(exponent)}}}"
        case Func(name, arg):
            return f"{name}({text(arg)})"
        case FrobSq(arg, norm):
            return f"||{text(arg)}||{'_' + norm if norm else ''}^2"
        case Pending(_, wrt, _, occurrence):
            mark = str(occurrence).translate(_SUBSCRIPTS) if occurrence else ""
            return f"df/d{_group(wrt, not isinstance(wrt, Symbol))}{mark}"
        case _:
            assert_never(node)


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _placed(expr: Expr, placement: Placement) -> str:
    """An operation's argument, parenthesised where its notation needs it."""
    match placement:
        case Placement.ENCLOSED:
            return text(expr)
        case Placement.POSTFIX:
            return _at(expr, POSTFIX)
        case Placement.PREFIX:
            return _group(expr, not isinstance(expr, Symbol))
        case _:
            assert_never(placement)


def _at(expr: Expr, least: int) -> str:
    return _group(expr, needs_parentheses(expr, least))


def _operand(expr: Expr, left: bool) -> str:
    return _group(expr, elementwise_needs_parentheses(expr, left=left))


def _factor(expr: Expr, left: bool) -> str:
    return _group(expr, kronecker_needs_parentheses(expr, left=left))


def _group(expr: Expr, wrap: bool) -> str:
    return f"({text(expr)})" if wrap else text(expr)


def derivation_text(derivation: Derivation, *, proofs: bool = False) -> str:
    """The numbered steps, each with its rule and justification, then the closed form; with
    `proofs`, the index-notation proof (in LaTeX) of each rule used."""
    head = f"df/d{derivation.wrt}"
    lines = [f"f = {text(derivation.objective)}", "", head]
    lines[1:1] = [f"where {found}" for found in derivation.functions.values()]
    lines[1:1] = [f"where {binding_text(b)}" for b in derivation.where]
    lines[1:1] = [f"note: {note.sentence(text)}" for note in derivation.notes]
    lines.insert(1, f"shapes: {shapes_text(derivation)}")
    if derivation.kind == "Jacobian":
        u = derivation.cotangent
        lines[0] += f", for any column {u}: its gradient is (the Jacobian's transpose) {u}"
    block, order = derivation.wrt, 1
    for step in derivation.steps:
        if step.order != order:
            order = step.order
            lines += ["", *second_order_head(derivation, text)]
        elif step.rule == KRONECKER_FORM.name:
            lines += ["", f"vec(∇²f[{derivation.direction}])"]
        elif (step.block or derivation.wrt) != block:
            block = step.block or derivation.wrt
            lines += ["", f"d(f₂)/d{block}" if order == 2 else f"df/d{block}"]
        tag = f"({step.tag})" if step.tag is not None else ""
        lines.append(f"  = {text(step.expression)}")
        lines.append(f"    {tag + ' ' if tag else ''}{step.rule}: {step.justification}")
    lines.append("")
    lines += [f"note: {assumption.sentence(text)}" for assumption in derivation.assumptions]
    lines.append(f"layout: {derivation.layout_sentence}")
    lines.append(f"{derivation.result_name} = {text(derivation.result)}")
    lines += [f"  where {binding_text(b)}" for b in derivation.result_where]
    for rule in derivation.rules if proofs else ():
        lines += ["", f"proof of {rule.name}:", *(f"  {line}" for line in rule.proof)]
    return "\n".join(lines)


def second_order_head(derivation: Derivation, show: Callable[[Expr], str]) -> list[str]:
    """Where the second part of a second derivative starts: the gradient found, then the scalar
    whose gradient the second derivative is, and the name of what the steps work out."""
    gradient, name = derivation.gradient, derivation.wrt
    assert gradient is not None and derivation.second_objective is not None
    inner = show(derivation.second_objective)
    rule = {"second derivative": SECOND_DERIVATIVE, "Hessian": HESSIAN}.get(
        derivation.kind, HESSIAN_VECTOR_PRODUCT
    )
    says = rule.wording.format(x=name, u=derivation.cotangent, v=derivation.direction, inner=inner)
    if rule is HESSIAN_VECTOR_PRODUCT:
        says += "; below, df/dH is the derivative of f₂"
    return [f"df/d{name} = {show(gradient.result)}", "", f"{says}", _head(derivation)]


def _head(derivation: Derivation) -> str:
    """What the second part's steps are equal to."""
    if derivation.kind == "Hessian":
        return f"d(f₂)/d{derivation.wrt}"
    if derivation.kind == "second derivative":
        return derivation.result_name
    return f"∇²f[{derivation.direction}]"


def shapes_text(derivation: Derivation) -> str:
    """`X m×n, D m×p, R p×n`: each symbol's shape, `scalar` for 1×1, and what it was declared
    to be (`symmetric`, `rows sum to one`)."""
    return ", ".join(
        " ".join([name, "scalar" if shape == (1, 1) else show(shape), *declared])
        for name, shape, declared in derivation.symbol_shapes
    )


def binding_text(binding: Binding) -> str:
    """`H1 = tanh(X W1)`, or for a derivative kept whole `G1 = df/dH1 = …`."""
    of = f"df/d{binding.derivative_of} = " if binding.derivative_of is not None else ""
    return f"{binding.name} = {of}{text(binding.value)}"


def _placeholder(dim: object) -> bool:
    """Whether `dim` is a size still to be inferred, which the input wrote without one."""
    return isinstance(dim, str) and dim.startswith(PLACEHOLDER)

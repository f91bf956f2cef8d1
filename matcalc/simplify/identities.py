"""Identities of elementwise products and quotients that shorten a closed form: the logistic
sigmoid written out through exp, `exp(u) ⊘ (1 + exp(u))` = sigmoid(u) and `1 ⊘ (1 + exp(u))`
= sigmoid(-u), as the derivative of log(1 + exp(u)) comes out of the chain rule; and a factor
both multiplied and divided by cancelled, as in (log σ)' = σ ⊙ (1 - σ) ⊘ σ = 1 - σ."""

from __future__ import annotations

from collections.abc import Callable

from matcalc.expr import ONE, Add, Expr, Func, Hadamard, HadamardDiv, Neg

Look = Callable[[Expr], Expr]
"""What a factor is: a name's value where the factor is a named value, else the factor."""


def sigmoid_form(expr: Expr, look: Look) -> Expr | None:
    """`expr`, an elementwise product or quotient, with each `1 + exp(u)` it divides by turned
    into sigmoid(u) with an `exp(u)` it multiplies by, or into sigmoid(-u) alone; None where it
    divides by no such sum."""
    above, below = _factors(expr)
    if not any(_exponent(factor, look) is not None for factor in below):
        return None
    kept_below = []
    for factor in below:
        u = _exponent(factor, look)
        if u is None:
            kept_below.append(factor)
            continue
        at = next((i for i, f in enumerate(above) if _is_exp(f, u, look)), None)
        if at is not None:
            above[at] = Func("sigmoid", u)
        else:
            above.append(Func("sigmoid", _negated(u)))
    top = _chain(above) if above else ONE
    return HadamardDiv(top, _chain(kept_below)) if kept_below else top


def cancelled(expr: Expr, ones: Expr) -> Expr | None:
    """`expr`, an elementwise product or quotient, with each factor it both multiplies and
    divides by left out (H ⊙ G ⊘ H = G where H has no zero entry); `ones` where nothing is left.
    None where no factor is on both sides."""
    above, below = _factors(expr)
    kept_below = []
    for factor in below:  # one copy above for each copy below: H ⊘ (H ⊙ H) keeps 1 ⊘ H
        if factor in above:
            above.remove(factor)
        else:
            kept_below.append(factor)
    if len(kept_below) == len(below):
        return None
    below = kept_below
    top = _chain(above) if above else ones
    return HadamardDiv(top, _chain(below)) if below else top


def divides(expr: Expr) -> bool:
    """Whether `expr` is an elementwise product or quotient that divides by something (a
    look down its chain of ⊙ and ⊘, which most products end without a ⊘)."""
    match expr:
        case HadamardDiv(left, right):
            return right != ONE or divides(left)
        case Hadamard(left, right):
            return divides(left) or divides(right)
    return False


def _factors(expr: Expr) -> tuple[list[Expr], list[Expr]]:
    """The factors an elementwise product multiplies by and divides by."""
    match expr:
        case Hadamard(left, right):
            a, b = _factors(left)
            c, d = _factors(right)
            return a + c, b + d
        case HadamardDiv(left, right):
            a, b = _factors(left)
            c, d = _factors(right)
            return a + d, b + c
    return ([] if expr == ONE else [expr]), []


def _exponent(factor: Expr, look: Look) -> Expr | None:
    """u, where `factor` is 1 + exp(u) or exp(u) + 1."""
    if not (isinstance(factor, Add) and len(factor.terms) == 2 and ONE in factor.terms):
        return None
    value = look(factor.terms[1] if factor.terms[0] == ONE else factor.terms[0])
    return value.arg if isinstance(value, Func) and value.name == "exp" else None


def _is_exp(factor: Expr, u: Expr, look: Look) -> bool:
    value = look(factor)
    return isinstance(value, Func) and value.name == "exp" and value.arg == u


def _negated(u: Expr) -> Expr:
    return u.arg if isinstance(u, Neg) else Neg(u)


def _chain(factors: list[Expr]) -> Expr:
    result = factors[0]
    for factor in factors[1:]:
        result = Hadamard(result, factor)
    return result

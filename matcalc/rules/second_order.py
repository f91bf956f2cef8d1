"""What second order adds to the rule table: not chain rules of operations (the second part of a
second derivative is worked out by the same entries as the gradient), but how a second
derivative is read as the gradient of a scalar, and how its result is rewritten."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SecondOrderRule:
    """A second-order reading or rewriting: its name, its statement in text and LaTeX, and the
    sentence that justifies the step that uses it."""

    name: str
    statement: str
    latex: str
    wording: str
    cites: str | None = None


HESSIAN_VECTOR_PRODUCT = SecondOrderRule(
    "Hessian-vector product",
    "∇²f[V] = d⟨V, df/dX⟩/dX, V held fixed",
    r"\nabla^2 f[V] = \frac{d\,\langle V, \frac{df}{dX}\rangle}{dX}",
    "with {v} held fixed, ∇²f[{v}] is the gradient of f₂ = {inner}",
)
HESSIAN = SecondOrderRule(
    "Hessian of a column",
    "d(u^T df/dx)/dx = (d²f/dx²) u for every column u",
    r"\frac{d\,(u^T \frac{df}{dx})}{dx} = \frac{d^2 f}{dx^2}\, u",
    "the Hessian is the Jacobian of df/d{x}: for any column {u}, the gradient of f₂ = {inner} "
    "is the Hessian times {u}",
)
SECOND_DERIVATIVE = SecondOrderRule(
    "second derivative",
    "d²f/dt² = d(df/dt)/dt",
    r"\frac{d^2 f}{dt^2} = \frac{d}{dt}\frac{df}{dt}",
    "its derivative by {x} again:",
)
KRONECKER_FORM = SecondOrderRule(
    "Kronecker form",
    "vec(A V B) = (B^T ⊗ A) vec(V)",
    r"\operatorname{vec}(A V B) = (B^T\otimes A)\operatorname{vec}(V)",
    "vec(A V B) = (B^T ⊗ A) vec(V) (Matrix Cookbook eq. (520)): each term of the line above, "
    "linear in V, is a Kronecker product times vec(V), with vec stacking columns; the terms "
    "with the same right factor share one Kronecker product, and the matrix that multiplies "
    "vec(V) is the Hessian of vec(X)",
    "520",
)
THROUGH_GRADIENT = SecondOrderRule(
    "through the gradient",
    "c s a = p where p = df/dx = c s a (c a number, s scalars, a one factor)",
    r"c\, s\, a = p \text{ where } p = \frac{df}{dx} = c\, s\, a",
    "we've written the result through the gradient's value, where a term holds its factor with "
    "the gradient's scalars to spare",
)

SECOND_ORDER = (
    SECOND_DERIVATIVE,
    HESSIAN,
    HESSIAN_VECTOR_PRODUCT,
    KRONECKER_FORM,
    THROUGH_GRADIENT,
)
"""Second order's readings and rewritings, in the order a derivation uses them."""

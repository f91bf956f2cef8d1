"""Numerical check of a derived gradient: central differences in a random direction.

For a random direction U, ⟨df/dX, U⟩ must equal (f(X + εU) − f(X − εU)) / 2ε, in float64, with
the symbolic dimensions given distinct sizes (3, 4, 5, …) so that no mix-up of dimensions hides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from matcalc.derive import Derivation
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.evaluate import evaluate
from matcalc.functions import is_generic


def random_env(
    derivation: Derivation, *, seed: int = 0, low: float = -1.0, high: float = 1.0
) -> dict[str, Any]:
    """Random values for every symbol (distinct sizes per dimension) and sin/cos for any g, g'."""
    rng = np.random.default_rng(seed)
    sizes: dict[int | str, int] = {}
    env: dict[str, Any] = {}
    for name, shape in derivation.shapes.symbols.items():
        dims = [d if isinstance(d, int) else sizes.setdefault(d, 3 + len(sizes)) for d in shape]
        env[name] = rng.uniform(low, high, size=dims)
    for name in _generic_functions(derivation):
        env[name], env[name + "'"] = np.sin, np.cos
    return env


def _generic_functions(derivation: Derivation) -> set[str]:
    found: set[str] = set()
    stack = [derivation.objective]
    while stack:
        node = stack.pop()
        name = getattr(node, "name", None)
        if isinstance(name, str) and type(node).__name__ == "Func" and is_generic(name):
            found.add(name.rstrip("'"))
        stack.extend(node.children())
    return found


def gradcheck(
    derivation: Derivation,
    env: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    epsilon: float = 1e-6,
) -> float:
    """The relative error between the derived gradient and central differences."""
    env = dict(env) if env is not None else random_env(derivation, seed=seed)
    name = derivation.wrt.name
    x = np.asarray(env[name], dtype=np.float64)
    gradient = np.asarray(evaluate(derivation.result, env, shapes=derivation.shapes.symbols))
    gradient = np.broadcast_to(gradient, x.shape) if gradient.size == 1 else gradient
    if gradient.shape != x.shape:
        raise MatcalcError(
            f"the gradient has shape {gradient.shape} but {name} has {x.shape}", ErrorKind.SHAPE
        )
    direction = np.random.default_rng(seed + 1).normal(size=x.shape)

    def f(point: Any) -> float:
        return float(evaluate(derivation.objective, {**env, name: point}))

    numeric = (f(x + epsilon * direction) - f(x - epsilon * direction)) / (2 * epsilon)
    analytic = float(np.sum(gradient * direction))
    return abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-8)

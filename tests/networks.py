"""The L-layer network objective that the tests of named values, of generated code and the
speed benchmark share; it needs nothing but the standard library."""

from __future__ import annotations


def network(layers: int) -> str:
    """||tanh(… tanh(tanh(X W1) W2) … WL) - Y||_F^2"""
    inner = "X W1"
    for k in range(2, layers + 1):
        inner = f"tanh({inner}) W{k}"
    return f"||tanh({inner}) - Y||_F^2"

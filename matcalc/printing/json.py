"""The JSON form of a derivation: every expression in text and in LaTeX."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matcalc.printing.latex import latex
from matcalc.printing.latex_derivation import result_name_latex
from matcalc.printing.text import text

if TYPE_CHECKING:
    from matcalc.derivation import Derivation
    from matcalc.sharing import Binding


def derivation_dict(derivation: Derivation) -> dict[str, Any]:
    """expression, wrt, shape, shapes (each symbol's), notes, layout, the result's name and the
    result, citation, assumptions, where (the named values the result uses), names (those the
    steps use) and the steps; for a second derivative also what it is (`second_order`), each
    step's order."""
    steps: list[dict[str, Any]] = [
        {
            "tag": step.tag,
            "rule": step.rule,
            "expression": text(step.expression),
            "latex": latex(step.expression),
            "justification": step.justification,
        }
        for step in derivation.steps
    ]
    found = {
        "expression": text(derivation.objective),
        "wrt": derivation.wrt.name,
        "shape": "×".join(map(str, derivation.shape)),
        "shapes": {
            name: {
                "rows": rows,
                "cols": cols,
                "symmetric": "symmetric" in declared,
                "sums_to_one": any("one" in said for said in declared),
            }
            for name, (rows, cols), declared in derivation.symbol_shapes
        },
        "notes": [note.sentence(text) for note in derivation.notes],
        "layout": derivation.layout,
        "result_name": derivation.result_name,
        "result": text(derivation.result),
        "citation": derivation.citation,
        "result_latex": latex(derivation.result),
        "assumptions": [assumption.sentence(text) for assumption in derivation.assumptions],
        "where": [_binding(b) for b in derivation.result_where],
        "names": [_binding(b) for b in derivation.where],
        "steps": steps,
    }
    if derivation.gradient is not None:
        found |= _second_order(derivation)
        for step, shown in zip(derivation.steps, steps, strict=True):
            shown["order"] = step.order
    return found


def _second_order(derivation: Derivation) -> dict[str, Any]:
    """order 2, the kind (second derivative, Hessian, Hessian-vector product, Hessian of vec),
    the result's name, the direction, the gradient and the scalar whose gradient the second
    part works out."""
    gradient, inner = derivation.gradient, derivation.second_objective
    assert gradient is not None and inner is not None
    direction = derivation.direction
    return {
        "order": 2,
        "kind": derivation.kind,
        "result_name_latex": result_name_latex(derivation),
        "direction": direction.name if direction is not None else None,
        "gradient": {"result": text(gradient.result), "result_latex": latex(gradient.result)},
        "second_objective": text(inner),
        "second_objective_latex": latex(inner),
        "layout_sentence": derivation.layout_sentence,
    }


def _binding(binding: Binding) -> dict[str, str]:
    found = {"name": binding.name.name, "value": text(binding.value), "latex": latex(binding.value)}
    if binding.derivative_of is not None:
        found["derivative_of"] = binding.derivative_of.name
    return found

"""What `matcalc diff --check` (and `hessian --check`) measures and says: the result against
central differences (of f, or for a second derivative of the gradient) on random inputs, or
why no measure could be made. Only the public API is used here, as in cli.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import matcalc

TOLERANCE = 1e-6
"""The largest relative error (on the scale of f: `matcalc.gradcheck`) that `--check` accepts."""

NOT_REAL = "the objective is not real at the sampled inputs"
"""Why a check that found no number (nan) could not be made."""


@dataclass(frozen=True)
class Check:
    """What --check found: the relative error of the result against central differences, and
    the interval the random inputs were drawn from; or, with no error to give (nan), why not."""

    relative_error: float
    inputs: str
    reason: str | None = None
    differenced: str = "f"
    """What the central differences are of: f, or for a second derivative the gradient."""

    @property
    def agrees(self) -> bool:
        return self.relative_error < TOLERANCE

    @property
    def unchecked(self) -> str | None:
        """Why no relative error could be measured, if none could."""
        if self.reason is not None or math.isfinite(self.relative_error):
            return self.reason
        return NOT_REAL

    def sentence(self) -> str:
        where = f"(random inputs in {self.inputs}, float64)"
        if self.unchecked is not None:
            return f"check: not checked: {self.unchecked} {where}"
        verdict = "agrees" if self.agrees else "DISAGREES"
        return (
            f"check: {verdict} with central differences{self._of}, relative error "
            f"{self.relative_error:.1e} {where}"
        )

    @property
    def _of(self) -> str:
        return "" if self.differenced == "f" else f" of {self.differenced}"

    def to_dict(self) -> dict[str, Any]:
        error = self.relative_error if math.isfinite(self.relative_error) else None
        return {
            "relative_error": error,
            "agrees": self.agrees,
            "tolerance": TOLERANCE,
            "inputs": self.inputs,
            "reason": self.unchecked,
            "differences_of": self.differenced,
        }


def check(derivation: matcalc.Derivation) -> Check:
    """The result against central differences, on random inputs with distinct sizes (3, 4, 5,
    …), in float64; inputs in [0.5, 1.5] where [-1, 1] leave the domain (log, sqrt). A
    disagreement measured on [-1, 1] is kept where [0.5, 1.5] gives no measure."""
    import numpy as np

    with np.errstate(all="ignore"):
        found = _measured(derivation, "[-1, 1]", positive=False)
        if not found.agrees:
            again = _measured(derivation, "[0.5, 1.5]", positive=True)
            if again.unchecked is None or found.unchecked is not None:
                found = again
    return found


def _measured(derivation: matcalc.Derivation, inputs: str, *, positive: bool) -> Check:
    """One gradcheck; a value error it raises (f not real there) is the check's verdict."""
    try:
        of = "f" if derivation.gradient is None else "the gradient"
        return Check(matcalc.gradcheck(derivation, positive=positive), inputs, differenced=of)
    except matcalc.MatcalcError as error:
        if error.kind is not matcalc.ErrorKind.VALUE:
            raise
        return Check(math.nan, inputs, error.message)

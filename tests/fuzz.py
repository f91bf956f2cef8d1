"""Hostile input made from valid objectives: tokens deleted, doubled, swapped or replaced; and
random strings over the notation's characters. Used by tests/test_limits.py and benchmarks/."""

from __future__ import annotations

import random
import re

from cases import DERIVATIVES

VALID = sorted({case.expression for _, case in DERIVATIVES})
NOISE = "XWYDRaxg()|_^T'⊙⊘*.+-/ 0123456789,\\{}∘F‖λ√\n"


def tokens(text: str) -> list[str]:
    return re.findall(r"\|\||\^\{∘\d\}|\^T|_F\^2|[A-Za-z_][A-Za-z0-9_]*'?|\d+|\S", text)


PIECES = sorted({t for text in VALID for t in tokens(text)})


def mutate(text: str, rng: random.Random) -> str:
    """`text` with one to three tokens deleted, doubled, swapped or replaced."""
    parts = tokens(text)
    for _ in range(rng.randint(1, 3)):
        i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
        match rng.choice(["delete", "double", "swap", "replace"]):
            case "delete" if len(parts) > 1:
                del parts[i]
            case "double":
                parts.insert(i, parts[i])
            case "swap":
                parts[i], parts[j] = parts[j], parts[i]
            case "replace":
                parts[i] = rng.choice(PIECES)
    return " ".join(parts)


def noise(rng: random.Random, longest: int = 40) -> str:
    return "".join(rng.choice(NOISE) for _ in range(rng.randint(0, longest)))

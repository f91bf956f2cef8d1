"""The named rewrites of a closed form, in the order the simplification step lists them, and
that step's sentence: "we've expanded products and collected 2 like terms"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from matcalc.limits import MAX_TERMS


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One kind of simplification: its `name`, the `phrase` that says it after "we've" (`{count}`
    is how many terms it took), and the `law` it uses."""

    name: str
    phrase: str
    law: str


REWRITES = (
    Rewrite("expand", "expanded products", "A (B + C) = A B + A C"),
    Rewrite("drop brackets", "dropped brackets around products", "A (B C) = A B C"),
    Rewrite("push transposes", "pushed transposes onto the symbols", "(A B)^T = B^T A^T"),
    Rewrite(
        "invert products",
        "inverted products factor by factor",
        "(c A B)^{-1} = B^{-1} A^{-1} / c, (A^T)^{-1} = A^{-T}, (A^{-1})^{-1} = A",
    ),
    Rewrite("turn traces", "turned a trace cyclically", "tr(A B C) = tr(C A B)"),
    Rewrite("cancel inverses", "cancelled matrices against their inverses", "A A^{-1} = I"),
    Rewrite(
        "drop transposes",
        "dropped transposes inside traces or determinants",
        "tr(A^T) = tr(A), det(A^T) = det(A), logdet(A^T) = logdet(A)",
    ),
    Rewrite(
        "inverse determinants",
        "written determinants of inverses through the matrices themselves",
        "det(A^{-1}) = 1 / det(A), logdet(A^{-1}) = -logdet(A)",
    ),
    Rewrite(
        "Kronecker products",
        "multiplied Kronecker products factor by factor",
        "(A ⊗ B)(C ⊗ D) = A C ⊗ B D, (A ⊗ B) ⊙ (C ⊗ D) = (A ⊙ C) ⊗ (B ⊙ D), c ⊗ A = c A, "
        "(ones(1, n) ⊗ I) diag(vec(M)) (I ⊗ ones(m, 1)) = M",
    ),
    Rewrite(
        "sums",
        "written products with all-ones vectors as sums",
        "ones(1, m) M ones(n, 1) = sum(M), ones(1, m) x = sum(x), tr(eye(n)) = n",
    ),
    Rewrite("traces", "written sums of the diagonal as traces", "sum(I ⊙ M) = tr(M)"),
    Rewrite(
        "inner products",
        "written sums of products of vectors as inner products",
        "sum(a ⊙ b) = a^T b",
    ),
    Rewrite(
        "scalar operations",
        "written elementwise operations with scalars as ordinary ones",
        "c ⊙ A = c A, A ⊘ c = A / c, c^{∘2} = c^2",
    ),
    Rewrite(
        "sigmoid",
        "written the logistic function through exp as sigmoid",
        "exp(u) ⊘ (1 + exp(u)) = sigmoid(u), 1 ⊘ (1 + exp(u)) = sigmoid(-u)",
    ),
    Rewrite(
        "sums to one",
        "used that a softmax (or what is declared so) sums to one",
        "sum(softmax(x)) = 1, sum_cols(softmax(X)) = ones(m, 1), sum_cols(Y) = ones(m, 1) for "
        "Y=m,k,rows-sum-to-one",
    ),
    Rewrite(
        "normalised",
        "used that the rows of a layernorm (a column's entries) have mean 0 and variance 1",
        "sum(layernorm(X)) = 0, sum_cols(layernorm(X)) = 0, layernorm(x)^T layernorm(x) = n",
    ),
    Rewrite(
        "cancel quotients",
        "cancelled factors that an elementwise product both multiplies and divides by (where "
        "their entries are nonzero)",
        "H ⊙ G ⊘ H = G",
    ),
    Rewrite("scalars first", "moved scalars to the front", "A (c B) = c A B, c ⊙ A = c A"),
    Rewrite("sort scalars", "sorted the scalar factors", "b a = a b"),
    Rewrite("fold numbers", "multiplied numbers together", "2 (3 A) / 4 = 3 A / 2"),
    Rewrite("collect powers", "combined powers", "s^2 s = s^3, A A = A^2"),
    Rewrite(
        "absorb identities",
        "absorbed identity factors",
        "1 A = I A = A, ones(m, n) ⊙ A = A, diag(I) = ones(n, 1)",
    ),
    Rewrite("drop zeros", "dropped zeros", "0 ⊙ A = 0, A + 0 = A"),
    Rewrite("collect terms", "collected {count} like terms", "A + 2 A = 3 A"),
    Rewrite(
        "products of sums",
        "written terms that multiply out a product of sums as that product",
        "x x^T - x u^T - u x^T + u u^T = (x - u)(x - u)^T",
    ),
)
"""Every rewrite the closed form makes, in the order a sentence lists them."""

REWRITE_NAMES = frozenset(rewrite.name for rewrite in REWRITES)


def sentence(applied: Mapping[str, int], expanded: bool = True) -> str:
    """What the simplification did, in the seed's voice: the `applied` rewrites (name to how
    many times) in table order; past MAX_TERMS terms, that sums were kept whole."""
    if not expanded:
        return (
            f"expanding the products would give more than {MAX_TERMS} terms, so the sums inside "
            "them are kept whole; we've collected terms and pulled out common factors"
        )
    phrases = [r.phrase.format(count=applied[r.name]) for r in REWRITES if applied.get(r.name)]
    if not phrases:
        return "we've written it in closed form"
    *rest, last = phrases
    return "we've " + (f"{', '.join(rest)} and {last}" if rest else last)

"""The notation at a glance: each operator in the seed's notation, its ASCII spelling and the
others the parser reads, the functions, precedence, shapes and conventions, as `matcalc
notation` prints it (and a page can show it)."""

from __future__ import annotations

import textwrap

from matcalc.functions import FUNCTIONS
from matcalc.printing.ascii import to_ascii

NOTATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (what, the seed's notation, other spellings the parser reads)
    ("matrix product", "X W", ("X*W", "X @ W", "X·W", r"X \cdot W")),
    ("transpose", "W^T", ("W'", "Wᵀ", r"W^\top", "W^{T}")),
    ("elementwise product", "X ⊙ C", ("X .* C", r"X \odot C")),
    ("elementwise division", "X ⊘ C", ("X ./ C", r"X \oslash C")),
    ("elementwise power", "X^{∘2}", ("X.^2",)),
    ("sum, difference, negation", "X + C - D", ()),
    ("scalar multiple and division", "2 lambda X / 3", ()),
    ("power of a square matrix", "X^3", ()),
    ("power of a scalar", "s^{1/2}", ("s^(1/2)",)),
    ("inverse", "X^{-1}", ("inv(X)", "X^-1")),
    ("inverse transpose", "X^{-T}", ()),
    ("squared norm (F: Frobenius)", "||G||_F^2", ("‖G‖_F^2", r"\Vert G \Vert_F^2")),
    ("Euclidean norm of a vector", "||x||_2", ("‖x‖_2", r"\Vert x \Vert_2")),
    ("1-norm of a vector", "||x||_1", ("‖x‖_1",)),
    ("entrywise norms", "norm2(G) + norm1(G)", ()),
    ("sum of entries", "sum(G)", (r"\sum G",)),
    ("trace, determinant", "tr(X) + det(X)", ()),
    ("log of |det|", "logdet(X)", ()),
    ("identity, all ones", "eye(n) + ones(n, n)", ()),
    ("diagonal matrix of a vector", "diag(x)", ()),
    ("Kronecker product", "A ⊗ B", (r"A \otimes B", "kron(A, B)")),
    ("columns stacked (column-major)", "vec(X)", ()),
    ("softmax (each row of a matrix)", "softmax(Z) + log_softmax(Z)", ()),
    ("log-sum-exp (each row's)", "logsumexp(Z)", ()),
    ("cross-entropy: logits, targets", "cross_entropy(Z, Y)", ()),
    ("mean of all entries", "mean(X)", ()),
    ("layer norm (each row's)", "layernorm(Z)", ()),
    ("quadratic form", "a^T G a", ("a'*G*a",)),
    ("broadcast a row, a column", "C + x^T + y", ()),
)
"""The notation summary's operators; `matcalc notation` adds each one's ASCII spelling."""

NOTATION_NOTES = """\
Functions, applied to each entry:
{functions};
a single letter g(X), h(X) is any smooth function, whose derivative prints as g';
--define "phi(x) = log(1 + exp(x))" adds one of your own.

Precedence, loosest first: + -, unary -, ⊙ ⊘, ⊗, products (juxtaposition, / c), postfix
(^T, ^{{∘k}}, ^k). A lower-case name directly followed by ( is a call: g(X); x (A x) is a product.

Shapes: upper-case names are matrices, lower-case names column vectors, Greek names
(lambda, α) scalars; dimensions are symbolic and inferred. Declare others with
--shape X=m,n (a matrix), x=n (a column), b=1,n (a row), lambda=scalar, S=n,n,symmetric,
Y=m,k,rows-sum-to-one (probabilities or one-hot labels in each row; y=n,sums-to-one for a
column), once per name. --convention matrixcalculus reads a-g as scalars, h-z as vectors,
A-Z as matrices. A declared dimension's name that is no symbol stands for its size:
with --shape X=m,n, sum((X w - y)^{{∘2}}) / m is the mean squared error.

Conventions: df/dX has the shape of X (denominator layout); --layout numerator gives its
transpose. A column objective y gets its Jacobian. A variable used several times gets the sum
over its uses. matcalc hessian gives second derivatives: a column's Hessian, ∇²f[V] with
--direction V, or a matrix's Hessian of vec(X) as Kronecker products.
--latex reads the objective as LaTeX (\\|X\\|_F^2, \\operatorname{{tr}}, \\frac)."""


def notation_summary() -> str:
    """The notation summary: each operator in the seed's notation, in ASCII, and otherwise;
    functions, precedence, shapes and conventions."""
    lines = ["Notation: the seed's form, its ASCII spelling where it differs, other spellings"]
    for what, seed, others in NOTATION:
        spellings = dict.fromkeys([seed, to_ascii(seed), *others])
        lines.append(f"  {what:30} " + ", ".join(spellings))
    functions = textwrap.fill(", ".join(FUNCTIONS), 90, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines) + "\n\n" + NOTATION_NOTES.format(functions=functions)

"""The rules of the mean and of layer norm. Both divide by a number of entries, written as the
dimensions' names (a dimension's name stands for its size: 1 / (m n) for an m×n mean). Layer
norm's rule is the textbook's: (df/dG - mean(df/dG) - G ⊙ mean(df/dG ⊙ G)) / σ along each row,
G the normalised rows and σ their standard deviations."""

from __future__ import annotations

from matcalc.expr import (
    Add,
    Diag,
    Div,
    Expr,
    Func,
    Hadamard,
    HadamardPow,
    Inverse,
    LayerNorm,
    MatMul,
    Mean,
    Neg,
    Ones,
    Sum,
    SumCols,
    Symbol,
    Transpose,
)
from matcalc.rules.rule import Assumption, Kind, Rule, Site, times
from matcalc.shapes import Shapes, count

x, X = Symbol("x"), Symbol("X")
"""The examples' inputs: a column, and a matrix with a sample in each row."""


def _column(site: Site) -> bool:
    return site.shapes.of(site.child)[1] == 1


def _rows(site: Site) -> bool:
    return not _column(site)


def _mean_derivative(site: Site) -> Expr:
    """ones(m, n) / (m n): each entry counts once in the mean."""
    shape = site.shapes.of(site.child)
    return Div(Ones(*shape), count(shape, site.shapes.symbols))


def _minus(*terms: Expr) -> Add:
    return Add((terms[0], *(Neg(t) for t in terms[1:])))


def centred(arg: Expr, shapes: Shapes) -> Expr:
    """`arg` less the mean of its entries (a column) or of each row, broadcast along it."""
    rows, cols = shapes.of(arg)
    if cols == 1:
        return _minus(arg, Div(Sum(arg), count([rows], shapes.symbols)))
    return _minus(arg, Div(SumCols(arg), count([cols], shapes.symbols)))


def deviation(arg: Expr, shapes: Shapes) -> Expr:
    """σ: the standard deviation of a column's entries (a scalar), or of each row (a column)."""
    rows, cols = shapes.of(arg)
    squares = HadamardPow(centred(arg, shapes), 2)
    if cols == 1:
        return Func("sqrt", Div(Sum(squares), count([rows], shapes.symbols)))
    return Func("sqrt", Div(SumCols(squares), count([cols], shapes.symbols)))


def _normalised_column(site: Site, d_g: Expr) -> Expr:
    """(df/dG - ones sum(df/dG) / n - y y^T df/dG / n) / σ, y = layernorm(x): a matrix times
    df/dG, so that a Jacobian reads (I - 1 1^T / n - y y^T / n) / σ."""
    y = site.node
    n = count([site.shapes.of(y)[0]], site.shapes.symbols)
    ones = Ones(site.shapes.of(y)[0], 1)
    spread = Div(MatMul(ones, MatMul(Transpose(ones), d_g)), n)
    along = Div(MatMul(y, MatMul(Transpose(y), d_g)), n)
    return Div(_minus(d_g, spread, along), deviation(site.child, site.shapes))


def _normalised_rows(site: Site, d_g: Expr) -> Expr:
    """diag(σ)^{-1} (df/dG - sum_cols(df/dG) / k - diag(sum_cols(df/dG ⊙ G)) G / k), G the
    normalised rows: each row's mean of df/dG, and of df/dG ⊙ G along G, taken away."""
    g = site.node
    k = count([site.shapes.of(g)[1]], site.shapes.symbols)
    spread = Div(SumCols(d_g), k)
    along = Div(MatMul(Diag(SumCols(Hadamard(d_g, g))), g), k)
    return MatMul(Inverse(Diag(deviation(site.child, site.shapes))), _minus(d_g, spread, along))


def _spread_out(site: Site) -> Assumption:
    return Assumption(
        "layernorm needs the entries of each row of {} (of a column: all its entries) not all "
        "equal",
        site.child,
    )


NORMALIZATION: tuple[Rule, ...] = (
    Rule(
        "mean",
        Mean,
        Kind.MATRIX_TO_SCALAR,
        times(_mean_derivative),
        example=Mean(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\frac{df}{dG}\cdot\frac{d}{dX_{i,j}}"
            r"\frac{1}{mn}\sum_{k,\ell}X_{k,\ell}=\frac{df}{dG}\cdot\frac{1}{mn}",
            r"\implies\frac{df}{dX}&=\frac{df}{dG}\,\frac{\mathbf{1}_{m\times n}}{mn}",
        ),
        remark="m and n stand for the sizes of X's dimensions",
    ),
    Rule(
        "layer norm of a vector",
        LayerNorm,
        Kind.MATRIX_TO_MATRIX,
        _normalised_column,
        example=LayerNorm(x),
        proof=(
            r"G_k&=\frac{x_k-\mu}{\sigma},\quad\frac{d\mu}{dx_i}=\frac1n,\quad"
            r"\frac{d\sigma}{dx_i}=\frac{x_i-\mu}{n\sigma}=\frac{G_i}{n}",
            r"\frac{dG_k}{dx_i}&=\frac{1_{k=i}-\frac1n}{\sigma}-\frac{G_k G_i}{n\sigma}",
            r"\implies\frac{df}{dx}&=\frac{1}{\sigma}\Big(\frac{df}{dG}-\frac{\vec 1\vec 1^T}{n}"
            r"\frac{df}{dG}-\frac{G\,G^T}{n}\frac{df}{dG}\Big)",
        ),
        input=x,
        when=_column,
        assumes=_spread_out,
        remark="σ is the standard deviation of the entries of x",
    ),
    Rule(
        "layer norm along rows",
        LayerNorm,
        Kind.MATRIX_TO_MATRIX,
        _normalised_rows,
        example=LayerNorm(X),
        proof=(
            r"G_{r,\ell}&=\frac{X_{r,\ell}-\mu_r}{\sigma_r},\quad\text{each row }r\text{ as a "
            r"vector of }k\text{ entries}",
            r"\frac{df}{dX_{r,j}}&=\frac{1}{\sigma_r}\Big(\frac{df}{dG_{r,j}}-\frac1k\sum_\ell"
            r"\frac{df}{dG_{r,\ell}}-\frac{G_{r,j}}{k}\sum_\ell\frac{df}{dG_{r,\ell}}G_{r,\ell}"
            r"\Big)",
            r"\implies\frac{df}{dX}&=\operatorname{diag}(\sigma)^{-1}\Big(\frac{df}{dG}-"
            r"\frac{1}{k}\frac{df}{dG}\vec 1\vec 1^T-\frac1k\operatorname{diag}\Big(\Big("
            r"\frac{df}{dG}\odot G\Big)\vec 1\Big)G\Big)",
        ),
        when=_rows,
        assumes=_spread_out,
        remark="σ holds the standard deviation of each row of X, of k entries",
    ),
)

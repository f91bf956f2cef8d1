"""The rules of the softmax family: softmax, log_softmax and logsumexp over the entries of a
column or along each row of a matrix (samples in rows), and the cross-entropy of logits with
targets. Each is written through softmax itself, as the textbooks write it: ∂softmax(z)/∂z =
diag(s) - s s^T."""

from __future__ import annotations

from matcalc.expr import (
    Add,
    CrossEntropy,
    Diag,
    Expr,
    Hadamard,
    LogSoftmax,
    LogSumExp,
    MatMul,
    Neg,
    Softmax,
    Sum,
    SumCols,
    Symbol,
    Transpose,
)
from matcalc.rules.rule import Kind, Rule, Site, times

x, X, Y = Symbol("x"), Symbol("X"), Symbol("Y")
"""The examples' logits x and X (a sample in each row) and targets Y."""


def _column(site: Site) -> bool:
    """Whether the operation works over the entries of a column rather than along rows."""
    return site.shapes.of(site.child)[1] == 1


def _rows(site: Site) -> bool:
    return not _column(site)


def _logits(site: Site) -> Expr:
    return site.node.children()[0]


def _minus(left: Expr, right: Expr) -> Expr:
    return Add((left, Neg(right)))


def _softmax_of_column(site: Site, d_g: Expr) -> Expr:
    """(diag(s) - s s^T) df/dG, written s ⊙ df/dG - s s^T df/dG: a matrix times df/dG, so that
    a Jacobian (a Hessian) reads diag(s) - s s^T off it."""
    s = site.node
    return _minus(Hadamard(s, d_g), MatMul(s, MatMul(Transpose(s), d_g)))


def _softmax_of_rows(site: Site, d_g: Expr) -> Expr:
    s = site.node
    return Hadamard(s, _minus(d_g, SumCols(Hadamard(s, d_g))))


def _cross_entropy_by_logits(site: Site) -> Expr:
    """d/dZ of -sum(Y ⊙ log_softmax(Z)): each row's softmax times that row's total of Y, less Y
    (softmax(Z) - Y where each row of Y sums to one)."""
    logits, target = site.node.children()
    s = Softmax(logits)
    if _column(site):
        return _minus(MatMul(Sum(target), s), target)
    return _minus(MatMul(Diag(SumCols(target)), s), target)


SOFTMAX: tuple[Rule, ...] = (
    Rule(
        "softmax of a vector",
        Softmax,
        Kind.MATRIX_TO_MATRIX,
        _softmax_of_column,
        example=Softmax(x),
        proof=(
            r"\frac{df}{dx_i}&=\sum_k\frac{df}{dG_k}\cdot\frac{d}{dx_i}"
            r"\frac{e^{x_k}}{\sum_\ell e^{x_\ell}}=\sum_k\frac{df}{dG_k}\,G_k(1_{k=i}-G_i)",
            r"&=G_i\frac{df}{dG_i}-G_i\sum_k G_k\frac{df}{dG_k}",
            r"\implies\frac{df}{dx}&=G\odot\frac{df}{dG}-G\,G^T\frac{df}{dG}"
            r"=\big(\operatorname{diag}(G)-G\,G^T\big)\frac{df}{dG}",
        ),
        input=x,
        when=_column,
    ),
    Rule(
        "softmax of each row",
        Softmax,
        Kind.MATRIX_TO_MATRIX,
        _softmax_of_rows,
        example=Softmax(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\sum_{\ell}\frac{df}{dG_{i,\ell}}\,G_{i,\ell}"
            r"(1_{\ell=j}-G_{i,j})",
            r"&=G_{i,j}\Big(\frac{df}{dG_{i,j}}-\sum_\ell G_{i,\ell}\frac{df}{dG_{i,\ell}}\Big)",
            r"\implies\frac{df}{dX}&=G\odot\Big(\frac{df}{dG}-\textstyle\sum_{\text{columns}}"
            r"\big(G\odot\frac{df}{dG}\big)\Big)",
        ),
        input=X,
        when=_rows,
    ),
    Rule(
        "log-softmax of a vector",
        LogSoftmax,
        Kind.MATRIX_TO_MATRIX,
        lambda s, d_g: _minus(d_g, MatMul(Softmax(_logits(s)), Sum(d_g))),
        example=LogSoftmax(x),
        proof=(
            r"\frac{df}{dx_i}&=\sum_k\frac{df}{dG_k}\cdot\frac{d}{dx_i}"
            r"\Big(x_k-\log\sum_\ell e^{x_\ell}\Big)=\sum_k\frac{df}{dG_k}"
            r"\big(1_{k=i}-\operatorname{softmax}(x)_i\big)",
            r"\implies\frac{df}{dx}&=\frac{df}{dG}-\operatorname{softmax}(x)\sum\frac{df}{dG}",
        ),
        input=x,
        when=_column,
    ),
    Rule(
        "log-softmax of each row",
        LogSoftmax,
        Kind.MATRIX_TO_MATRIX,
        lambda s, d_g: _minus(d_g, MatMul(Diag(SumCols(d_g)), Softmax(_logits(s)))),
        example=LogSoftmax(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\sum_\ell\frac{df}{dG_{i,\ell}}"
            r"\big(1_{\ell=j}-\operatorname{softmax}(X)_{i,j}\big)",
            r"\implies\frac{df}{dX}&=\frac{df}{dG}-\operatorname{diag}\Big(\textstyle"
            r"\sum_{\text{columns}}\frac{df}{dG}\Big)\operatorname{softmax}(X)",
        ),
        input=X,
        when=_rows,
    ),
    Rule(
        "log-sum-exp of a vector",
        LogSumExp,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: Softmax(_logits(s))),
        example=LogSumExp(x),
        proof=(
            r"\frac{df}{dx_i}&=\frac{d}{dx_i}\log\sum_k e^{x_k}=\frac{e^{x_i}}{\sum_k e^{x_k}}",
            r"\implies\frac{df}{dx}&=\operatorname{softmax}(x)",
        ),
        input=x,
        when=_column,
    ),
    Rule(
        "log-sum-exp of each row",
        LogSumExp,
        Kind.MATRIX_TO_MATRIX,
        lambda s, d_g: MatMul(Diag(d_g), Softmax(_logits(s))),
        example=LogSumExp(X),
        proof=(
            r"\frac{df}{dX_{i,j}}&=\frac{df}{dG_i}\cdot\frac{d}{dX_{i,j}}\log\sum_\ell "
            r"e^{X_{i,\ell}}=\frac{df}{dG_i}\operatorname{softmax}(X)_{i,j}",
            r"\implies\frac{df}{dX}&=\operatorname{diag}\Big(\frac{df}{dG}\Big)"
            r"\operatorname{softmax}(X)",
        ),
        input=X,
        when=_rows,
    ),
    Rule(
        "cross-entropy by the logits",
        CrossEntropy,
        Kind.MATRIX_TO_SCALAR,
        times(_cross_entropy_by_logits),
        example=CrossEntropy(X, Y),
        proof=(
            r"\frac{df}{dX_{i,j}}&=-\frac{d}{dX_{i,j}}\sum_{k,\ell}Y_{k,\ell}\Big(X_{k,\ell}"
            r"-\log\sum_m e^{X_{k,m}}\Big)=-Y_{i,j}+\operatorname{softmax}(X)_{i,j}\sum_\ell "
            r"Y_{i,\ell}",
            r"\implies\frac{df}{dX}&=\operatorname{diag}\Big(\textstyle\sum_{\text{columns}}"
            r"Y\Big)\operatorname{softmax}(X)-Y",
        ),
        input=X,
        path=(0,),
    ),
    Rule(
        "cross-entropy by the targets",
        CrossEntropy,
        Kind.MATRIX_TO_SCALAR,
        times(lambda s: Neg(LogSoftmax(_logits(s)))),
        example=CrossEntropy(X, Y),
        proof=(
            r"\frac{df}{dY_{i,j}}&=-\frac{d}{dY_{i,j}}\sum_{k,\ell}Y_{k,\ell}"
            r"\operatorname{log\_softmax}(X)_{k,\ell}",
            r"\implies\frac{df}{dY}&=-\operatorname{log\_softmax}(X)",
        ),
        input=Y,
        path=(1,),
    ),
)
"""The softmax family's entries of the rule table."""

"""The notation: both dialects, precedence as a mathematician reads it, and the round trip."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from conftest import assert_round_trip
from hypothesis import given, settings
from hypothesis import strategies as st

from matcalc import ErrorKind, MatcalcError, diff, parse
from matcalc.declarations import NAME
from matcalc.expr import (
    Add,
    Div,
    Expr,
    FrobSq,
    Func,
    Hadamard,
    HadamardDiv,
    HadamardPow,
    MatMul,
    Neg,
    Number,
    Ones,
    Sum,
    SumCols,
    SumRows,
    Symbol,
    Transpose,
)
from matcalc.hints import (
    ALIASES,
    NUMPY_FUNCTIONS,
    NUMPY_METHODS,
    SLIPS,
    Slip,
    close_names,
    distance,
)
from matcalc.parser import KNOWN_FUNCTIONS, lalr, parse_located, read

X, W, Y, D, R, C = (Symbol(n) for n in "XWYDRC")
a, x = Symbol("a"), Symbol("x")


def n(value: int | str) -> Number:
    return Number(Fraction(value))


SPELLINGS = [
    ("X W", "X·W", "X \\cdot W", "X*W", "X @ W"),
    ("W^T", "Wᵀ", "W^\\top", "W'", "W^{T}"),
    ("X ⊙ C", "X .* C", "X \\odot C"),
    ("X ⊘ C", "X ./ C", "X \\oslash C"),
    ("||G||_F^2", "‖G‖_F^2", "\\Vert G \\Vert_F^2", "\\|G\\|_F^2", "||G||_{F}^{2}"),
    ("||x||_2^2", "‖x‖_2^2", "||x||_{2}^2"),
    ("||x||_2", "‖x‖_2", "\\Vert x \\Vert_2", "||x||_{2}"),
    ("||x||_1", "‖x‖_1", "\\Vert x \\Vert_{1}", "||x||_{1}"),
    ("||X||_F", "‖X‖_F", "\\Vert X \\Vert_F", "\\|X\\|_F"),
    ("sum(G)", "\\sum G"),
    ("X^{∘2}", "X.^2", "X^{\\circ 2}"),
]


@pytest.mark.parametrize("spellings", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_spellings_mean_the_same(spellings: tuple[str, ...]) -> None:
    first = parse(spellings[0])
    for other in spellings[1:]:
        assert parse(other) == first, other


PRECEDENCE = [
    ("a^T G a", MatMul(MatMul(Transpose(a), Symbol("G")), a)),
    (
        "-2 X R^T + 2 D R R^T",
        Add(
            (
                Neg(MatMul(MatMul(n(2), X), Transpose(R))),
                MatMul(MatMul(MatMul(n(2), D), R), Transpose(R)),
            )
        ),
    ),
    ("2 X^T ((X - Y) ⊙ C)", MatMul(MatMul(n(2), Transpose(X)), Hadamard(Add((X, Neg(Y))), C))),
    ("X W ⊙ C", Hadamard(MatMul(X, W), C)),
    ("X - D R", Add((X, Neg(MatMul(D, R))))),
    ("X + W - Y", Add((X, W, Neg(Y)))),
    ("(X + W) - Y", Add((Add((X, W)), Neg(Y)))),
    ("X (W Y)", MatMul(X, MatMul(W, Y))),
    ("(X W) Y", MatMul(MatMul(X, W), Y)),
    ("X W^T", MatMul(X, Transpose(W))),
    ("(X W)^T", Transpose(MatMul(X, W))),
    ("X / 2 W", MatMul(Div(X, n(2)), W)),
    ("g(X W)", Func("g", MatMul(X, W))),
    ("g'(X)", Func("g'", X)),
    ("x (a x)", MatMul(x, MatMul(a, x))),
    ("1 + exp(X)", Add((n(1), Func("exp", X)))),
    ("1 - x", Add((n(1), Neg(x)))),
    ("0.5 ||X||_F^2", MatMul(n("0.5"), FrobSq(X, "F"))),
    ("||x||^2", FrobSq(x, "")),
    ("-X ⊙ Y", Neg(Hadamard(X, Y))),
    ("X ⊘ C ⊙ Y", Hadamard(HadamardDiv(X, C), Y)),
    ("X^{∘3}^T", Transpose(HadamardPow(X, 3))),
    ("ones(m, 3)", Ones("m", 3)),
    ("sum_rows(X) + sum_cols(X)^T", Add((SumRows(X), Transpose(SumCols(X))))),
    ("1e-3 X", MatMul(n("0.001"), X)),
    ("lambda X", MatMul(Symbol("lambda"), X)),
    ("λ X", MatMul(Symbol("λ"), X)),
]


@pytest.mark.parametrize(("text", "tree"), PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence(text: str, tree: Expr) -> None:
    assert parse(text) == tree
    assert_round_trip(text)


PRINTED = [
    ("X' * W", "X^T W"),
    ("X - -Y", "X - (-Y)"),
    ("\\Vert X \\Vert_F^2", "||X||_F^2"),
    ("(A ⊙ B) ⊙ C", "A ⊙ B ⊙ C"),
    ("1 ⊘ (2 X)", "1 ⊘ (2 X)"),
    ("(X W) Y", "X W Y"),
    ("X.^2", "X^{∘2}"),
]


@pytest.mark.parametrize(("text", "printed"), PRINTED, ids=[p[0] for p in PRINTED])
def test_printed_form(text: str, printed: str) -> None:
    assert str(parse(text)) == printed
    assert parse(printed) == parse(text)


names = st.sampled_from(["X", "W", "Y", "x", "a", "lambda", "W1", "x_2", "α"])
numbers = st.fractions(min_value=0, max_value=100, max_denominator=8).filter(
    lambda f: all(p in (2, 5) for p in _prime_factors(f.denominator))
)
functions = st.sampled_from(["g", "h", "g'", "exp", "log", "tanh", "sigmoid", "relu", "abs"])


def _prime_factors(k: int) -> set[int]:
    found, p = set(), 2
    while k > 1:
        while k % p == 0:
            found.add(p)
            k //= p
        p += 1
    return found


def _nodes(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    two = st.tuples(children, children)
    quotient = two.filter(lambda p: p[1] != Number(Fraction(0)))  # `/ 0` is refused on input
    return st.one_of(
        children.map(Transpose),
        children.map(Neg),
        st.lists(children, min_size=2, max_size=4).map(lambda t: Add(tuple(t))),
        two.map(lambda p: MatMul(*p)),
        quotient.map(lambda p: Div(*p)),
        two.map(lambda p: Hadamard(*p)),
        quotient.map(lambda p: HadamardDiv(*p)),
        st.tuples(children, st.integers(1, 5)).map(lambda p: HadamardPow(*p)),
        st.tuples(functions, children).map(lambda p: Func(*p)),
        st.tuples(children, st.sampled_from(["F", "2", ""])).map(lambda p: FrobSq(*p)),
        children.map(Sum),
        children.map(SumRows),
        children.map(SumCols),
    )


expressions = st.recursive(
    st.one_of(names.map(Symbol), numbers.map(Number), st.just(Ones("m", 3))),
    _nodes,
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_round_trip_of_random_expressions(expr: Expr) -> None:
    assert parse(str(expr)) == expr


# Reading what may surprise: products written with `*`, letters that only look Latin ---------


def test_read_records_each_product_written_with_a_star() -> None:
    text = "sum(X * Y) + x' * A * x + sum(X·Y) + sum(X @ Y) + sum(X Y)"
    parsed = read(text)
    assert parsed.expr == parse(text)
    starred = [(str(left), str(right), where.column) for left, right, where in parsed.starred]
    assert starred == [("X", "Y", 7), ("x^T", "A", 17), ("x^T A", "x", 21)]
    assert all(where.text == text and where.line == 1 for _, _, where in parsed.starred)
    assert read("sum(X Y) + sum(X·Y) + sum(X @ Y)").starred == ()


def test_parse_and_parse_located_are_read() -> None:
    text = "||X - D R||_F^2"
    parsed = read(text)
    located, spans = parse_located(text)
    assert parse(text) == located == parsed.expr
    assert sorted(spans.values(), key=str) == sorted(parsed.spans.values(), key=str)
    assert parsed.lookalikes == () and parsed.starred == ()


GREEK_LOOKALIKES = list(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧον", "ABEZHIKMNOPTYXov", strict=True))


@pytest.mark.parametrize(
    ("letter", "latin"), GREEK_LOOKALIKES, ids=[g for g, _ in GREEK_LOOKALIKES]
)
def test_a_greek_letter_that_looks_latin_is_reported(letter: str, latin: str) -> None:
    text = f"sum(A) + {letter} sum(B)"
    parsed = read(text)
    assert Symbol(letter) in {node for node in _symbols(parsed.expr)}
    ((name, what, where),) = parsed.lookalikes
    assert (name, where.line, where.column) == (letter, 1, 10)
    assert what.startswith("the Greek ") and what.endswith(f", not the Latin {latin}")


def test_the_greek_capital_chi_is_named() -> None:
    ((name, what, _),) = read("sum(Χ)").lookalikes
    assert f"{name} is {what}" == "Χ is the Greek capital Chi, not the Latin X"


@pytest.mark.parametrize("text", ["sum(X)", "λ ||x||^2", "α sum(X) + Σ", "sum(W1 ⊙ x_2)"])
def test_names_in_latin_and_other_greek_letters_are_not_lookalikes(text: str) -> None:
    assert read(text).lookalikes == ()


def _symbols(expr: Expr) -> list[Expr]:
    found = [expr] if isinstance(expr, Symbol) else []
    for child in expr.children():
        found += _symbols(child)
    return found


# (id, text, column, what the message says): letters the grammar does not read, or names that
# mix scripts, are name errors that say which letter it is and what to write
LOOKALIKE_ERRORS = [
    ("cyrillic-ha", "sum(х)", 5, "'х' in х is the Cyrillic small ha, not the Latin x; write x"),
    ("cyrillic-a", "sum(W а)", 7, "the Cyrillic small a, not the Latin a; write a"),
    ("cyrillic-capital", "sum(ХW)", 5, "the Cyrillic capital Ha, not the Latin X; write XW"),
    ("cyrillic-in-a-word", "sum(Wоrk)", 6, "the Cyrillic small o, not the Latin o; write Work"),
    ("fullwidth", "sum(Ｘ)", 5, "the fullwidth Latin capital X, not the Latin X; write X"),
    ("dotless-i", "sum(ı)", 5, "the Latin small dotless i, not the Latin i; write i"),
    ("bold", "sum(𝐗)", 5, "the mathematical bold capital X, not the Latin X; write X"),
    ("greek-after-latin", "sum(WΧ)", 6, "WΧ mixes scripts: Χ is the Greek capital Chi"),
    ("greek-before-latin", "sum(Ιx)", 5, "Ιx mixes scripts: Ι is the Greek capital Iota"),
]


@pytest.mark.parametrize(
    ("text", "column", "words"), [pytest.param(*r[1:], id=r[0]) for r in LOOKALIKE_ERRORS]
)
def test_a_letter_that_only_looks_latin_outside_a_greek_name_is_an_error(
    text: str, column: int, words: str
) -> None:
    with pytest.raises(MatcalcError) as caught:
        read(text)
    assert caught.value.kind is ErrorKind.NAME
    assert caught.value.column == column, str(caught.value)
    assert words in caught.value.message


def test_a_greek_lookalike_next_to_a_digit_is_a_product_and_noted() -> None:
    parsed = read("sum(Χ1)")
    assert parsed.expr == parse("sum(Χ 1)")
    assert [where.column for _, _, where in parsed.lookalikes] == [5]


# Numbers ----------------------------------------------------------------------------------

# (id, text, column, words)
NUMBERS_REFUSED = [
    ("two-points", "1.2.3 sum(X)", 4, "a number has one decimal point"),
    ("two-points-later", "sum(X) + 2.5.1", 13, "one decimal point"),
    ("exponent-then-point", "1.5e3.2 sum(X)", 6, "one decimal point"),
    ("spaced-point", "2 .5 sum(X)", 3, "write 2.5, or 2 * 0.5"),
    ("point-after-a-name", "sum(X.5)", 6, "write X 0.5 for a product"),
    ("point-after-an-exponent", "sum(X.^2 .5)", 10, "write .^2 * 0.5 for a product"),
    ("huge-exponent", "sum(X) + 1e5000", 10, "more than 400 digits"),
    ("tiny-exponent", "1e-5000 sum(X)", 1, "1e-300 is fine, 1e5000 is not"),
    ("long-exponent", "1e" + "9" * 5000 + " sum(X)", 1, "more than 400 digits"),
    ("many-digits", "1" * 4400 + " sum(X)", 1, "more than 400 digits"),
    ("many-decimals", "0." + "0" * 500 + "1 sum(X)", 1, "more than 400 digits"),
    ("just-past-the-bound", "1e400 sum(X)", 1, "more than 400 digits"),
    ("entrywise-power", "sum(X.^" + "9" * 5000 + ")", 6, "more than 400 digits"),
]


@pytest.mark.parametrize(
    ("text", "column", "words"), [pytest.param(*r[1:], id=r[0]) for r in NUMBERS_REFUSED]
)
def test_numbers_that_cannot_be_meant_are_syntax_errors_at_the_number(
    text: str, column: int, words: str
) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(text)
    assert caught.value.kind is ErrorKind.PARSE
    assert caught.value.column == column, str(caught.value)
    assert words in caught.value.message


ENTRYWISE_REFUSED = [
    ("decimal", "sum(X.^2.5)", 6, "not 2.5: write exp(2.5 log(X))", "sum(exp(2.5 log(X)))"),
    ("half", "sum(X.^0.5)", 6, "not 0.5: write exp(0.5 log(X))", "sum(exp(0.5 log(X)))"),
    ("circle-half", "sum(X^{∘0.5})", 6, "or define a function p(x) = x^0.5", "sum(sqrt(X))"),
    ("circle-minus-one", "sum(X^{∘-1})", 6, "not -1: write 1 ./ X", "sum(1 ./ X)"),
    ("minus-two", "sum((A X).^-2)", 10, "write 1 ./ (A X).^2", "sum(1 ./ (A X).^2)"),
    ("zero", "sum(X.^0 ⊙ X)", 6, "a power 0 is all ones", "sum(ones(m, n) ⊙ X)"),
    ("a-name", "sum(X^{∘α})", 6, "not α: write exp(α log(X))", "sum(exp(α log(X)))"),
]


@pytest.mark.parametrize(
    ("text", "column", "words", "fix"), [pytest.param(*r[1:], id=r[0]) for r in ENTRYWISE_REFUSED]
)
def test_an_entrywise_power_that_is_not_whole_is_refused_at_it_with_a_fix(
    text: str, column: int, words: str, fix: str, check: Any
) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(text)
    assert (caught.value.kind, caught.value.column) == (ErrorKind.PARSE, column), str(caught.value)
    assert words in caught.value.message
    check(diff(fix, "X"), positive=True)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("sum(X.^3.0)", "3 X^{∘2}"),
        ("sum(X.^1e1)", "10 X^{∘9}"),
        ("sum(Y ⊙ X^{∘ 2.0})", "2 (Y ⊙ X)"),
    ],
)
def test_an_entrywise_power_written_with_a_point_is_read_whole(
    text: str, result: str, check: Any
) -> None:
    derivation = diff(text, "X")
    assert str(derivation.result) == result
    check(derivation)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-300", Fraction(1, 10**300)),
        ("1e399", Fraction(10**399)),
        ("1" * 400, Fraction(int("1" * 400))),
        ("2.5e-3", Fraction(1, 400)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
    ],
)
def test_numbers_within_the_bound_are_exact(text: str, value: Fraction) -> None:
    assert parse(f"{text} sum(X)") == MatMul(Number(value), Sum(X))


def test_a_tiny_coefficient_gives_an_exact_and_right_gradient(check: Any) -> None:
    derivation = diff("1e-300 sum(X W)", "W")
    assert derivation.result == parse(f"X^T ones(m, p) / 1{'0' * 300}")
    check(derivation)


def test_the_names_the_parser_reads_are_the_names_declarations_accept() -> None:
    assert lalr("matcalc").get_terminal("NAME").pattern.to_regexp() == NAME.pattern


# Hints: what to write instead ---------------------------------------------------------------

# (id, text, kind, column, the spelling the message suggests, which must itself be read)
HINTS = [
    ("trace", "trace(A X)", ErrorKind.NAME, 1, "tr(A X)"),
    ("tarce", "tarce(A X)", ErrorKind.NAME, 1, "tr(A X)"),
    ("Tr", "Tr(A X)", ErrorKind.NAME, 1, "tr(A X)"),
    ("TR", "2 TR(X)", ErrorKind.NAME, 3, "tr(X)"),
    ("Det", "Det(X)", ErrorKind.NAME, 1, "det(X)"),
    ("logDet", "logDet(X)", ErrorKind.NAME, 1, "logdet(X)"),
    ("log_det", "log_det(X)", ErrorKind.NAME, 1, "logdet(X)"),
    ("avg", "avg(X)", ErrorKind.NAME, 1, "mean(X)"),
    ("layer_norm", "sum(layer_norm(X W))", ErrorKind.NAME, 5, "layernorm(X W)"),
    ("sigma", "sum(sigma(X W))", ErrorKind.NAME, 5, "sigmoid(X W)"),
    ("norm", "norm(x - y)", ErrorKind.NAME, 1, "||x - y||_2"),
    ("transpose", "sum(transpose(A B) C)", ErrorKind.NAME, 5, "(A B)^T"),
    ("inverse", "tr(inverse(X))", ErrorKind.NAME, 4, "X^{-1}"),
    ("ln", "sum(ln(X))", ErrorKind.NAME, 5, "log(X)"),
    ("dot", "dot(x, A y)", ErrorKind.NAME, 1, "x^T (A y)"),
    ("outer", "sum(outer(x, y))", ErrorKind.NAME, 5, "x y^T"),
    ("matmul", "sum(matmul(X, Y))", ErrorKind.NAME, 5, "X Y"),
    ("multiply", "sum(multiply(X, Y + Z))", ErrorKind.NAME, 5, "X ⊙ (Y + Z)"),
    ("square", "sum(square(X))", ErrorKind.NAME, 5, "X.^2"),
    ("tnah", "sum(tnah(X))", ErrorKind.NAME, 5, "tanh(X)"),
    ("sigmod", "sum(sigmod(X))", ErrorKind.NAME, 5, "sigmoid(X)"),
    ("greek-call", "lambda(X)", ErrorKind.NAME, 1, "lambda (X)"),
    ("function-spaced", "sum(exp (X))", ErrorKind.NAME, 5, "exp(X)"),
    ("function-as-name", "sum(exp X)", ErrorKind.NAME, 5, "exp(X)"),
    ("python-power", "X**2", ErrorKind.PARSE, 3, "X^2"),
    ("python-power-entrywise", "sum(X**2)", ErrorKind.PARSE, 7, "X.^2"),
    ("numpy-transpose", "sum(X.T Y)", ErrorKind.PARSE, 6, "X^T"),
    ("numpy-transpose-of-a-group", "sum((A B).T)", ErrorKind.PARSE, 10, "(A B)^T"),
    ("numpy-dot", "sum(X.dot(Y))", ErrorKind.PARSE, 6, "X Y"),
    ("numpy-sum", "X.sum()", ErrorKind.PARSE, 2, "sum(X)"),
    ("numpy-prefix", "sum(np.exp(X))", ErrorKind.PARSE, 7, "exp(X)"),
    ("numpy-inverse", "tr(np.linalg.inv(A X))", ErrorKind.PARSE, 6, "(A X)^{-1}"),
    ("numpy-trace", "np.trace(X)", ErrorKind.PARSE, 3, "tr(X)"),
    ("single-bars-1", "|x|_1", ErrorKind.PARSE, 1, "||x||_1"),
    ("single-bars", "|x - y|", ErrorKind.PARSE, 1, "||x - y||_1"),
    ("single-closing-bar", "||x|_2", ErrorKind.PARSE, 4, "||x||_2"),
    ("latex-frac", "\\frac{1}{2} ||X||_F^2", ErrorKind.PARSE, 1, "1 / 2"),
    ("latex-operator", "\\operatorname{tr}(X)", ErrorKind.PARSE, 1, "tr(X)"),
    ("latex-greek", "\\lambda ||X||_F^2", ErrorKind.PARSE, 1, "lambda"),
    ("latex-alias", "\\ln(x)", ErrorKind.PARSE, 1, "log(X)"),
    ("latex-operator-alias", "\\operatorname{Trace}(X)", ErrorKind.PARSE, 1, "tr(X)"),
    ("latex-sqrt", "\\sqrt{x}", ErrorKind.PARSE, 1, "sqrt(x)"),
    ("latex-bare-top", "sum(X \\top)", ErrorKind.PARSE, 7, "X^\\top"),
    ("sgn", "sum(sgn(X))", ErrorKind.NAME, 5, "sign(X)"),
    ("times-sign", "sum(X × Y)", ErrorKind.PARSE, 7, "X ⊙ W"),
    ("superscript", "sum(X²)", ErrorKind.PARSE, 6, "X.^2"),
]


@pytest.mark.parametrize(
    ("text", "kind", "column", "fix"), [pytest.param(*r[1:], id=r[0]) for r in HINTS]
)
def test_a_slip_gets_a_spelling_that_is_read(
    text: str, kind: ErrorKind, column: int, fix: str
) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(text)
    assert (caught.value.kind, caught.value.column) == (kind, column), str(caught.value)
    assert fix in caught.value.message
    parse(fix)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sum(X + Y) × 2", "the matrix product is written X W"),
        ("sum(X − Y)", "write the minus sign as -"),
        ("f = ||X||_F^2", "write only what follows ="),
        ("$||X||_F^2$", "$…$ delimiters are not part of the formula"),
        ("sum([X])", "parentheses"),
        ("\\frac{1}{2} ||X||_F^2", '--latex (matcalc.diff(..., notation="latex"))'),
        ("sum(X\u00a0Y)", "no-break space: use a plain space"),
        ("\\min_W ||X W - Y||_F^2", "paste what is minimised"),
        ("\\hat{y}", "a decorated name"),
    ],
)
def test_characters_from_elsewhere_say_what_to_write(text: str, words: str) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(text)
    assert caught.value.kind is ErrorKind.PARSE
    assert words in caught.value.message


@pytest.mark.parametrize(("name", "slip"), sorted(SLIPS.items()))
def test_every_slip_of_the_table_is_refused_with_a_fix_that_is_read(name: str, slip: Slip) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(f"{name}({', '.join(slip.example)})")
    assert caught.value.kind is ErrorKind.NAME
    assert slip.written(slip.example) in caught.value.message
    parse(slip.written(slip.example))


@pytest.mark.parametrize(("name", "function"), sorted(ALIASES.items()))
def test_every_alias_is_a_slip_whose_fix_calls_its_function(name: str, function: str) -> None:
    with pytest.raises(MatcalcError, match=rf"{function}\(X\)") as caught:
        parse(f"sum({name}(X))")
    assert caught.value.kind is ErrorKind.NAME
    parse(f"sum({function}(X))")


@pytest.mark.parametrize(
    ("table", "name", "slip"),
    [("np", n, s) for n, s in NUMPY_FUNCTIONS.items()]
    + [("X", n, s) for n, s in NUMPY_METHODS.items()],
)
def test_every_numpy_spelling_gets_a_fix_that_is_read(table: str, name: str, slip: Slip) -> None:
    args = slip.example if table == "np" else slip.example[1:]
    call = f"({', '.join(args)})" if name != "T" else ""
    with pytest.raises(MatcalcError) as caught:
        parse(f"{table}.{name}{call}")
    assert slip.written(slip.example) in caught.value.message
    parse(slip.written(slip.example))


@pytest.mark.parametrize(
    ("objective", "wrt", "fix"),
    [
        ("trace(A X)", "X", "tr(A X)"),
        ("avg(X)", "X", "mean(X)"),
        ("norm(x - y)", "x", "||x - y||_2"),
        ("X.sum()", "X", "sum(X)"),
        ("|x|_1", "x", "||x||_1"),
        ("sum(X**2)", "X", "X.^2"),
    ],
)
def test_a_suggested_spelling_differentiates_correctly(
    objective: str, wrt: str, fix: str, check: Any
) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(objective)
    assert fix in caught.value.message
    written = fix if fix != "X.^2" else "sum(X.^2)"
    check(diff(written, wrt))


@pytest.mark.parametrize(
    ("name", "not_suggested"), [("cumsum", "sum"), ("sigma", "sign"), ("argmax", "logsumexp")]
)
def test_no_far_fetched_suggestion(name: str, not_suggested: str) -> None:
    with pytest.raises(MatcalcError) as caught:
        parse(f"{name}(X)")
    assert f"did you mean {not_suggested}" not in caught.value.message
    assert close_names(name, KNOWN_FUNCTIONS) == []


def test_single_bars_do_not_point_to_the_squared_frobenius_norm() -> None:
    with pytest.raises(MatcalcError) as caught:
        parse("|x|_1")
    assert "F^2" not in caught.value.message


@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [
        ("tnah", "tanh", 1),
        ("kitten", "sitting", 3),
        ("mean", "tan", 2),
        ("", "tr", 2),
        ("tr", "tr", 0),
    ],
)
def test_the_edit_distance_counts_a_swap_as_one(a: str, b: str, edits: int) -> None:
    assert distance(a, b) == distance(b, a) == edits


def test_close_names_allow_one_edit_up_to_five_letters_and_two_beyond() -> None:
    assert close_names("tnah", KNOWN_FUNCTIONS) == ["tanh"]
    assert close_names("sigmd", KNOWN_FUNCTIONS) == []
    assert close_names("sigmoda", KNOWN_FUNCTIONS) == ["sigmoid"]
    assert close_names("ta", KNOWN_FUNCTIONS) == ["tan", "tr"]


@pytest.mark.parametrize("text", ["I", "X + I", "x + vector(1)", "X + matrix(1)", "eye(3) + I"])
def test_sizes_to_be_inferred_print_as_written(text: str) -> None:
    """I, vector(1) and matrix(1) take their sizes where they are used; printed, they read back
    to the same nodes (they printed as eye(?·1), which did not parse)."""
    expr = parse(text)
    assert str(expr) == text
    assert parse(str(expr)) == expr

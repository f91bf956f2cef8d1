"""Python source for an objective and its gradients, written in array-API calls on `xp`: it runs
on NumPy arrays, and through array-api-compat on PyTorch, JAX, CuPy and other arrays.

The lines that compute values are printing/python_writer.py's; this module writes the function
around them: its parameters, docstring, argument checks and what it returns.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace

from matcalc.definitions import Definition
from matcalc.expr import ZERO, Dim, Expr, Func, Number
from matcalc.functions import is_generic
from matcalc.operations import dim_product
from matcalc.printing.python_writer import (
    Gradient,
    Writer,
    identifier,
    inline_temporaries,
    is_column,
)
from matcalc.printing.text import text
from matcalc.shapes import Shapes, is_scalar, show
from matcalc.traversal import preorder, symbol_names


def python_source(
    objective: Expr,
    gradients: Sequence[Gradient],
    shapes: Shapes,
    functions: Mapping[str, Definition],
    name: str = "f_and_grad",
    *,
    computed: Expr | None = None,
    seconds: Sequence[Gradient] = (),
) -> str:
    """A module defining `name(inputs…)`, which returns f and then each gradient, each in the
    shape of its variable (vectors as 1-D or as columns, as they were given), then each second
    derivative in `seconds`: a Hessian as a matrix (a scalar's as a scalar), and ∇²f[V] as a
    function of V, which computes only what depends on V. `computed` is the form f is computed
    from (the objective with its like terms collected exactly, say); the objective itself by
    default. A variable absent from the objective is an input too."""
    inputs = [n for n in symbol_names(objective) if n in shapes.symbols]
    inputs += [g.wrt.name for g in gradients if g.wrt.name not in inputs]
    symbols = {**{g.wrt.name: g.shapes.symbols[g.wrt.name] for g in gradients}, **shapes.symbols}
    shapes = shapes.with_symbols(symbols)
    computed = objective if computed is None else computed
    roots = [
        computed,
        *(g.result for g in (*gradients, *seconds)),
        *(b.value for g in (*gradients, *seconds) for b in g.where),
    ]
    generic = sorted(
        {
            n.name
            for root in roots
            for n in preorder(root)
            if isinstance(n, Func) and is_generic(n.name)
        }
    )
    writer = Writer(shapes, functions, inputs, generic, name)
    arrays = [writer.names[n] for n in inputs if not is_scalar(symbols[n])]
    scalars = [writer.names[n] for n in inputs if is_scalar(symbols[n])]
    numbers, numpy, converted = _numbers(writer, scalars) if not arrays else ("", "", [])
    anchors = arrays or scalars or [f"{numpy}.asarray(0.0)"]
    namespace = f"xp = array_namespace({', '.join(anchors)})"
    head = []
    if arrays:  # a scalar may be a Python number: an array of the arrays' type from here on
        head += [f"{scalar} = xp.asarray({scalar}, dtype=dtype)" for scalar in scalars]
    vectors = [n for n in inputs if is_column(symbols[n])]
    shape_of = {vector: writer.fresh(f"{writer.names[vector]}_shape") for vector in vectors}
    for vector in vectors:
        v = writer.names[vector]
        head += [f"{shape_of[vector]} = {v}.shape", f"{v} = xp.reshape({v}, (-1, 1))"]
    writer.lines = head
    for gradient in gradients:  # the named values first, under their names
        writer.scope(gradient)
    for second in seconds:  # but those computed from a direction, which its function takes
        writer.scope(_fixed(second))
    writer.scope(None)
    value = writer.atom(computed)
    if isinstance(computed, Number):
        value = f"xp.asarray({value}, dtype=dtype)"
    writer.lines.append(f"f = xp.reshape({value}, ())")
    results = ["f"]
    for gradient in gradients:
        writer.scope(gradient)
        variable = writer.names[gradient.wrt.name]
        target = f"grad_{variable}"
        reshaped = gradient.wrt.name in vectors or is_scalar(symbols[gradient.wrt.name])
        found = writer.atom(gradient.result, None if reshaped else target)
        if gradient.result == ZERO:  # the variable is absent from the objective
            found = f"xp.zeros_like({variable})"
        elif isinstance(gradient.result, Number):
            found = f"{found} + xp.zeros_like({variable})"
        if gradient.wrt.name in vectors:
            found = f"xp.reshape({found}, {shape_of[gradient.wrt.name]})"
        elif is_scalar(symbols[gradient.wrt.name]):
            found = f"xp.reshape({found}, ())"
        if found != target:
            target = writer.fresh(target)
            writer.lines.append(f"{target} = {found}")
        results.append(target)
    closures: list[str] = []
    functions_of: set[str] = set()  # the results that are functions of a direction
    for second in seconds:
        if second.direction is None:
            results.append(_hessian(writer, second, symbols[second.wrt.name]))
        else:
            function, closure = _closure(writer, second, len(seconds) > 1, numbers)
            functions_of.add(function)
            results.append(function)
            closures += closure
    if any(
        "dtype=dtype" in line for line in [*writer.lines, *closures]
    ):  # for ones, eye and scalars
        writer.lines.insert(0, f"dtype = {anchors[0]}.dtype")
    parameters = [writer.names[n] for n in inputs]
    if generic:
        parameters += ["*", *writer.callables.values()]
    described = [
        f"    {writer.names[n]}{f' ({n})' * (writer.names[n] != n)}: {_kind(symbols[n])}"
        + _summing(n, shapes)
        for n in inputs
    ] + [
        f"    {v}: the elementwise function {g}, a callable, passed as {v}="
        for g, v in writer.callables.items()
    ]
    matrices = [n for n in inputs if not is_scalar(symbols[n])]
    checks = _size_checks(matrices, symbols, writer.names)
    if matrices:
        described += [
            "",
            "    Raises ValueError naming the argument where an array is not a real one of its",
            "    kind (a 2-D array for a matrix, 1-D or a column for a vector) or where sizes",
            "    disagree: each dimension has one size.",
        ]
        checks = [
            *_kind_checks(matrices, symbols, writer.names),
            *checks,
            namespace,
            *_real_checks([writer.names[n] for n in matrices], writer),
        ]
    else:
        checks = [namespace]
    returned = ", ".join(f"df/d{g.wrt}" for g in gradients)
    summary = (
        f"f and {returned}, each gradient in the shape of its variable." if gradients else "f."
    )
    if seconds:
        summary = f"f, {returned}, each gradient in the shape of its variable, and"
        said = zip(seconds, results[-len(seconds) :], strict=True)
        described = [*(line for s, r in said for line in _said(s, r, symbols)), "", *described]
    returns = [f"return {', '.join(results)}"]
    if numbers:
        floats = ", ".join(r if r in functions_of else f"float({r})" for r in results)
        returns = [f"if {numbers}:", f"    return {floats}", *returns]
    lines = [
        f'"""f = {text(objective)} and its {"derivatives" if seconds else "gradients"}, '
        'written by matcalc."""',
        "",
        "from array_api_compat import array_namespace",
        "",
        "",
        f"def {name}({', '.join(parameters)}):",
        f'    """{summary}',
        *(["", *described] if described else []),
        '    """',
        *(f"    {line}".rstrip() for line in converted),
        *(f"    {line}" for line in checks),
        *(f"    {line}" for line in _outer(writer, closures)),
        *(f"    {line}".rstrip() for line in closures),
        *(f"    {line}" for line in returns),
    ]
    return "\n".join(lines) + "\n"


def _fixed(second: Gradient) -> Gradient:
    """The second derivative with only the named values that do not depend on its direction:
    those computed once, outside the function of the direction."""
    if second.direction is None:
        return second
    varying, fixed = {second.direction.name}, []
    for binding in second.where:  # each after those its value uses
        if varying.isdisjoint(symbol_names(binding.value)):
            fixed.append(binding)
        else:
            varying.add(binding.name.name)
    return replace(second, where=tuple(fixed))


def _hessian(writer: Writer, second: Gradient, shape: tuple[Dim, Dim]) -> str:
    """The variable holding d²f/dt² for a scalar t, the Hessian of a column, or that of vec(X)
    for a matrix X, written out."""
    writer.scope(second)
    variable = writer.names[second.wrt.name]
    target = f"hess_{variable}"
    found = writer.atom(second.result, None if is_scalar(shape) else target)
    if isinstance(second.result, Number) and is_scalar(shape):
        found = f"{found} + xp.zeros_like({variable})"
    elif isinstance(second.result, Number):  # a constant Hessian, say 0
        size = f"{variable}.shape[0]" + f" * {variable}.shape[1]" * (not is_column(shape))
        found = f"{found} + xp.zeros(({size}, {size}), dtype=dtype)"
    if is_scalar(shape):
        found = f"xp.reshape({found}, ())"
    if found != target:
        target = writer.fresh(target)
        writer.lines.append(f"{target} = {found}")
    return target


def _closure(
    writer: Writer, second: Gradient, several: bool, numbers: str
) -> tuple[str, list[str]]:
    """The name and the lines of `hvp(V)`, the function that computes ∇²f[V] for any V, from
    the values it shares with f and the gradients, written before it and computed once."""
    assert second.direction is not None
    variable = writer.names[second.wrt.name]
    function = writer.fresh(f"hvp_{variable}" if several else "hvp")
    argument = writer.fresh(identifier(second.direction.name))
    shape = second.shapes.symbols[second.wrt.name]
    writer.open_closure(argument)
    head, reshaped = _direction_checks(argument, variable, shape, writer)
    writer.scope(second, argument)
    found = writer.atom(second.result)
    if isinstance(second.result, Number):  # a constant product, say 0
        found = f"{found} + xp.zeros_like({argument})"
    if is_column(shape):
        found = f"xp.reshape({found}, {reshaped})"
    elif is_scalar(shape):
        found = f"xp.reshape({found}, ())"
    lines = writer.close_closure()
    writer.taken -= {argument, reshaped}  # each closure's own: the next may take them again
    returns = [f"if {numbers}:", f"    return float({found})"] if numbers else []
    body = [
        f'"""∇²f[{argument}], the Hessian by {second.wrt} applied to {argument}, in '
        f'{second.wrt}\'s shape."""',
        *head,
        *inline_temporaries(lines, writer.temporaries - {found}),
        *returns,
        f"return {found}",
    ]
    return function, ["", f"def {function}({argument}):", *(f"    {line}" for line in body)]


def _direction_checks(
    argument: str, variable: str, shape: tuple[Dim, Dim], writer: Writer
) -> tuple[list[str], str]:
    """Lines that raise a ValueError where the direction is not of the variable's shape, and
    make it an array of the variable's kind; with the name of its given shape, for a vector."""
    if is_scalar(shape):
        return [f"{argument} = xp.asarray({argument}, dtype=dtype)"], ""
    got = f"{{getattr({argument}, 'shape', type({argument}).__name__)}}"
    ndim = f'getattr({argument}, "ndim", None)'
    if is_column(shape):
        reshaped = writer.fresh(f"{argument}_shape")
        test = (
            f"{ndim} not in (1, 2) or {argument}.shape[1:] not in ((), (1,)) "
            f"or {argument}.shape[0] != {variable}.shape[0]"
        )
        wanted = f"a vector of {{{variable}.shape[0]}} entries, as {variable}"
        made = [f"{reshaped} = {argument}.shape", f"{argument} = xp.reshape({argument}, (-1, 1))"]
    else:
        reshaped = ""
        test = f"{ndim} != 2 or tuple({argument}.shape) != tuple({variable}.shape)"
        wanted = f"{show(shape)} = {{tuple({variable}.shape)}}, as {variable}"
        made = []
    raised = f'    raise ValueError(f"{argument} is {wanted}; got {got}")'
    return [f"if {test}:", raised, *made], reshaped


def _outer(writer: Writer, closures: Sequence[str]) -> list[str]:
    """The function's own lines, with its temporaries used once written where they are used,
    except those a closure uses: computed once, not on each call."""
    used = {word for line in closures for word in re.findall(r"\b\w+\b", line)}
    return inline_temporaries(writer.lines, writer.temporaries - used)


def _said(second: Gradient, result: str, symbols: Mapping[str, tuple[Dim, Dim]]) -> list[str]:
    """The docstring's lines on a second derivative the function returns."""
    wrt, shape = second.wrt.name, symbols[second.wrt.name]
    if second.direction is not None:
        v = second.direction.name
        said = (
            f"{result}: a function of {v} ({show(shape)}, as {wrt}) that returns ∇²f[{v}], the "
            f"Hessian by {wrt} applied to {v}, in {wrt}'s shape; it computes only what depends "
            f"on {v}, and the rest once, here"
        )
    elif is_scalar(shape):
        said = f"{result}: d²f/d{wrt}², a scalar"
    elif is_column(shape):
        said = (
            f"{result}: d²f/d{wrt}², the Hessian, {show((shape[0], shape[0]))}: entry (i, j) is "
            f"the second partial derivative by {wrt}_i and {wrt}_j"
        )
    else:
        side = dim_product(*shape)
        said = (
            f"{result}: d²f/dvec({wrt})², the Hessian of vec({wrt}), {show((side, side))}, "
            f"where vec stacks the columns of {wrt} (column-major)"
        )
    return textwrap.wrap(said, 92, initial_indent="    ", subsequent_indent="        ")


def _numbers(writer: Writer, scalars: Sequence[str]) -> tuple[str, str, list[str]]:
    """Where every input is a scalar: a flag for Python numbers (which no array namespace
    claims), the name NumPy is imported as, and the lines that make the numbers NumPy's 0-d
    float64 arrays; the values go back as floats. With no input at all, NumPy computes f."""
    numbers, numpy = writer.fresh("numbers"), writer.fresh("numpy")
    imported = "import numpy" if numpy == "numpy" else f"import numpy as {numpy}"
    if not scalars:
        return numbers, numpy, [f"{numbers} = True", imported]
    given = f"({scalars[0]},)" if len(scalars) == 1 else f"({', '.join(scalars)})"
    return (
        numbers,
        numpy,
        [
            f"{numbers} = all(isinstance(value, int | float) for value in {given})",
            f"if {numbers}:",
            f"    {imported}",
            "",
            *(f"    {s} = {numpy}.asarray({s}, dtype={numpy}.float64)" for s in scalars),
        ],
    )


def _kind_checks(
    arrays: Sequence[str], symbols: Mapping[str, tuple[Dim, Dim]], names: Mapping[str, str]
) -> list[str]:
    """Lines that raise a ValueError naming the argument where it is not an array of its kind
    (a number, a list, None, a 1-D array for a matrix, a matrix for a vector): before the size
    checks read its shape, and before the array namespace refuses it without a name."""
    lines: list[str] = []
    for name in arrays:
        variable, shape = names[name], symbols[name]
        ndim = f'getattr({variable}, "ndim", None)'
        if is_column(shape):
            test = f"{ndim} not in (1, 2) or {variable}.shape[1:] not in ((), (1,))"
            wanted = f"a vector of {shape[0]} entries, 1-D or a column"
        else:
            test, wanted = f"{ndim} != 2", f"{show(shape)}, a 2-D array"
        got = f"{{getattr({variable}, 'shape', type({variable}).__name__)}}"
        lines += [f"if {test}:", f'    raise ValueError(f"{variable} is {wanted}; got {got}")']
    return lines


def _real_checks(variables: Sequence[str], writer: Writer) -> list[str]:
    """Lines that raise a ValueError naming the first of the arrays whose entries are not real
    numbers (integers or floats): strings, booleans, complex numbers."""
    name, value = writer.fresh("name"), writer.fresh("value")
    pairs = "".join(f'("{variable}", {variable}), ' for variable in variables)
    listed = pairs.rstrip() if len(variables) == 1 else pairs.removesuffix(", ")
    return [
        f"for {name}, {value} in ({listed}):",
        f'    if not xp.isdtype({value}.dtype, ("real floating", "integral")):',
        f'        raise ValueError(f"{{{name}}} holds {{{value}.dtype}}, not real numbers")',
    ]


def _size_checks(
    arrays: Sequence[str], symbols: Mapping[str, tuple[Dim, Dim]], names: Mapping[str, str]
) -> list[str]:
    """Lines that raise a ValueError naming the argument, its shape and the dimensions, where an
    array's size differs from a declared one or from the first array with that dimension's name,
    rather than NumPy's error about a product several lines on. A vector is read by its length,
    which a 1-D array and a column share."""
    first: dict[Dim, tuple[str, str]] = {}  # dimension -> (its size's code, the array's name)
    lines: list[str] = []
    for name in arrays:
        variable, shape = names[name], symbols[name]
        axes = (0,) if is_column(shape) else (0, 1)
        tests, sizes, sources = [], [], []
        for axis in axes:
            dim, size = shape[axis], f"{variable}.shape[{axis}]"
            if isinstance(dim, int):
                tests.append(f"{size} != {dim}")
                sizes.append(str(dim))
            elif dim in first:
                known, source = first[dim]
                tests.append(f"{size} != {known}")
                sizes.append(f"{{{known}}}")
                sources += [f"{dim} from {source}"] if source != variable else []
            else:
                first[dim] = (size, variable)
                sizes.append(f"{{{size}}}")
        if not tests:
            continue
        if len(axes) == 1:
            given, wanted = f"{{{size}}} entries", shape[0]
        else:
            given, wanted = f"shape {{tuple({variable}.shape)}}", show(shape)
        if any(isinstance(dim, str) for dim in shape):
            wanted = f"{wanted} = {sizes[0] if len(axes) == 1 else f'({sizes[0]}, {sizes[1]})'}"
        said = f" ({', '.join(sources)})" if sources else ""
        lines += [
            f"if {' or '.join(tests)}:",
            f'    raise ValueError(f"{variable} has {given}, not {wanted}{said}")',
        ]
    return lines


def _summing(name: str, shapes: Shapes) -> str:
    """What a declaration that `name` sums to one asks of its argument: the result used it."""
    if name not in shapes.sum_to_one:
        return ""
    where = "its entries" if is_column(shapes.symbols[name]) else "each of its rows"
    return f", {where} summing to one (as declared; the result holds only then)"


def _kind(shape: tuple[Dim, Dim]) -> str:
    if is_scalar(shape):
        return "scalar (a number, or a 0-d array)"
    if is_column(shape):
        return f"vector of {shape[0]} entries (1-D, or a column)"
    return f"{show(shape)} matrix"

"""Python source for an objective and its gradients, written in array-API calls on `xp`: it runs
on NumPy arrays, and through array-api-compat on PyTorch, JAX, CuPy and other arrays.

The lines that compute values are printing/python_writer.py's; this module writes the function
around them: its parameters, docstring, argument checks and what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matcalc.definitions import Definition
from matcalc.expr import ZERO, Dim, Expr, Func, Number
from matcalc.functions import is_generic
from matcalc.printing.python_writer import Gradient, Writer, inline_temporaries, is_column
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
) -> str:
    """A module defining `name(inputs…)`, which returns f and then each gradient, each in the
    shape of its variable (vectors as 1-D or as columns, as they were given). `computed` is the
    form f is computed from (the objective with its like terms collected exactly, say); the
    objective itself by default. A variable absent from the objective is an input too."""
    inputs = [n for n in symbol_names(objective) if n in shapes.symbols]
    inputs += [g.wrt.name for g in gradients if g.wrt.name not in inputs]
    symbols = {**{g.wrt.name: g.shapes.symbols[g.wrt.name] for g in gradients}, **shapes.symbols}
    shapes = Shapes(symbols, shapes.bindings, shapes.symmetric)
    computed = objective if computed is None else computed
    roots = [
        computed,
        *(g.result for g in gradients),
        *(b.value for g in gradients for b in g.where),
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
    if any("dtype=dtype" in line for line in writer.lines):  # for ones, eye and scalars
        writer.lines.insert(0, f"dtype = {anchors[0]}.dtype")
    parameters = [writer.names[n] for n in inputs]
    if generic:
        parameters += ["*", *writer.callables.values()]
    described = [
        f"    {writer.names[n]}{f' ({n})' * (writer.names[n] != n)}: {_kind(symbols[n])}"
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
    returns = [f"return {', '.join(results)}"]
    if numbers:
        floats = ", ".join(f"float({result})" for result in results)
        returns = [f"if {numbers}:", f"    return {floats}", *returns]
    lines = [
        f'"""f = {text(objective)} and its gradients, written by matcalc."""',
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
        *(f"    {line}" for line in inline_temporaries(writer.lines, writer.temporaries)),
        *(f"    {line}" for line in returns),
    ]
    return "\n".join(lines) + "\n"


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


def _kind(shape: tuple[Dim, Dim]) -> str:
    if is_scalar(shape):
        return "scalar (a number, or a 0-d array)"
    if is_column(shape):
        return f"vector of {shape[0]} entries (1-D, or a column)"
    return f"{show(shape)} matrix"

"""Generated code: f and its gradients as a Python function on any array-API arrays."""

from __future__ import annotations

import ast
import builtins
import keyword
import linecache
import reprlib
from collections.abc import Callable, Sequence
from itertools import count
from types import CodeType, FunctionType, ModuleType
from typing import Any

from matcalc.derivation import Derivation
from matcalc.errors import ErrorKind, MatcalcError
from matcalc.expr import Transpose
from matcalc.limits import deep_recursion
from matcalc.printing.python import python_source
from matcalc.printing.python_writer import Gradient
from matcalc.session import diff, diff_options
from matcalc.session import hessian as hessian_derivation
from matcalc.shapes import Shapes
from matcalc.sharing import needed
from matcalc.simplify import factored_form
from matcalc.traversal import symbol_names


@deep_recursion
def codegen(
    expr: str,
    wrt: str | Sequence[str],
    name: str | None = None,
    *,
    hessian: bool = False,
    direction: str | None = None,
    **options: Any,
) -> str:
    """Python source of `name(inputs…)`, which returns f and df/dW for each W in `wrt`, in that
    order; `options` are diff's (shapes, functions, convention, …).

    With `hessian=True` it returns f, each gradient, then each second derivative, from
    `matcalc.hessian`: d²f/dt² for a scalar t, the Hessian of a column (n×n) or of vec(X) for a
    matrix X (mn×mn, column-major, as Kronecker products); with `direction="V"`, a function
    `hvp(V)` (`hvp_W` for each W, for several) that computes ∇²f[V] in W's shape for any V,
    from the values it shares with f and the gradient, computed once, outside it, so that
    conjugate gradients can call it often. `name` is f_and_grad by default, f_grad_hess or
    f_grad_hvp with `hessian` (None: the default).
    """
    diff_options(options, "codegen")
    several = isinstance(wrt, Sequence) and not isinstance(wrt, str | bytes)
    names = list(wrt) if several else [wrt]  # diff refuses what is not a name
    if not names:
        raise MatcalcError("name at least one variable to differentiate by", ErrorKind.VALUE)
    if hessian is not True and hessian is not False:
        raise MatcalcError(
            f"hessian is True or False, not {reprlib.repr(hessian)}", ErrorKind.VALUE
        )
    if not hessian:
        if direction is not None:
            raise MatcalcError(
                "a direction is for a Hessian-vector product: pass hessian=True too",
                ErrorKind.VALUE,
            )
        return python_function(
            [diff(expr, w, **options) for w in names], "f_and_grad" if name is None else name
        )
    derived = [hessian_derivation(expr, w, direction=direction, **options) for w in names]
    return python_function(derived, _default_name(derived) if name is None else name)


@deep_recursion
def python_function(
    derivations: Derivation | Sequence[Derivation], name: str = "f_and_grad"
) -> str:
    """The source for one derivation, or several of one objective: f from the objective's
    closed form (its like terms collected in exact arithmetic, before any number becomes a
    float), and their factored results, which reuse common factors such as the residual, each
    in its variable's shape. Of second derivatives (matcalc.hessian's), f, the gradients, then
    each Hessian, or each Hessian-vector product as a function of the direction."""
    derivations = _derivations(derivations)
    _check_name(name)
    for derivation in derivations:
        _check_names(derivation.shapes)
    first = derivations[0]
    if first.jacobian_of is not None:
        raise MatcalcError(
            f"code is written for a scalar objective; {first.jacobian_of} is a column",
            ErrorKind.SHAPE,
        )
    _check_one_problem(derivations)
    seconds = [_second(d) for d in derivations if d.gradient is not None]
    if seconds and len(seconds) != len(derivations):
        raise MatcalcError(
            "code is written for gradients or for second derivatives, not both: give each "
            "variable's matcalc.hessian, whose code returns its gradient too",
            ErrorKind.VALUE,
        )
    gradients = [_gradient(d.gradient or d) for d in derivations]
    functions = {k: v for d in derivations for k, v in d.functions.items()}
    computed = factored_form(first.objective, first.shapes)
    return python_source(
        first.objective,
        gradients,
        first.shapes,
        functions,
        name,
        computed=computed,
        seconds=seconds,
    )


def _gradient(derivation: Derivation) -> Gradient:
    """The gradient's factored result in its variable's shape, with the named values it uses
    (not those only the steps use)."""
    result = derivation.factored()
    if derivation.layout == "numerator":
        result = Transpose(result)
    return Gradient(derivation.wrt, result, needed(result, derivation.where), derivation.shapes)


def _second(derivation: Derivation) -> Gradient:
    """A second derivative's factored result, ∇²f[V] in the variable's shape; its named values
    and the gradient's share their names, so that each shared value is computed once."""
    # the Kronecker form is written as it is: it is one already, and has no expanded form
    result = derivation.result if derivation.vectorised else derivation.factored()
    direction = derivation.direction if derivation.kind == "Hessian-vector product" else None
    if direction is not None and direction.name in symbol_names(derivation.objective):
        raise MatcalcError(
            f"the direction {direction} is a symbol of the objective: name another, such as "
            f"{direction}1, so that the Hessian-vector product is a function of it alone",
            ErrorKind.NAME,
        )
    if direction is not None and derivation.layout == "numerator":
        result = Transpose(result)
    where = needed(result, derivation.where)
    return Gradient(derivation.wrt, result, where, derivation.shapes, direction)


def _default_name(derivations: Sequence[Derivation]) -> str:
    """f_and_grad for gradients, f_grad_hvp for Hessian-vector products, else f_grad_hess."""
    kinds = {d.kind for d in derivations}
    if kinds <= {"gradient", "Jacobian"}:
        return "f_and_grad"
    return "f_grad_hvp" if kinds == {"Hessian-vector product"} else "f_grad_hess"


def _derivations(given: object) -> list[Derivation]:
    """One Derivation, or a list or tuple of them, as a list; anything else is refused."""
    found = [given] if isinstance(given, Derivation) else given
    if not isinstance(found, list | tuple):
        raise MatcalcError(
            f"code is written from a Derivation or a list of them, not {reprlib.repr(given)}",
            ErrorKind.VALUE,
        )
    if not found:
        raise MatcalcError("code needs at least one derivation", ErrorKind.VALUE)
    strangers = [d for d in found if not isinstance(d, Derivation)]
    if strangers:
        raise MatcalcError(
            f"code is written from Derivations (matcalc.diff's), not {reprlib.repr(strangers[0])}",
            ErrorKind.VALUE,
        )
    return list(found)


def _check_one_problem(derivations: Sequence[Derivation]) -> None:
    """The derivations must share the objective, its symbols' shapes and its functions: the
    code computes f once, from the first."""
    first = derivations[0]
    names = symbol_names(first.objective)

    def declared(d: Derivation) -> tuple[object, ...]:
        symmetric = d.shapes.symmetric & set(names)
        return tuple(d.shapes.symbols.get(n) for n in names), symmetric

    for derivation in derivations[1:]:
        if derivation.objective != first.objective:
            differ = "objectives"
        elif dict(derivation.functions) != dict(first.functions):
            differ = "functions (functions=)"
        elif declared(derivation) != declared(first):
            differ = "shapes"
        else:
            continue
        raise MatcalcError(
            f"code is written for derivations of one objective, with the same shapes and "
            f"functions; these have different {differ}",
            ErrorKind.VALUE,
        )


def _check_name(name: object) -> None:
    """The function's name must be a Python identifier that the code does not use itself."""
    if (
        not isinstance(name, str)
        or not name.isidentifier()
        or keyword.iskeyword(name)
        or name == "array_namespace"
    ):
        raise MatcalcError(
            f"{reprlib.repr(name)} is not a Python name for the function", ErrorKind.VALUE
        )


def _check_names(shapes: Shapes) -> None:
    """The code writes symbol names as its variables and dimension names into its docstring
    and messages: each must be a name (the parser and declarations see to it; nodes or a
    Shapes built by hand may hold anything, which must not reach compiled code)."""
    for symbol, shape in shapes.symbols.items():
        if not (isinstance(symbol, str) and symbol.isidentifier()):
            raise MatcalcError(
                f"{reprlib.repr(symbol)} is not a name that code can hold", ErrorKind.NAME
            )
        for dim in shape:
            if not (isinstance(dim, int) or (isinstance(dim, str) and dim.isidentifier())):
                raise MatcalcError(
                    f"{symbol}: a dimension is a positive integer or a name, not "
                    f"{reprlib.repr(dim)}",
                    ErrorKind.SHAPE,
                )


_compiled = count(1)


@deep_recursion
def to_function(
    derivations: Derivation | Sequence[Derivation], name: str = "f_and_grad"
) -> Callable[..., Any]:
    """The function that `python_function` writes, ready to call: f and the gradient of one
    Derivation, or of each of several (and their second derivatives, for matcalc.hessian's).
    Its source is its `__matcalc_source__`, and tracebacks show its lines."""
    source = python_function(derivations, name)
    filename = f"<matcalc generated {name} #{next(_compiled)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = _audited(source, filename)
    # The one place matcalc compiles code: the source it has just written from expression
    # nodes, audited above. Nothing at its top level runs: the function is made from its
    # compiled body, with the modules its imports name (tests/test_no_eval.py checks both).
    module = compile(tree, filename, "exec")
    body = next(c for c in module.co_consts if isinstance(c, CodeType) and c.co_name == name)
    function = FunctionType(body, _imported(tree), name)
    function.__dict__["__matcalc_source__"] = source
    return function


_IMPORTS = frozenset({"numpy", "array_api_compat"})
"""The modules generated code imports."""

_BUILTINS = frozenset(
    {"ValueError", "all", "float", "getattr", "int", "isinstance", "len", "tuple", "type"}
)
"""The builtins generated code uses: the only ones its namespace holds, beside the import
machinery its audited imports need."""

_CALLS = _BUILTINS | {"array_namespace"}
"""The functions generated code calls by name, beside its own parameters (g, g_prime)."""

_STATEMENTS = (
    ast.FunctionDef,
    ast.Expr,
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.If,
    ast.For,
    ast.Raise,
    ast.Return,
)
"""The statements generated code is made of."""


def _audited(source: str, filename: str) -> ast.Module:
    """The generated source as a tree, refused unless it holds only what the code writer
    writes: its statements (a function may define another, such as `hvp(V)`), its imports,
    calls of its functions, of the callables the top-level function takes and of array
    methods, no dunder names but `type(…).__name__`, nothing run when the function is made."""
    tree = ast.parse(source, filename)
    parameters = {  # a nested function's parameters are arrays, never called
        found.arg
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        for found in (*node.args.args, *node.args.kwonlyargs)
    }
    for node in ast.walk(tree):
        if (problem := _unwritten(node, parameters)) is not None:
            raise MatcalcError(
                f"the generated code holds {problem}, which matcalc does not write: nothing "
                "was run",
                ErrorKind.VALUE,
            )
    return tree


def _unwritten(node: ast.AST, parameters: set[str]) -> str | None:
    """What in `node` the code writer never writes, if anything."""
    match node:
        case ast.stmt() if not isinstance(node, _STATEMENTS):
            return f"a {type(node).__name__} statement"
        case ast.Import(names) if any(alias.name not in _IMPORTS for alias in names):
            return f"the import {ast.unparse(node)!r}"
        case ast.ImportFrom(module=found) if found not in _IMPORTS:
            return f"the import {ast.unparse(node)!r}"
        case ast.FunctionDef(args=arguments, decorator_list=decorators) if (
            arguments.defaults or any(arguments.kw_defaults) or decorators
        ):
            return "default values or decorators, run when the function is made"
        case ast.Call(func=ast.Name(id=called)) if called not in _CALLS | parameters:
            return f"a call of {called}"
        case ast.Name(id=found) | ast.Attribute(attr=found) if (
            found.startswith("__") and found != "__name__"
        ):
            return f"the name {found}"
        case ast.Lambda() | ast.NamedExpr() | ast.Await() | ast.Yield() | ast.YieldFrom():
            return f"a {type(node).__name__}"
    return None


def _imported(tree: ast.Module) -> dict[str, Any]:
    """The namespace the generated function runs in: the audited imports' modules and names,
    bound as its import statements would bind them, and of the builtins only those it uses
    (and `__import__` for the audited imports inside its body)."""
    allowed = {found: getattr(builtins, found) for found in [*_BUILTINS, "__import__"]}
    namespace: dict[str, Any] = {"__name__": "matcalc.generated", "__builtins__": allowed}
    for node in tree.body:
        match node:
            case ast.Import(names):
                for alias in names:
                    namespace[alias.asname or alias.name] = _module(alias.name)
            case ast.ImportFrom(module=str(found), names=names):
                for alias in names:
                    namespace[alias.asname or alias.name] = getattr(_module(found), alias.name)
    return namespace


def _module(name: str) -> ModuleType:
    """One of the modules in _IMPORTS, loaded when code that imports it is made."""
    if name == "numpy":
        import numpy

        return numpy
    import array_api_compat

    return array_api_compat

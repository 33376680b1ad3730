"""Judging in the parent: the sandbox returns plain data, and pass/fail is decided here.

Nothing from the candidate's process is trusted beyond "this is what the call returned":
values are rebuilt from JSON into exact built-in types (and NumPy arrays), so no object of the
candidate's can take part in a comparison with its own __eq__; the expected values and the
checks never enter the sandbox.
"""

from __future__ import annotations

import base64
import math
from typing import Any

REPR_LIMIT = 300
UNSUPPORTED_HINT = "return plain data: numbers, strings, lists, tuples, dicts, sets or NumPy arrays"


class Unsupported(Exception):
    """The sandbox reported (or sent) a value that is not plain data."""


def decode(data: Any) -> Any:
    """The value a call returned, from its JSON form; raises Unsupported."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v) for v in data]
    if type(data) is not dict:
        raise Unsupported("a malformed value")
    tag = data.get("$")
    # Untrusted wire data of any shape; a wrong shape fails below as TypeError/ValueError.
    value: Any = data.get("v")
    try:
        if tag == "tuple":
            return tuple(decode(v) for v in value)
        if tag == "dict":
            return {decode(k): decode(v) for k, v in value}
        if tag == "set":
            return {decode(v) for v in value}
        if tag == "frozenset":
            return frozenset(decode(v) for v in value)
        if tag == "complex":
            return complex(float(value[0]), float(value[1]))
        if tag == "bytes":
            return base64.b64decode(value)
        if tag == "ndarray":
            return _array(data)
        if tag == "npscalar":
            import numpy

            return numpy.dtype(_dtype(data.get("dtype"))).type(decode(value))
    except Unsupported:
        raise
    except (TypeError, ValueError, KeyError, OverflowError):
        raise Unsupported("a malformed value") from None
    if tag == "unsupported":
        raise Unsupported(f"an unsupported type `{str(data.get('type'))[:80]}`")
    raise Unsupported("a malformed value")


def _dtype(text: object) -> str:
    import numpy

    if not isinstance(text, str) or numpy.dtype(text).kind not in "biufcUS":
        raise Unsupported("an array of an unsupported dtype")
    return text


def _array(data: dict) -> Any:
    import numpy

    dtype = numpy.dtype(_dtype(data.get("dtype")))
    shape = tuple(int(n) for n in data.get("shape", ()))
    values = data.get("v")
    if dtype.kind in "cS":
        values = decode(values)
    array = numpy.array(values, dtype=dtype)
    if array.size != math.prod(shape):
        raise Unsupported("a malformed array")
    return array.reshape(shape)


def show(value: Any) -> str:
    """repr of a (decoded, trusted) value, truncated."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is a dependency
        text = repr(value)
    else:
        with numpy.printoptions(threshold=50, edgeitems=3, precision=6):
            text = repr(value)
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "..."


def same(got: Any, want: Any, tol: float | None, depth: int = 0) -> tuple[bool, str]:
    """(equal?, why not). Arrays: shape then allclose; floats: isclose; containers: recursive.
    Both sides are decoded plain data, so == here is the built-in types' own."""
    if depth > 80:
        return got == want, ""
    numpy = _numpy()
    tol_f = 1e-6 if tol is None else tol
    if numpy is not None and (isinstance(want, numpy.ndarray) or isinstance(got, numpy.ndarray)):
        try:
            got_a, want_a = numpy.asarray(got), numpy.asarray(want)
        except Exception:
            return False, f"expected an array, got {type(got).__name__}"
        if got_a.shape != want_a.shape:
            return False, f"shape {got_a.shape}, expected {want_a.shape}"
        numeric = "biufc"
        if got_a.dtype.kind in numeric and want_a.dtype.kind in numeric:
            if want_a.dtype.kind in "fc" or got_a.dtype.kind in "fc":
                ok = bool(numpy.allclose(got_a, want_a, rtol=tol_f, atol=tol_f, equal_nan=True))
            else:
                ok = bool(numpy.array_equal(got_a, want_a))
            return ok, "" if ok else "values differ"
        try:
            return bool(numpy.array_equal(got_a, want_a)), ""
        except Exception:
            return False, ""
    if _is_number(want) and _is_number(got):
        if _is_bool(want) or _is_bool(got):
            return _is_bool(want) and _is_bool(got) and bool(got) == bool(want), ""
        if _is_float(want) or _is_float(got):
            g, w = complex(got), complex(want)
            if math.isnan(w.real) and math.isnan(g.real):
                return True, ""
            return abs(g - w) <= tol_f + tol_f * abs(w), ""
        return got == want, ""
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        if len(got) != len(want):
            return False, f"length {len(got)}, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            ok, why = same(g, w, tol, depth + 1)
            if not ok:
                return False, f"item {i}: {why}" if why else f"item {i} differs"
        return True, ""
    if isinstance(want, dict) and isinstance(got, dict):
        if set(got) != set(want):
            return False, f"keys {sorted(map(str, got))}, expected {sorted(map(str, want))}"
        for key in want:
            ok, why = same(got[key], want[key], tol, depth + 1)
            if not ok:
                return False, f"[{key!r}]: {why}" if why else f"[{key!r}] differs"
        return True, ""
    try:
        return bool(got == want), ""
    except Exception:
        return False, ""


def _numpy():
    import sys

    return sys.modules.get("numpy")


def _is_number(value: object) -> bool:
    numpy = _numpy()
    if isinstance(value, (int, float, complex)):
        return True
    return numpy is not None and isinstance(value, numpy.number | numpy.bool_)


def _is_bool(value: object) -> bool:
    numpy = _numpy()
    return isinstance(value, bool) or (numpy is not None and isinstance(value, numpy.bool_))


def _is_float(value: object) -> bool:
    numpy = _numpy()
    if isinstance(value, (float, complex)):
        return True
    return numpy is not None and isinstance(value, numpy.floating | numpy.complexfloating)


def trusted_namespace(setup: str, reference: str) -> dict:
    """The problem's setup and reference solution, run here for checks: helpers such as
    `_is_order`, and checks that call the function (a finite-difference gradient check calls
    the reference's loss, never the candidate's code)."""
    namespace: dict = {"__name__": "__judge__", "__builtins__": __builtins__}
    if setup:
        exec(compile(setup, "<setup>", "exec"), namespace)
    exec(compile(reference, "<reference>", "exec"), namespace)
    return namespace


def run_check(check: str, namespace: dict, result: Any, args: Any) -> tuple[bool, str | None]:
    """(holds?, why not) for a check expression over `result` and `args`."""
    try:
        scope = {**namespace, "result": result, "args": tuple(args) if args is not None else ()}
        return bool(eval(compile(check, "<check>", "eval"), scope)), None
    except Exception as err:  # a result of the wrong shape can make the check raise
        return False, f"the check raised {type(err).__name__}: {str(err)[:200]}"

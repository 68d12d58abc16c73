"""`--invoke NAME ARGS...`: arguments parsed as the wasmtime CLI parses them, and the call's outcome."""

from __future__ import annotations

from collections.abc import Sequence

import wasmtime

from wasmdbg.errors import WasmdbgError
from wasmdbg.runner.outcome import classify
from wasmdbg.runner.protocol import ARITY, BAD_ARGUMENT, NO_EXPORT, RETURNED, Outcome

_INT_BITS = {"i32": 32, "i64": 64}


class InvokeError(WasmdbgError):
    """A call that cannot be made: no such export, the wrong number of arguments, an argument that does not fit."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
        """NO_EXPORT, ARITY or BAD_ARGUMENT (the protocol's error kinds)."""


class InvokeArgumentError(InvokeError):
    """An --invoke argument that does not fit the parameter's type; a usage error."""

    def __init__(self, message: str) -> None:
        super().__init__(message, BAD_ARGUMENT)


def parse_argument(text: str, val_type: str) -> object:
    """One argument for a parameter of type `val_type` (`i32`, `i64`, `f32`, `f64`).

    Integers are decimal or `0x` hex, negative or not; a value that fits the unsigned range is
    reinterpreted as signed, as two's complement. Floats accept `nan`, `inf` and `-inf`.
    """
    if val_type in _INT_BITS:
        bits = _INT_BITS[val_type]
        body = text[1:] if text.startswith("-") else text
        try:
            value = int(body[2:], 16) if body[:2].lower() == "0x" else int(body, 10)
        except ValueError:
            raise InvokeArgumentError(f"{text!r} is not an {val_type} (decimal or 0x hex)") from None
        value = -value if text.startswith("-") else value
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise InvokeArgumentError(f"{text} does not fit in an {val_type}")
        return value - (1 << bits) if value >= 1 << (bits - 1) else value
    if val_type in ("f32", "f64"):
        try:
            return float(text)
        except ValueError:
            raise InvokeArgumentError(f"{text!r} is not an {val_type} (a decimal, nan, inf or -inf)") from None
    raise InvokeArgumentError(f"parameters of type {val_type} cannot be given on the command line")


def call_export(store: wasmtime.Store, instance: wasmtime.Instance, name: str, arguments: Sequence[object]) -> Outcome:
    """Call an exported function; any way the call ends becomes an Outcome.

    Raises:
        InvokeError: no such exported function, or the wrong number of arguments.
    """
    export = instance.exports(store).get(name)
    if not isinstance(export, wasmtime.Func):
        raise InvokeError(f"the module exports no function named {name!r}", NO_EXPORT)
    params = export.type(store).params
    if len(params) != len(arguments):
        raise InvokeError(f"{name} takes {len(params)} argument(s), {len(arguments)} given", ARITY)
    try:
        result = export(store, *arguments)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
        return classify(error)
    values = () if result is None else tuple(result) if isinstance(result, list | tuple) else (result,)
    # Numbers as they are; references and other host objects as their repr, so the outcome stays plain data.
    results = tuple(v if isinstance(v, int | float | str) or v is None else repr(v) for v in values)
    return Outcome(RETURNED, results=results)


def parse_arguments(func_type: wasmtime.FuncType, texts: Sequence[str], name: str = "the function") -> list[object]:
    """All arguments of an invoke, checked against the function's parameter types."""
    params = [str(p) for p in func_type.params]
    if len(params) != len(texts):
        types = f" ({', '.join(params)})" if params else ""
        raise InvokeError(f"{name} takes {len(params)} argument(s){types}, {len(texts)} given", ARITY)
    return [parse_argument(text, param) for text, param in zip(texts, params)]

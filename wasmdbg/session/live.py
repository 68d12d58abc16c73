"""One supervised run: the agent started, its events gathered, frames symbolized, a report built."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wasmdbg.explanation import explain
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.runner.client import Agent
from wasmdbg.runner.limits import RunLimits, memory_cap_hit
from wasmdbg.runner.sandbox import DirGrant
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer
from wasmdbg.wasm.files import read_module_file
from wasmdbg.wasm.module import WasmModule, read_module

PAGE = 65536

# Exit statuses of `wasmdbg run`, as the wasmtime CLI: the guest's code, 134 for any trap.
TRAP_EXIT = 134


@dataclass(frozen=True)
class RunRequest:
    """What to run and how."""

    module: str
    args: Sequence[str] = ()
    argv0: str | None = None
    env: Sequence[tuple[str, str]] = ()
    dirs: Sequence[DirGrant] = ()
    stdin: str | None = None
    limits: RunLimits = field(default_factory=RunLimits)
    invoke: str | None = None
    invoke_args: Sequence[str] = ()
    unknown_imports_trap: bool = False
    symbolize: SymbolizeOptions = field(default_factory=SymbolizeOptions)


def exit_status(outcome: str, exit_code: int | None) -> int:
    """The process exit status for an outcome, as wasmtime's CLI gives it."""
    if outcome == "exited":
        return exit_code if exit_code is not None else 0
    if outcome == "returned":
        return 0
    if outcome in ("trapped", "timeout", "interrupted"):
        return TRAP_EXIT
    return 1


def run(request: RunRequest, on_output: Callable[[str, bytes], None] | None = None) -> dict[str, Any]:
    """Run the module in an agent and return the report (the `wasmdbg run --format json` shape).

    Raises:
        WasmdbgError: the module file cannot be read or is malformed.
    """
    data = read_module_file(request.module)
    module = read_module(data)
    argv = [request.argv0 or os.path.basename(request.module), *request.args]
    limits = request.limits
    samples: list[dict[str, Any]] = []
    streams: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
    with Agent() as agent:
        agent.send(
            "start",
            module=os.path.abspath(request.module),
            argv=argv,
            env=[list(p) for p in request.env],
            dirs=[{"host": d.host, "guest": d.guest, "writable": d.writable} for d in request.dirs],
            stdin=request.stdin,
            limits={
                "max_memory_bytes": limits.max_memory_bytes,
                "fuel": limits.fuel,
                "timeout_s": limits.timeout_s,
                "max_wasm_stack": limits.max_wasm_stack,
            },
            invoke=None if request.invoke is None else {"name": request.invoke, "args": list(request.invoke_args)},
            unknown_imports_trap=request.unknown_imports_trap,
        )
        outcome: dict[str, Any] = {}
        for event in agent.events():
            kind = event.get("ev")
            if kind == "sample":
                pages = event.get("memory_pages") or [None]
                samples.append({"t": event["t"], "memory_pages": pages[0], "fuel_consumed": event.get("fuel_consumed")})
            elif kind == "output":
                chunk = base64.b64decode(event["data"])
                streams[event["stream"]] += chunk
                if on_output is not None:
                    on_output(event["stream"], chunk)
            elif kind == "outcome":
                outcome = event
    symbolizer = Symbolizer.for_module(module, request.module, request.symbolize)
    raw_frames = outcome.get("frames") or []
    symbolized = [_frames(symbolizer, f) for f in raw_frames]
    pages = (outcome.get("memory_pages") or [None])[0]
    peak = (outcome.get("peak_pages") or [None])[0]
    hits = _limits_hit(outcome, limits, peak)
    report: dict[str, Any] = {
        "outcome": outcome.get("outcome"),
        "exit_code": outcome.get("exit_code"),
        "results": outcome.get("results"),
        "trap": None,
        "explanation": "",
        "frames": [
            {"func_index": raw[0], "module_offset": raw[1], **_frame_json(frame)}
            for raw, frames in zip(raw_frames, symbolized)
            for frame in frames
        ],
        "frames_truncated": bool(outcome.get("frames_truncated")),
        "fuel_consumed": outcome.get("fuel_consumed"),
        "memory": {"pages": pages, "peak_pages": peak, "limit_bytes": limits.max_memory_bytes},
        "limits": limits.to_json(),
        "limits_hit": hits,
        "samples": samples,
        "stdout": streams["stdout"].decode("utf-8", "replace"),
        "stderr": streams["stderr"].decode("utf-8", "replace"),
        "stdout_dropped": outcome.get("stdout_dropped", 0),
        "stderr_dropped": outcome.get("stderr_dropped", 0),
        "duration_s": outcome.get("duration_s"),
        "module": {"path": request.module, "sha256": hashlib.sha256(data).hexdigest()},
        "notes": list(symbolizer.notes),
        "message": outcome.get("message"),
    }
    if outcome.get("outcome") in ("trapped",):
        report["trap"] = {
            "kind": outcome.get("trap_kind"),
            "message": outcome.get("message"),
            "fault_address": outcome.get("fault_address"),
            "memory_size": outcome.get("memory_size"),
        }
    report["explanation"] = _explain(outcome, symbolized, module, report["stderr"], limits)
    report["exit_status"] = exit_status(str(outcome.get("outcome")), outcome.get("exit_code"))
    return report


def _frames(symbolizer: Symbolizer, raw: Sequence[Any]) -> list[SourceFrame]:
    func_index, offset = raw[0], raw[1]
    if offset is None:  # wasmtime could not place this frame (e.g. the stack-overflow probe)
        return [symbolizer.function_name(func_index)]
    return list(symbolizer.symbolize(offset).frames) or [symbolizer.function_name(func_index)]


def _frame_json(frame: SourceFrame) -> dict[str, Any]:
    data = frame.to_json()
    data.pop("linkage_name", None)
    return data


def _limits_hit(outcome: dict[str, Any], limits: RunLimits, peak_pages: int | None) -> list[str]:
    hits = []
    if peak_pages is not None and memory_cap_hit(peak_pages * PAGE, limits.max_memory_bytes):
        hits.append("memory")
    if outcome.get("trap_kind") == "out_of_fuel":
        hits.append("fuel")
    if outcome.get("outcome") == "timeout":
        hits.append("timeout")
    return hits


def _explain(
    outcome: dict[str, Any], frames: list[list[SourceFrame]], module: WasmModule, stderr: str, limits: RunLimits
) -> str:
    return explain(outcome, frames, module, stderr=stderr, limits=limits)

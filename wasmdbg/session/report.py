"""The run report: everything known about how a run ended, built once, with a versioned JSON schema.

`RunReport` is what `wasmdbg run --format json` prints and `--report PATH` writes, and what the
views render: it carries the stack already symbolized, the user's frame already chosen and the
source around it already read, so a renderer never looks up a key or opens a file. The JSON keys
of format 1 are a contract with scripts: keys are only ever added.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wasmdbg.errors import WasmdbgError
from wasmdbg.facts import WASM_PAGE_BYTES
from wasmdbg.findings import Finding
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import RunLimits
from wasmdbg.session.stops import BreakpointStop, stop_json, variables_json
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.sources import SourceExcerpt, SourceMissing
from wasmdbg.symbols.stack import StackFrame

REPORT_FORMAT = 1
"""Version of the report's JSON; a reader refuses a newer one rather than misread it."""

TRAP_EXIT = 134
"""Exit status after any trap, as the wasmtime CLI (and a C abort()) gives."""

MEMORY, FUEL, TIMEOUT_HIT = "memory", "fuel", "timeout"
"""What `limits_hit` may name."""
SAVED_NOTE = "saved_note"
"""The kind of a note read back from a saved report (its wording is as it was saved)."""


class ReportFormatError(WasmdbgError):
    """A saved report that cannot be read: not a report, damaged, or from a newer wasmdbg."""


def exit_status(outcome: str, exit_code: int | None) -> int:
    """The process exit status for an outcome, as wasmtime's CLI gives it."""
    if outcome == p.EXITED:
        return exit_code if exit_code is not None else 0
    if outcome in (p.RETURNED, p.BREAKPOINT):
        return 0
    if outcome in (p.TRAPPED, p.TIMEOUT, p.INTERRUPTED):
        return TRAP_EXIT
    return 1


@dataclass(frozen=True, slots=True)
class Trap:
    """What wasmtime said about a trap."""

    kind: str | None
    message: str | None
    fault_address: int | None = None
    memory_size: int | None = None


@dataclass(frozen=True, slots=True)
class MemoryUse:
    """Linear memory 0 at the end of the run against the cap."""

    pages: int | None
    peak_pages: int | None
    limit_bytes: int | None
    page_bytes: int = WASM_PAGE_BYTES

    @property
    def peak_bytes(self) -> int | None:
        """The peak in bytes, or None when unknown."""
        return None if self.peak_pages is None else self.peak_pages * self.page_bytes


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """Which module ran: where it was and what it was."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class UserFrameRef:
    """Where in the stack the user's own code is: the frame the report shows the source of."""

    frame: int
    """Index of the physical frame in `RunReport.stack`."""
    source: int
    """Index of the source frame within it (0 is the innermost inlined frame)."""


@dataclass(frozen=True)
class RunReport:
    """How a run ended, and everything a view needs to show it."""

    outcome: str
    """One of runner.protocol.OUTCOMES."""
    module: ModuleRef
    limits: RunLimits
    exit_code: int | None = None
    results: tuple[int | float | str | None, ...] | None = None
    trap: Trap | None = None
    message: str | None = None
    error_kind: str | None = None
    """For outcome "error": why the run could not start (runner.protocol's NO_START, ...)."""
    abort: p.AbortCall | None = None
    """What the guest passed to AssemblyScript's `abort` import, when that ended the run."""
    explanation: str = ""
    stack: tuple[StackFrame, ...] = ()
    """Physical frames, innermost first, each with its source frames."""
    frames_truncated: bool = False
    user_frame: UserFrameRef | None = None
    source: SourceExcerpt | SourceMissing | None = None
    """The source around the user's frame, or why it could not be shown; None without a located frame."""
    fuel_consumed: int | None = None
    fuel_exact: bool = True
    memory: MemoryUse = field(default_factory=lambda: MemoryUse(None, None, None))
    limits_hit: tuple[str, ...] = ()
    samples: tuple[p.Sample, ...] = ()
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_dropped: int = 0
    stderr_dropped: int = 0
    duration_s: float | None = None
    notes: tuple[Finding, ...] = ()
    """Why debug information was not used, and the like; worded without command-line flags."""
    ended_by_parent: bool = False
    format: int = REPORT_FORMAT
    fuel_metered: bool | None = None
    """Whether fuel was metered (`-W fuel=N`, or the app); None when unknown (a coredump, a run that
    never started). Unmetered, `fuel_consumed` is None and `fuel_exact` False."""
    cpu_time_s: float | None = None
    """CPU seconds the guest's thread used while the guest ran, compilation excluded; None when unknown."""
    stop: BreakpointStop | None = None
    """For outcome "breakpoint": where the guest was held, and its frames' variables."""

    @property
    def exit_status(self) -> int:
        """What `wasmdbg run` exits with."""
        return exit_status(self.outcome, self.exit_code)

    @property
    def frames(self) -> tuple[tuple[int, StackFrame, SourceFrame], ...]:
        """(physical index, physical frame, source frame) for every source frame, innermost first."""
        return tuple((i, frame, source) for i, frame in enumerate(self.stack) for source in frame.sources)

    @property
    def user_source_frame(self) -> SourceFrame | None:
        """The user's frame, if one was found."""
        ref = self.user_frame
        return None if ref is None else self.stack[ref.frame].sources[ref.source]

    @property
    def stdout_text(self) -> str:
        """stdout decoded (undecodable bytes as U+FFFD)."""
        return self.stdout.decode("utf-8", "replace")

    @property
    def stderr_text(self) -> str:
        """stderr decoded (undecodable bytes as U+FFFD)."""
        return self.stderr.decode("utf-8", "replace")

    # -- JSON -----------------------------------------------------------------------------------

    def to_json(self, describe: Callable[[Finding], str] = str) -> dict[str, Any]:
        """The `wasmdbg run --format json` object (format 1's keys, then the additions).

        Args:
            describe: how a note is worded (the CLI adds the flag that helps).
        """
        flat = self.frames
        user = self.user_frame
        # Its index in `frames`: the source frames of the physical frames before it, then its own position.
        user_index = None if user is None else sum(len(f.sources) for f in self.stack[: user.frame]) + user.source
        trap = self.trap
        stop = self.stop
        per_frame = {} if stop is None else {v.frame: variables_json(v) for v in stop.variables}
        return {
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "results": None if self.results is None else list(self.results),
            "trap": None if trap is None else {
                "kind": trap.kind, "message": trap.message, "fault_address": trap.fault_address,
                "memory_size": trap.memory_size,
            },  # fmt: skip
            "explanation": self.explanation,
            "frames": [
                {
                    "func_index": frame.func_index, "module_offset": frame.module_offset, **_source_json(source), "frame": i,
                    **({"variables": per_frame.get(i) if source is frame.sources[0] else None} if stop is not None else {}),
                }
                for i, frame, source in flat
            ],
            "frames_truncated": self.frames_truncated,
            "fuel_consumed": self.fuel_consumed,
            "memory": {
                "pages": self.memory.pages, "peak_pages": self.memory.peak_pages,
                "limit_bytes": self.memory.limit_bytes, "page_bytes": self.memory.page_bytes,
            },  # fmt: skip
            "limits": self.limits.to_json(),
            "limits_hit": list(self.limits_hit),
            "samples": [_sample_json(s) for s in self.samples],
            "stdout": self.stdout_text,
            "stderr": self.stderr_text,
            "stdout_dropped": self.stdout_dropped,
            "stderr_dropped": self.stderr_dropped,
            "duration_s": self.duration_s,
            "module": {"path": self.module.path, "sha256": self.module.sha256},
            "notes": [describe(note) for note in self.notes],
            "message": self.message,
            # Additions to format 1's first shape:
            "format": self.format,
            "exit_status": self.exit_status,
            "error_kind": self.error_kind,
            "fuel_exact": self.fuel_exact,
            "output_encoding": OUTPUT_ENCODING,
            "stdout_base64": _exact_bytes(self.stdout),
            "stderr_base64": _exact_bytes(self.stderr),
            "user_frame": user_index,
            "source": _excerpt_json(self.source),
            "ended_by_parent": self.ended_by_parent,
            "fuel_metered": self.fuel_metered,
            "cpu_time_s": self.cpu_time_s,
            **({"breakpoint": stop_json(stop)} if stop is not None else {}),
            **({"abort": _abort_json(self.abort)} if self.abort is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunReport:
        """A report read back from `to_json`'s output (as `--report` writes it).

        Raises:
            ReportFormatError: not a report, damaged, or of a newer format.
        """
        try:
            return _from_json(data)
        except ReportFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise ReportFormatError(f"not a wasmdbg run report ({type(error).__name__}: {error})") from None


OUTPUT_ENCODING = (
    "stdout and stderr are UTF-8 with undecodable bytes replaced by U+FFFD; "
    "stdout_base64 and stderr_base64 hold the exact bytes when any were replaced (else null)"
)


def _exact_bytes(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii")
    return None


def _source_json(frame: SourceFrame) -> dict[str, Any]:
    data = frame.to_json()
    # Format 1 listed linkage_name last, as an addition.
    data["linkage_name"] = data.pop("linkage_name")
    return data


def _sample_json(sample: p.Sample) -> dict[str, Any]:
    return {
        "t": sample.t_s,
        "memory_pages": sample.memory_pages[0] if sample.memory_pages else None,
        "fuel_consumed": sample.fuel_consumed,
        "memory_pages_all": list(sample.memory_pages),
        "fuel_stale_s": sample.fuel_stale_s,
        "page_bytes": list(sample.page_bytes),
    }


def _excerpt_json(source: SourceExcerpt | SourceMissing | None) -> dict[str, Any] | None:
    if isinstance(source, SourceExcerpt):
        return {"file": source.file, "path": source.path, "line": source.line,
                "lines": [{"line": n, "text": text} for n, text in source.lines]}  # fmt: skip
    if isinstance(source, SourceMissing):
        return {"file": source.file, "missing": source.kind, "reason": source.message}
    return None


def _bytes_of(data: Mapping[str, Any], stream: str) -> bytes:
    exact = data.get(f"{stream}_base64")
    if exact:
        return base64.b64decode(str(exact), validate=True)
    return str(data.get(stream) or "").encode("utf-8")


def _from_json(data: Mapping[str, Any]) -> RunReport:
    if not isinstance(data, Mapping) or "outcome" not in data:
        raise ReportFormatError("not a wasmdbg run report (no outcome)")
    version = int(data.get("format", 1))
    if version > REPORT_FORMAT:
        raise ReportFormatError(
            f"this report has format {version}, newer than this wasmdbg reads ({REPORT_FORMAT}): upgrade wasmdbg"
        )
    stack: list[StackFrame] = []
    flat_index: list[tuple[int, int]] = []
    previous: object = None
    for entry in data.get("frames") or []:
        source = SourceFrame(
            entry.get("function"), entry.get("linkage_name"), entry.get("file"), entry.get("line"), entry.get("column"),
            bool(entry.get("inlined")), str(entry.get("source") or "index"),
        )  # fmt: skip
        key = entry.get("frame")
        # Reports without `frame`: an inlined source frame belongs with the next one (its caller).
        same = key == previous if key is not None else bool(stack) and stack[-1].sources[-1].inlined
        if stack and same:
            last = stack[-1]
            stack[-1] = StackFrame(last.func_index, last.module_offset, (*last.sources, source))
        else:
            stack.append(StackFrame(entry.get("func_index"), entry.get("module_offset"), (source,)))
        flat_index.append((len(stack) - 1, len(stack[-1].sources) - 1))
        previous = key
    user = data.get("user_frame")
    user_ref = UserFrameRef(*flat_index[int(user)]) if isinstance(user, int) and 0 <= user < len(flat_index) else None
    trap = data.get("trap")
    memory = data.get("memory") or {}
    limits = data.get("limits") or {}
    module = data.get("module") or {}
    return RunReport(
        outcome=str(data["outcome"]),
        module=ModuleRef(str(module.get("path") or ""), str(module.get("sha256") or "")),
        limits=RunLimits(
            max_memory_bytes=limits.get("max-memory-size"), fuel=limits.get("fuel"),
            timeout_s=limits.get("timeout"), max_wasm_stack=limits.get("max-wasm-stack"),
        ),  # fmt: skip
        exit_code=data.get("exit_code"),
        results=None if data.get("results") is None else tuple(data["results"]),
        trap=None if not trap else Trap(trap.get("kind"), trap.get("message"), trap.get("fault_address"), trap.get("memory_size")),
        message=data.get("message"),
        error_kind=data.get("error_kind"),
        abort=_abort_from_json(data.get("abort")),
        explanation=str(data.get("explanation") or ""),
        stack=tuple(stack),
        frames_truncated=bool(data.get("frames_truncated")),
        user_frame=user_ref,
        source=_excerpt_from_json(data.get("source")),
        fuel_consumed=data.get("fuel_consumed"),
        fuel_exact=bool(data.get("fuel_exact", True)),
        memory=MemoryUse(memory.get("pages"), memory.get("peak_pages"), memory.get("limit_bytes"),
                         int(memory.get("page_bytes") or WASM_PAGE_BYTES)),  # fmt: skip
        limits_hit=tuple(data.get("limits_hit") or ()),
        samples=tuple(_sample_from_json(s) for s in data.get("samples") or ()),
        stdout=_bytes_of(data, "stdout"),
        stderr=_bytes_of(data, "stderr"),
        stdout_dropped=int(data.get("stdout_dropped") or 0),
        stderr_dropped=int(data.get("stderr_dropped") or 0),
        duration_s=data.get("duration_s"),
        notes=tuple(Finding(SAVED_NOTE, str(n)) for n in data.get("notes") or ()),
        ended_by_parent=bool(data.get("ended_by_parent")),
        format=version,
        # Reports from before `fuel_metered` always metered.
        fuel_metered=data["fuel_metered"] if "fuel_metered" in data else (True if data.get("fuel_consumed") is not None else None),
        cpu_time_s=data.get("cpu_time_s"),
    )


def _sample_from_json(data: Mapping[str, Any]) -> p.Sample:
    pages: Sequence[int] = data.get("memory_pages_all") or ([data["memory_pages"]] if data.get("memory_pages") is not None else [])
    return p.Sample(
        float(data["t"]), tuple(int(n) for n in pages), data.get("fuel_consumed"),
        float(data.get("fuel_stale_s") or 0), tuple(int(n) for n in data.get("page_bytes") or ()),
    )  # fmt: skip


def _excerpt_from_json(data: Any) -> SourceExcerpt | SourceMissing | None:
    if not data:
        return None
    if "missing" in data:
        return SourceMissing(str(data["file"]), str(data["missing"]), str(data["reason"]))
    lines = tuple((int(item["line"]), str(item["text"])) for item in data["lines"])
    return SourceExcerpt(str(data["file"]), str(data["path"]), int(data["line"]), lines)


def _abort_json(abort: p.AbortCall) -> dict[str, object]:
    return {"message": abort.message, "file": abort.file, "line": abort.line, "column": abort.column}


def _abort_from_json(data: object) -> p.AbortCall | None:
    if not isinstance(data, dict):
        return None
    message, file, line, column = (data.get(k) for k in ("message", "file", "line", "column"))
    return p.AbortCall(
        message if isinstance(message, str) else None, file if isinstance(file, str) else None,
        line if isinstance(line, int) else 0, column if isinstance(column, int) else 0,
    )  # fmt: skip

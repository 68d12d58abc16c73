"""`wasmdbg symbolize MODULE < log` as a log filter: throughput on a 20 MB log with traces in it.

The log is made here, the same every run: seeded noise lines (log-like words, some of them near
misses of trace syntax: `0x1fc3`, `func[3]:0x12`, `backtrace:`) with a real wasmtime trace of
`divzero.O2.wasm` (`tests/fixtures/backtraces/wasmtime/python_print_divzero.txt`) every 2 MB.

Whole commands, stdin the log file, stdout discarded, medians of REPEATS runs in turns:
- `grep -c wasm`: a C program reading the same bytes (the floor of any filter);
- a Python line copy (`for line in sys.stdin.buffer: write(line)`): the floor of a Python filter, the
  reference of the ratios;
- `wasmdbg symbolize MODULE` (text) and `--format json`.

In-process, on the first 4 MB (informative): the stream annotator fed one line at a time (what the
filter did before lines were fed in batches) against the same lines fed as the 64 KiB reads bring them.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402

from wasmdbg.session.session import Session  # noqa: E402
from wasmdbg.session.streaming import StreamAnnotator  # noqa: E402

BIN = Path(sys.executable).parent
WASMDBG = str(BIN / "wasmdbg")
MODULE = ROOT / "sample_modules" / "build" / "divzero.O2.wasm"
TRACE = ROOT / "tests" / "fixtures" / "backtraces" / "wasmtime" / "python_print_divzero.txt"
LOG_BYTES = 20_000_000
IN_PROCESS_BYTES = 4_000_000
READ_BYTES = 1 << 16
REPEATS = 5
SEED = 20261202
WORDS = [b"INFO", b"request", b"id=42", b"0x1fc3", b"at", b"wasm", b"backtrace:", b"func[3]:0x12", b"<unknown>!",
         b"(", b")", b"GET", b"/api/v1/items", b"200", b"took", b"12ms", b"worker-3", b"error:", b"retrying"]  # fmt: skip
PYTHON_COPY = "import sys\nout = sys.stdout.buffer\nfor line in sys.stdin.buffer:\n    out.write(line)\n"


def make_log(size: int) -> tuple[bytes, int]:
    """The log, and how many real traces it holds."""
    rng = random.Random(SEED)
    trace = TRACE.read_bytes()
    lines, total, next_trace, traces = [], 0, 0, 0
    while total < size:
        if total >= next_trace:
            lines.append(trace.rstrip(b"\n"))
            traces += 1
            total += len(trace)
            next_trace += 2_000_000
        line = b" ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 30)))
        lines.append(line)
        total += len(line) + 1
    return b"\n".join(lines) + b"\n", traces


def timed(argv: list[str], log: Path) -> float:
    with open(log, "rb") as stdin:
        start = time.perf_counter()
        subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start


def in_process(text: bytes) -> tuple[float, float]:
    """Seconds to annotate `text` fed line by line, and fed in the batches 64 KiB reads give."""
    symbolizer = Session.open(str(MODULE)).symbolizer()
    lines = text.decode("utf-8", "replace").split("\n")[:-1]
    batches, batch, size = [], [], 0
    for line in lines:
        batch.append((line, True))
        size += len(line) + 1
        if size >= READ_BYTES:
            batches.append(batch)
            batch, size = [], 0
    batches.append(batch)

    def one_by_one() -> None:
        annotator = StreamAnnotator(symbolizer)
        for line in lines:
            annotator.feed(line)
        annotator.flush()

    def batched() -> None:
        annotator = StreamAnnotator(symbolizer)
        for group in batches:
            annotator.feed_lines(group)
        annotator.flush()

    return timing.median_s(one_by_one, 3), timing.median_s(batched, 3)


def main() -> None:
    timing.begin()
    log_bytes, traces = make_log(LOG_BYTES)
    with tempfile.TemporaryDirectory(prefix="wasmdbg-bench-filter-") as tmp:
        log = Path(tmp) / "app.log"
        log.write_bytes(log_bytes)
        commands = {
            "grep -c wasm (C floor)": ["grep", "-c", "wasm"],
            "python line copy (reference)": [sys.executable, "-c", PYTHON_COPY],
            "wasmdbg symbolize, text": [WASMDBG, "symbolize", str(MODULE)],
            "wasmdbg symbolize, json": [WASMDBG, "symbolize", "--format", "json", str(MODULE)],
        }
        timed(commands["wasmdbg symbolize, text"], log)  # warm the index cache (unmeasured)
        runs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(REPEATS):
            for name, argv in commands.items():
                runs[name].append(timed(argv, log))
    megabytes = len(log_bytes) / 1e6
    reference = statistics.median(runs["python line copy (reference)"])
    line_count = log_bytes.count(b"\n")
    print(f"log: {len(log_bytes):,} bytes, {line_count:,} lines, {traces} real traces (seed {SEED})")
    print(f"{'run (median of ' + str(REPEATS) + ')':34} {'median s':>9} {'ratio':>7} {'MB/s':>8}")
    for name in commands:
        seconds = statistics.median(runs[name])
        print(f"{name:34} {seconds:9.3f} {seconds / reference:7.2f} {megabytes / seconds:8.1f}")
    slow, fast = in_process(log_bytes[:IN_PROCESS_BYTES])
    print(f"in-process, first {IN_PROCESS_BYTES / 1e6:.0f} MB: one line at a time {slow:.3f} s, "
          f"in 64 KiB batches {fast:.3f} s ({slow / fast:.1f}x)")


if __name__ == "__main__":
    main()

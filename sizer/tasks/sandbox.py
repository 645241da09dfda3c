"""Run model-generated code in a locked-down child process and say how it ended.

Generated code is hostile input: it is never executed in the sizer process. Each call
starts ``python -I -S -B jail.py`` (isolated mode: no environment variables, no user site,
no bytecode written), with a scrubbed environment, a fresh scratch directory as its only
writable place, CPU/memory/output limits and a wall-clock timeout. See ``jail.py`` for the
locks themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

JAIL = Path(__file__).with_name("jail.py")
SETUP_FAILED = 97  # jail.py's exit status when it could not lock itself down
TAIL_BYTES = 2000


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 5
    wall_s: float = 10.0
    memory_bytes: int = 512 << 20
    output_bytes: int = 1 << 20
    landlock: bool = True  # False forces jail.py's seccomp-only fallback (for tests)


@dataclass
class ExecResult:
    status: str  # passed | failed | timeout | killed | sandbox_error
    detail: str  # the last line of the error, or what stopped it
    seconds: float
    stdout_tail: str = ""


def sandbox_available() -> str | None:
    """None if untrusted code can run here, else why not."""
    import platform

    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"):
        return f"no code sandbox on {sys.platform}/{platform.machine()} (Linux x86-64/arm64 only)"
    return None


def run_untrusted(code: str, limits: Limits = Limits()) -> ExecResult:
    with (
        tempfile.TemporaryDirectory(prefix="sizer-scratch-") as scratch,
        tempfile.TemporaryDirectory(prefix="sizer-out-") as out_dir,
    ):
        job = {
            "code": code,
            "scratch": scratch,
            "cpu_s": limits.cpu_s,
            "memory_bytes": limits.memory_bytes,
            "output_bytes": limits.output_bytes,
            "landlock": limits.landlock,
        }
        stdout_path, stderr_path = Path(out_dir, "stdout"), Path(out_dir, "stderr")
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            started = time.monotonic()
            code_or_signal, timed_out = _run_jail(job, stdout, stderr, scratch, limits.wall_s)
            seconds = time.monotonic() - started
        err, out = _tail(stderr_path), _tail(stdout_path)
    return _classify(code_or_signal, timed_out, err, out, seconds, limits)


def _run_jail(
    job: dict, stdout: object, stderr: object, scratch: str, wall_s: float
) -> tuple[int, bool]:
    env = {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8"}
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", str(JAIL)],
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=stderr,
        cwd=scratch,
        env=env,
        start_new_session=True,
    )
    try:
        proc.communicate(json.dumps(job).encode(), timeout=wall_s)
        return proc.returncode, False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return proc.returncode, True
    finally:
        if proc.returncode is None:  # Ctrl-C while waiting: never leave the child behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _tail(path: Path) -> str:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - TAIL_BYTES))
        return f.read().decode("utf-8", "replace")


def _classify(
    code: int, timed_out: bool, err: str, out: str, seconds: float, limits: Limits
) -> ExecResult:
    last = next((line for line in reversed(err.splitlines()) if line.strip()), "")
    if timed_out:
        return ExecResult(
            "timeout", f"still running after {limits.wall_s:g} s wall time; killed", seconds, out
        )
    if code == 0:
        return ExecResult("passed", "", seconds, out)
    if code == SETUP_FAILED:
        return ExecResult("sandbox_error", last, seconds, out)
    if code > 0:
        return ExecResult("failed", last[:300], seconds, out)
    reason = {
        signal.SIGXCPU: f"CPU limit of {limits.cpu_s} s",
        signal.SIGKILL: "killed",
        signal.SIGXFSZ: f"output limit of {limits.output_bytes} bytes",
    }.get(-code, f"signal {signal.Signals(-code).name}")
    status = "timeout" if -code == signal.SIGXCPU else "killed"
    return ExecResult(status, reason, seconds, out)

"""Run one benchmark in a child process and turn whatever happens to it into an outcome.

pyperf's manager/worker split: the parent never loads a runtime, so a segfault, an
out-of-memory kill or a hang in llama.cpp or OpenVINO costs one row, not the whole run.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

EventHandler = Callable[[dict[str, Any]], None]
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


@dataclass
class Outcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None  # negative: killed by that signal
    timed_out: bool = False
    peak_rss_bytes: int | None = None
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def final(self) -> dict[str, Any] | None:
        """The worker's last word: its "result" or "error" event, if it got that far."""
        return next((e for e in reversed(self.events) if e["event"] in ("result", "error")), None)


def run_worker(
    job: dict[str, Any],
    on_event: EventHandler,
    timeout_s: float,
    module: str = "sizer.bench.worker",
) -> Outcome:
    """Run ``job`` (one JSON line on the worker's stdin) in a fresh ``python -m module``;
    on Ctrl-C the worker is killed and the interrupt re-raised, so the caller keeps
    everything recorded before it."""
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        outcome = Outcome()
        finished = False
        started = time.monotonic()
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.close()
            finished = _pump(proc.stdout, on_event, outcome, started + timeout_s)
            outcome.timed_out = not finished
        finally:
            if not finished:  # timed out, or Ctrl-C / SIGTERM in the parent
                _kill(proc)
            _reap(proc, outcome)
        stderr.seek(0)
        outcome.stderr_tail = stderr.read().splitlines()[-200:]
    return outcome


def _pump(stdout: IO[str], on_event: EventHandler, outcome: Outcome, deadline: float) -> bool:
    """Forward the worker's events until it closes stdout; False if the deadline passed."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            line = lines.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            continue
        if line is None:
            return True
        event = _parse(line)
        if event is not None:
            outcome.events.append(event)
            on_event(event)


def _parse(line: str) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def _kill(proc: subprocess.Popen[str]) -> None:
    # os.kill, not Popen.kill: Popen polls first, which would reap the worker and lose its
    # resource usage. An unreaped worker's pid cannot be reused, so this is safe.
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM))


def _reap(proc: subprocess.Popen[str], outcome: Outcome, grace_s: float = 30.0) -> None:
    """Wait for the worker (killing it if it hangs in teardown) and read its peak RSS from
    the kernel (wait4), which works even when it was killed: an OOM-killed worker still
    reports how big it got."""
    if not hasattr(os, "wait4"):  # Windows: no rusage; peak RSS stays unknown
        outcome.exit_code = proc.wait()
        return
    give_up, flags = time.monotonic() + grace_s, os.WNOHANG
    while True:
        pid, status, usage = os.wait4(proc.pid, flags)
        if pid:
            break
        if time.monotonic() > give_up:
            _kill(proc)
            flags = 0  # the kill will land: block until it has
        time.sleep(0.05)
    outcome.exit_code = proc.returncode = os.waitstatus_to_exitcode(status)
    outcome.peak_rss_bytes = usage.ru_maxrss * _RSS_UNIT


def describe_exit(code: int) -> str:
    if code >= 0:
        return f"worker exited with status {code}"
    name = signal.Signals(-code).name
    if -code == signal.SIGKILL:
        return f"worker killed by {name} (most often the kernel's out-of-memory killer: see dmesg)"
    return f"worker crashed ({name})"

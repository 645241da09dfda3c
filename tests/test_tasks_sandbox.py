"""Model-generated code is hostile: prove the sandbox contains the classic attacks, with
Landlock and in the seccomp-only fallback for kernels without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sizer.tasks.sandbox import Limits, run_untrusted, sandbox_available

pytestmark = pytest.mark.skipif(sandbox_available() is not None, reason="Linux-only sandbox")
BOTH = pytest.mark.parametrize("landlock", [True, False], ids=["landlock", "seccomp-only"])
FAST = {"cpu_s": 2, "wall_s": 6.0}


@BOTH
def test_passing_and_failing_code(landlock: bool) -> None:
    limits = Limits(landlock=landlock, **FAST)
    assert run_untrusted("assert sum(range(4)) == 6", limits).status == "passed"
    failed = run_untrusted("assert 1 == 2, 'nope'", limits)
    assert (failed.status, failed.detail) == ("failed", "AssertionError: nope")


@BOTH
def test_infinite_loop_hits_the_cpu_limit(landlock: bool) -> None:
    result = run_untrusted("while True:\n    pass\n", Limits(landlock=landlock, **FAST))
    assert result.status == "timeout" and "CPU limit" in result.detail
    assert result.seconds < FAST["wall_s"]


def test_sleeping_code_hits_the_wall_clock_limit() -> None:
    result = run_untrusted("import time\ntime.sleep(60)", Limits(cpu_s=2, wall_s=2.0))
    assert result.status == "timeout" and "wall time" in result.detail


@BOTH
def test_fork_bomb_cannot_fork(landlock: bool) -> None:
    code = "import os\nwhile True:\n    os.fork()\n"
    result = run_untrusted(code, Limits(landlock=landlock, **FAST))
    assert result.status == "failed" and "PermissionError" in result.detail


@BOTH
def test_no_subprocess_no_exec_no_network(landlock: bool) -> None:
    limits = Limits(landlock=landlock, **FAST)
    for code in (
        "import subprocess\nsubprocess.run(['true'])",
        "import os\nos.execv('/bin/true', ['true'])",
        "import socket\nsocket.create_connection(('127.0.0.1', 9))",
    ):
        result = run_untrusted(code, limits)
        assert result.status == "failed" and "PermissionError" in result.detail, code


@BOTH
def test_huge_allocation_fails_inside_the_sandbox(landlock: bool) -> None:
    result = run_untrusted("x = bytearray(8 * 1024**3)", Limits(landlock=landlock, **FAST))
    assert result.status == "failed" and "MemoryError" in result.detail


@BOTH
def test_writes_outside_the_scratch_directory_are_denied(tmp_path: Path, landlock: bool) -> None:
    target = tmp_path / "pwned.txt"
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    for code in (
        f"open({str(target)!r}, 'w').write('x')",
        f"import os\nos.remove({str(victim)!r})",
        f"import os\nos.rename({str(victim)!r}, {str(target)!r})",
        f"import os\nos.mkdir({str(tmp_path / 'dir')!r})",
    ):
        result = run_untrusted(code, Limits(landlock=landlock, **FAST))
        assert result.status == "failed" and "Error" in result.detail, code
    assert not target.exists() and not (tmp_path / "dir").exists()
    assert victim.read_text() == "precious"


def test_scratch_directory_is_writable_with_landlock() -> None:
    code = "open('notes.txt', 'w').write('hi')\nassert open('notes.txt').read() == 'hi'"
    assert run_untrusted(code, Limits(**FAST)).status == "passed"


def test_output_flood_is_capped() -> None:
    result = run_untrusted(
        "while True:\n    print('x' * 1000)", Limits(output_bytes=1 << 16, **FAST)
    )
    assert result.status in ("failed", "killed") and len(result.stdout_tail) <= 2000


def test_runs_in_another_process_with_a_scrubbed_environment(monkeypatch) -> None:
    monkeypatch.setenv("SIZER_TEST_SECRET", "hunter2")
    code = (
        "import os\nprint(os.getpid())\n"
        "assert 'SIZER_TEST_SECRET' not in os.environ, 'environment leaked'"
    )
    result = run_untrusted(code, Limits(**FAST))
    assert result.status == "passed", result.detail
    assert int(result.stdout_tail.split()[0]) != os.getpid()

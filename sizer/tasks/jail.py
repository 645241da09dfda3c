"""Run one piece of untrusted Python inside a locked-down process (Linux).

This file is executed as a standalone script (``python -I -S -B jail.py``), never imported
by sizer, so nothing of sizer's own state is reachable from the code it runs. It reads
``{"code": str, "scratch": str, "cpu_s": int, "memory_bytes": int, "output_bytes": int}``
as JSON on stdin, locks itself down, then executes ``code`` as ``__main__``.

The locks, in the order they are applied:

1. resource limits: CPU seconds (SIGXCPU), address space (MemoryError), size of any file
   written, including stdout/stderr, which the parent points at files (SIGXFSZ), open files,
   no core dumps, no processes (RLIMIT_NPROC; ignored for root, hence 3.);
2. Landlock (Linux >= 5.13): every kind of filesystem write is denied outside the scratch
   directory; reads stay allowed so the standard library imports;
3. seccomp: no new processes (fork, clone: a fork bomb fails at the first fork), no exec,
   no sockets, no signals or ptrace to other processes, no mount/unshare; syscalls of
   another architecture (int 0x80) are denied wholesale. Where Landlock is missing, seccomp
   also denies opening files for writing and every call that creates, renames or removes
   a path, so the fallback is stricter, not looser.

Exit status: 0 the code ran to the end; 1 it raised (traceback on stderr); 97 the lock-down
itself failed (the code was not run).
"""

import ctypes
import json
import os
import platform
import resource
import sys

SETUP_FAILED = 97

# Landlock filesystem rights (linux/landlock.h) that modify the filesystem.
_LL_WRITE_ABI1 = sum(1 << bit for bit in (1, 4, 5, 6, 7, 8, 9, 10, 11, 12))
_LL_REFER, _LL_TRUNCATE = 1 << 13, 1 << 14
_SYS_LANDLOCK = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}

# seccomp: architecture tag, syscalls always denied, and the path-modifying ones denied
# when Landlock is unavailable. ``openat`` with write flags is checked separately.
_ARCH = {
    "x86_64": {
        "audit": 0xC000003E,
        "openat": 257,
        "deny": [
            57,
            58,
            56,
            435,
            59,
            322,
            41,
            53,
            101,
            62,
            200,
            234,
            424,
            311,
            165,
            166,
            272,
            308,
            169,
            167,
            168,
            175,
            313,
        ],
        "deny_writes": [
            2,
            85,
            437,
            87,
            263,
            82,
            264,
            316,
            83,
            258,
            84,
            86,
            265,
            88,
            266,
            76,
            90,
            268,
            92,
            260,
            94,
            133,
            259,
        ],
    },
    "aarch64": {
        "audit": 0xC00000B7,
        "openat": 56,
        "deny": [
            220,
            435,
            221,
            281,
            198,
            199,
            117,
            129,
            130,
            131,
            424,
            271,
            40,
            39,
            97,
            268,
            142,
            224,
            225,
            105,
            273,
        ],
        "deny_writes": [437, 35, 38, 276, 34, 37, 36, 45, 53, 54, 33],
    },
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def set_limits(cpu_s: int, memory_bytes: int, output_bytes: int) -> None:
    # CPU: SIGXCPU at the soft limit says "CPU limit" clearly; the hard one is a backstop.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    for limit, value in (
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_FSIZE, output_bytes),
        (resource.RLIMIT_NOFILE, 32),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, 0),
    ):
        resource.setrlimit(limit, (value, value))


def _no_new_privs() -> None:
    if _libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def landlock(scratch: str, machine: str) -> bool:
    """Allow filesystem writes only beneath ``scratch``; False if the kernel lacks Landlock."""
    create, add_rule, restrict = _SYS_LANDLOCK[machine]
    abi = _libc.syscall(create, None, 0, 1)  # LANDLOCK_CREATE_RULESET_VERSION
    if abi < 1:
        return False
    handled = _LL_WRITE_ABI1 | (_LL_REFER if abi >= 2 else 0) | (_LL_TRUNCATE if abi >= 3 else 0)
    attr = ctypes.c_uint64(handled)  # struct landlock_ruleset_attr, first field only
    ruleset = _libc.syscall(create, ctypes.byref(attr), ctypes.sizeof(attr), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    rule = _PathBeneath(handled, os.open(scratch, os.O_PATH | os.O_CLOEXEC))
    if _libc.syscall(add_rule, ruleset, 1, ctypes.byref(rule), 0) != 0:
        raise OSError(ctypes.get_errno(), "landlock_add_rule failed")
    _no_new_privs()
    if _libc.syscall(restrict, ruleset, 0) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    return True


def seccomp_program(arch: dict, deny_writes: bool) -> list[tuple[int, int, int, int]]:
    """A classic-BPF filter: deny (EPERM) the listed syscalls, allow the rest.

    Written with labels: a jump names its target and offsets are resolved at the end.
    """
    ld, jeq, jge, ret, and_k = 0x20, 0x15, 0x35, 0x06, 0x54
    denied = arch["deny"] + (arch["deny_writes"] if deny_writes else [])
    code: list[tuple[int, str | None, str | None, int]] = [
        (ld, None, None, 4),  # seccomp_data.arch
        (jeq, None, "deny", arch["audit"]),
        (ld, None, None, 0),  # seccomp_data.nr
        (jge, "deny", None, 0x40000000),  # x32 ABI numbers
        *[(jeq, "deny", None, nr) for nr in denied],
    ]
    if deny_writes:
        code.append((jeq, "openat", None, arch["openat"]))
    code += [(ret, None, None, 0x7FFF0000), (ret, None, None, 0x00050001)]  # ALLOW, EPERM
    labels = {"deny": len(code) - 1, "allow": len(code) - 2, "openat": len(code)}
    if deny_writes:  # openat's flags: args[2], low 32 bits at offset 16 + 2 * 8
        code += [
            (ld, None, None, 32),
            (and_k, None, None, _WRITE_FLAGS),
            (jeq, None, "deny_2", 0),
            (ret, None, None, 0x7FFF0000),
            (ret, None, None, 0x00050001),
        ]
        labels["deny_2"] = len(code) - 1
    return [
        (op, _offset(labels, jt, i), _offset(labels, jf, i), k)
        for i, (op, jt, jf, k) in enumerate(code)
    ]


def _offset(labels: dict[str, int], label: str | None, at: int) -> int:
    return 0 if label is None else labels[label] - at - 1


def seccomp(arch: dict, deny_writes: bool) -> None:
    program = seccomp_program(arch, deny_writes)
    filters = (_SockFilter * len(program))(*[_SockFilter(*ins) for ins in program])
    prog = _SockFprog(len(program), filters)
    _no_new_privs()
    if _libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def lock_down(job: dict) -> str:
    """Apply every lock; returns a word for what isolation is in effect."""
    machine = platform.machine()
    if sys.platform != "linux" or machine not in _ARCH:
        raise OSError(f"no sandbox for {sys.platform}/{machine}")
    os.chdir(job["scratch"])
    set_limits(job["cpu_s"], job["memory_bytes"], job["output_bytes"])
    # "landlock": false forces the seccomp-only fallback (tests exercise both paths).
    has_landlock = job.get("landlock", True) and landlock(job["scratch"], machine)
    seccomp(_ARCH[machine], deny_writes=not has_landlock)
    return "landlock+seccomp" if has_landlock else "seccomp"


def main() -> None:
    job = json.loads(sys.stdin.read())
    try:
        isolation = lock_down(job)
    except Exception as exc:
        print(f"sandbox setup failed: {exc}", file=sys.stderr)
        sys.exit(SETUP_FAILED)
    print(f"[sandbox: {isolation}]", file=sys.stderr, flush=True)
    code = compile(job["code"], "solution.py", "exec")
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})


if __name__ == "__main__":
    main()

"""Conditions of a run that explain its numbers: page cache state and the CPU clock."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import sys
from pathlib import Path

PAGE = mmap.PAGESIZE


def resident_fraction(path: Path) -> float | None:
    """Fraction of the file's pages in the page cache (Linux mincore), None if unknown.

    A first load reads the model from disk; a warm one from memory: load times differ by
    10x or more, so every run records which it was.
    """
    if not sys.platform.startswith("linux"):
        return None
    size = path.stat().st_size
    if size == 0:
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    ]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            return None
        pages = (size + PAGE - 1) // PAGE
        vec = ctypes.create_string_buffer(pages)
        ok = libc.mincore(ctypes.c_void_p(addr), size, vec) == 0
        libc.munmap(ctypes.c_void_p(addr), size)
        return sum(b & 1 for b in vec.raw) / pages if ok else None
    finally:
        os.close(fd)


def cpu_mhz(cpuinfo: Path = Path("/proc/cpuinfo")) -> float | None:
    """Mean current clock over all CPUs as /proc/cpuinfo reports it (Linux x86), or None."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    values = [
        float(line.split(":", 1)[1]) for line in text.splitlines() if line.startswith("cpu MHz")
    ]
    return sum(values) / len(values) if values else None

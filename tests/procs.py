"""Finding the worker processes a test started, and telling when one is gone."""

from __future__ import annotations

import psutil


def child_workers(module: str) -> list[psutil.Process]:
    """Workers running ``python -m module`` started by this test (directly or through a
    ``sizer`` subprocess)."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if module in " ".join(proc.cmdline()):
                found.append(proc)
        except psutil.NoSuchProcess:
            continue
    return found


def gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True

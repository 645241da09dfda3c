"""Multi-threaded memory read bandwidth, the figure that bounds CPU decode speed.

LLM decode streams every weight once per token, so what matters is how fast the cores can
*read* a buffer far larger than the caches, with the threads llama.cpp would use. Each
thread reduces its own contiguous slice with a SIMD float32 max (numpy releases the GIL; of
the reductions tried here — int64 sum, uint64 or, float64 and float32 max — it was the
fastest, i.e. the least compute-bound),
so the figure is read traffic only: no writes, no page faults (the buffer is touched
first), no allocation inside the timed region.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kernels._common import KernelPlan, rate_stats, time_reps
from sizer.hardware.record import KernelResult

NAME = "memory_read_bandwidth"
MIN_BYTES = 512 * 1024 * 1024
MAX_BYTES = 2 * 1024 * 1024 * 1024


def buffer_bytes(plan: KernelPlan) -> int:
    """At least 512 MiB and 16× the L3 so caches hold none of it; at most a quarter of free RAM."""
    wanted = max(MIN_BYTES, 16 * (plan.l3_bytes or 0))
    if plan.available_bytes:
        wanted = min(wanted, plan.available_bytes // 4)
    return max(64 * 1024 * 1024, min(wanted, MAX_BYTES)) // 4096 * 4096


def measure(plan: KernelPlan) -> list[KernelResult]:
    size = buffer_bytes(plan)
    buffer = np.ones(size // 4, dtype=np.float32)  # ones, not zeros: forces real pages
    results = []
    for threads in plan.cpu_threads:
        parts = np.array_split(buffer, threads)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            seconds = time_reps(
                lambda p=pool, s=parts: list(p.map(np.maximum.reduce, s)), plan.reps
            )
        results.append(
            KernelResult(
                NAME,
                "CPU",
                "bytes_per_s",
                threads,
                rate_stats(size, seconds),
                {"buffer_bytes": size},
            )
        )
    return results

"""Shared timing helpers: warm-up, repetitions, median and spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sizer.hardware.record import SampleStats


@dataclass
class KernelPlan:
    """What to measure: thread counts for CPU kernels, OpenVINO devices, repetitions."""

    cpu_threads: list[int] = field(default_factory=lambda: [1])
    openvino_devices: list[str] = field(default_factory=list)
    available_bytes: int | None = None
    l3_bytes: int | None = None
    reps: int = 15


def time_reps(run: Callable[[], object], reps: int, warmup: int = 1) -> list[float]:
    """Wall seconds of ``reps`` calls after ``warmup`` uncounted calls."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return samples


def rate_stats(work: float, seconds: list[float]) -> SampleStats:
    """Rates (work per second) from timings; the median is of the rates themselves."""
    rates = [work / s for s in seconds if s > 0]
    return SampleStats(
        median=statistics.median(rates),
        min=min(rates),
        max=max(rates),
        n=len(rates),
        samples=[round(r, 1) for r in rates],
    )

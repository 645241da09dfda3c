"""How fast one CPU core decodes and prefills through llama.cpp's kernels, for a CPU sizer has
not measured.

On few threads a CPU's decode is not memory-bound: each core dequantises and dots its share
of the weights, at a rate set by its micro-architecture and its clock (in the published
corpus a Ryzen 9 7950X core streams 23 GB/s of Q5_K at one thread, a Haswell laptop core
8 GB/s of Q4_K, an Apple M4 Pro performance core 36 GB/s of Q4_0). Only once enough cores
read at once does the memory cap the sum. Prefill is compute-bound throughout. So the prior
(``sizer.speed.prior``) takes, at ``t`` threads::

    decode bandwidth = min(streaming cores(t) x per-core rate, share x theoretical bandwidth)
    prefill FLOP/s   = streaming cores(t) x per-core FLOP/s

Each per-core figure is learnt from the profile corpus (``sizer.speed.corpus.
learned_core_rates``: dense few-thread decode runs, short-prompt prefill runs), as a median
per cycle where the clock is known (the probe's maximum, else the hardware database's for the
CPU's name) and per thread otherwise, for the core's class:

- "x86 AVX-512", "x86 AVX2": llama.cpp's x86 kernels differ by vector width;
- "Apple": Apple's performance cores (wide NEON, very high per-core memory parallelism);
- "Arm": every other Arm core (Cortex, Neoverse, Oryon).

A class needs three profiled machines; with fewer, its architecture's figure (x86, Arm)
stands in, then the median over every machine, and the prediction's source says which. SMT
siblings add nothing: threads beyond the physical cores count for nothing (llama.cpp's
kernels already fill a core's vector units).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from sizer.hardware.db import Entry, load, match

MIN_MACHINES_PER_CLASS = 3


def core_class(hw: dict[str, Any]) -> str:
    cpu = hw.get("cpu") or {}
    arch = (cpu.get("arch") or "").lower()
    if arch in ("aarch64", "arm64"):
        return "Apple" if (cpu.get("brand") or "").strip().lower().startswith("apple") else "Arm"
    return "x86 AVX-512" if (cpu.get("isa") or {}).get("avx512f") else "x86 AVX2"


def architecture(hw: dict[str, Any]) -> str:
    """The coarser group a class falls back to: "x86" or "Arm" (Apple's cores are Arm's)."""
    return "x86" if core_class(hw).startswith("x86") else "Arm"


def database_entries(hw: dict[str, Any]) -> tuple[Entry, ...]:
    """The database's parts the CPU's name can be: one, every listed variant of one model
    name (an "Apple M4 Pro" is the 12- or the 14-core part), or none."""
    brand = (hw.get("cpu") or {}).get("brand") or ""
    if not brand.strip():
        return ()
    found = match(brand, load("cpus"))
    return (found.entry,) if found.entry else found.variants


def _agreed(values: list[Any]) -> Any:
    """The value every candidate part states alike, else None (never one sibling's)."""
    present = {v for v in values if v}
    return present.pop() if len(present) == 1 and all(values) else None


def clock_ghz(hw: dict[str, Any]) -> float | None:
    """The CPU's maximum clock: the probe's, else the database's for its name."""
    mhz = (hw.get("cpu") or {}).get("max_freq_mhz")
    if isinstance(mhz, int | float) and mhz > 0:
        return mhz / 1000
    return _agreed([e.data.get("max_ghz") for e in database_entries(hw)])


def theoretical_bandwidth(hw: dict[str, Any]) -> float | None:
    """Bytes/s the memory can move in theory: the record's, else the database's for the CPU's
    name (where every part it can be has the same figure)."""
    stated = (hw.get("memory") or {}).get("theoretical_bandwidth_bytes_s")
    if isinstance(stated, int | float) and stated > 0:
        return float(stated)
    gbs = _agreed(
        [(e.data.get("memory") or {}).get("max_bandwidth_gbs") for e in database_entries(hw)]
    )
    return gbs * 1e9 if gbs else None


def streaming_threads(hw: dict[str, Any], threads: int) -> int:
    """Threads that add a core's worth of streaming: no more than the physical cores."""
    physical = (hw.get("cpu") or {}).get("physical_cores")
    return min(threads, physical) if isinstance(physical, int) and physical > 0 else threads


@dataclass(frozen=True)
class ClassRates:
    """One per-core figure learnt from profiled machines: per thread (any class, and per
    class) and per cycle (per class, from the machines whose clock is known)."""

    overall: float  # the median over every machine, any class
    by_class: dict[str, float] = field(default_factory=dict)  # per streaming thread
    per_cycle: dict[str, float] = field(default_factory=dict)  # per cycle
    machines: int = 0
    unit: str = "B"

    def for_hardware(self, hw: dict[str, Any]) -> tuple[float, str]:
        """The figure for one of ``hw``'s cores, and where it comes from: its class's, else
        its architecture's (x86, Arm), per cycle where the clock is known, else per thread."""
        ghz = clock_ghz(hw)
        for group in (core_class(hw), architecture(hw)):
            if ghz and group in self.per_cycle:
                rate = self.per_cycle[group] * ghz * 1e9
                return rate, f"{group} cores' {self.unit}/cycle x {ghz:.2f} GHz"
            if group in self.by_class:
                return self.by_class[group], f"{group} cores' per-thread rate"
        return self.overall, f"all cores' per-thread rate (too few {architecture(hw)} profiled)"


@dataclass(frozen=True)
class CoreRates:
    """What profiled machines' cores reach, as the prior counts it (before its efficiency
    factors): decode bytes streamed per second, prefill matmul FLOP/s of fast-kernel types."""

    decode: ClassRates
    prefill: ClassRates | None = None


def learn_rates(samples: list[tuple[dict[str, Any], float]], unit: str = "B") -> ClassRates:
    """``samples``: (hardware, figure per streaming thread) of each profiled machine (one per
    machine, its own median). Medians per class; per cycle from those with a clock."""
    by_class: dict[str, list[float]] = {}
    per_cycle: dict[str, list[float]] = {}
    for hw, rate in samples:
        ghz = clock_ghz(hw)
        for group in (core_class(hw), architecture(hw)):
            by_class.setdefault(group, []).append(rate)
            if ghz:
                per_cycle.setdefault(group, []).append(rate / (ghz * 1e9))
    return ClassRates(
        overall=statistics.median(rate for _, rate in samples),
        by_class=_medians(by_class),
        per_cycle=_medians(per_cycle),
        machines=len(samples),
        unit=unit,
    )


def _medians(groups: dict[str, list[float]]) -> dict[str, float]:
    """Each class's median, where enough machines show it: one or two machines are those
    machines, not the class (a single Apple M4 run on its SME matrix unit, since left out of
    the corpus, taught "Apple" 3x what its cores stream)."""
    return {k: statistics.median(v) for k, v in groups.items() if len(v) >= MIN_MACHINES_PER_CLASS}

"""The speed model's figures before anything was measured with llama.cpp on the machine.

Tiers 2 and 3 of the order of trust (``sizer.speed.sources``):

2. **The kernels' measurements** (``sizer probe --measure``: read bandwidth and f32
   matmul throughput at the thread count) scaled by the efficiencies below, which were
   fitted on this project's measurements — confidence "estimated", source "kernels".
3. **Documented defaults** when a hardware record has no measurements (another machine's
   ``sizer probe --json`` without ``--measure``) — confidence "estimated", source "default".
"""

from __future__ import annotations

from typing import Any

from sizer.hardware.record import HardwareRecord
from sizer.speed.cores import CoreRates, streaming_threads, theoretical_bandwidth
from sizer.speed.model import SpeedParams

# (make bench-speed, 2026-11-25: 2-core AMD EPYC Zen 3, llama.cpp 0.3.36; means of the 1-
# and 2-thread fits): effective decode bandwidth / kernel read bandwidth (0.59, 0.75);
# attention and matmul throughputs / the f32 matmul kernel (decode attention 0.23, 0.33;
# prefill matmul of fast-kernel types 1.34, 2.48 — int8 GEMM beats the f32 kernel; prefill
# attention 0.85, 1.18); per-layer overheads in seconds per token (decode 2.8e-4, 1.6e-4;
# prefill 9.3e-5, 1.4e-5). The kernels themselves move 10-30 % between runs on a shared
# machine, so this tier is labelled "estimated" and is the least trusted.
KERNEL_EFFICIENCY = {
    "bandwidth": 0.67,
    "decode_attn": 0.28,
    "matmul": 1.9,
    "prefill_attn": 1.0,
}
DEFAULT_LAYER_S = {"decode": 2.2e-4, "prefill": 5.4e-5}
# Prefill cost of a weight type llama.cpp does not repack, relative to one it does (per
# weight multiplied). One factor for all such types is a compromise: Gemma 3 270M (640-wide
# rows fall back to Q5_0/Q8_0) fits best at 2.4, two `sizer recommend --verify` runs of
# shape-only files at 3 (Gemma 3 1B Q5_K_M: Q5_1 rows) and 1.5 (Qwen3 0.6B Q8_0); with
# 2.5 they are off by -1/-19 %, +18 % and -26 %. Per-type costs are left for later.
SLOW_TYPE_COST = 2.5

# Without measurements: a desktop/laptop DDR4/DDR5 core reaches roughly 8-12 GB/s of read
# bandwidth on its own and a dual-channel system 40-60 GB/s in all; a core with AVX2+FMA
# does about 30 GFLOP/s of f32 matmul in practice (double with AVX-512).
DEFAULT_BANDWIDTH_PER_THREAD = 10e9
DEFAULT_BANDWIDTH_CAP = 60e9
# Where the record states the memory's theoretical bandwidth (an imported profile, the
# hardware database), the cap is that x the share a read kernel typically reaches.
THEORETICAL_BANDWIDTH_SHARE = 0.7
DEFAULT_FLOPS_PER_THREAD = 30e9


def kernel_figure(hw: HardwareRecord, kernel: str, threads: int) -> float | None:
    """The kernel's median at ``threads``; between measured counts, scaled linearly from the
    nearest count below (bandwidth per thread saturates, so never extrapolate upward far)."""
    rows = [
        (m["threads"], m["stats"]["median"])
        for m in _measurements(hw)
        if m.get("kernel") == kernel
        and m.get("device", "CPU") == "CPU"
        and m.get("threads")
        and (m.get("stats") or {}).get("median")
    ]
    if not rows:
        return None
    exact = [value for t, value in rows if t == threads]
    if exact:
        return float(exact[0])
    below = [(t, value) for t, value in rows if t < threads]
    if below:
        t, value = max(below)
        return float(value) * (1 + 0.5 * (threads - t) / t)  # half-linear gain, conservative
    t, value = min(rows)
    return float(value) * threads / t


def _measurements(hw: HardwareRecord) -> list[dict[str, Any]]:
    return [m for m in hw.get("measurements") or [] if isinstance(m, dict)]


def prior_params(
    hw: HardwareRecord, threads: int, core_rates: CoreRates | None = None
) -> SpeedParams:
    """Tier 2 (kernels x fitted efficiency) when the record has kernel measurements, else
    tier 3: per-core decode and prefill rates (``core_rates``, learnt from the profile corpus,
    see ``sizer.speed.cores``; else the documented per-thread figures) on the cores the
    threads use, the decode bandwidth capped by the memory's."""
    bandwidth = kernel_figure(hw, "memory_read_bandwidth", threads)
    flops = kernel_figure(hw, "matmul_f32", threads)
    if bandwidth and flops:
        source = f"kernels at {threads} thread(s) x fitted efficiency"
    else:
        bandwidth, flops, source = _from_core_rates(hw, threads, core_rates)
    e = KERNEL_EFFICIENCY
    return SpeedParams(
        threads=threads,
        bandwidth_bytes_s=bandwidth * e["bandwidth"],
        decode_attn_flop_s=flops * e["decode_attn"],
        decode_layer_s=DEFAULT_LAYER_S["decode"],
        matmul_flop_s=flops * e["matmul"],
        prefill_attn_flop_s=flops * e["prefill_attn"],
        prefill_layer_s=DEFAULT_LAYER_S["prefill"],
        source=source,
        confidence="estimated",
        fast_types=fast_matmul_types(hw),
        slow_type_cost=SLOW_TYPE_COST,
    )


def _from_core_rates(
    hw: HardwareRecord, threads: int, rates: CoreRates | None
) -> tuple[float, float, str]:
    """Bandwidth, matmul FLOP/s and source for a record without kernel measurements: per-core
    figures learnt from the corpus where it has taught them, on the cores the threads use, the
    bandwidth capped by the memory's. The per-layer overheads stay the documented ones:
    scaling them by the core's speed or dividing them among threads was tried and measured
    no better (make bench-unseen: a 96-thread two-socket EPYC gets slower, not faster, per
    layer, its threads' barriers cost more than they share)."""
    streaming = streaming_threads(hw, threads)
    if rates is None:
        per_core, flops_per_core = DEFAULT_BANDWIDTH_PER_THREAD, _default_flops(hw)
        bases = ["documented defaults"]
    else:
        per_core, decode_basis = rates.decode.for_hardware(hw)
        flops_per_core, prefill_basis = (
            rates.prefill.for_hardware(hw) if rates.prefill else (_default_flops(hw), "default")
        )
        bases = [
            f"{per_core / 1e9:.0f} GB/s per core ({decode_basis})",
            f"{flops_per_core / 1e9:.0f} GFLOP/s per core ({prefill_basis})",
        ]
    bandwidth = min(per_core * streaming, _bandwidth_cap(hw))
    learnt = f"learnt from profiles: {'; '.join(bases)}" if rates else bases[0]
    source = f"{learnt} (no kernel measurements: run 'sizer probe --measure')"
    return bandwidth, flops_per_core * streaming, source


def _default_flops(hw: HardwareRecord) -> float:
    return DEFAULT_FLOPS_PER_THREAD * (2 if _has_avx512(hw) else 1)


def _bandwidth_cap(hw: dict[str, Any]) -> float:
    theoretical = theoretical_bandwidth(hw)
    if theoretical:
        return theoretical * THEORETICAL_BANDWIDTH_SHARE
    return DEFAULT_BANDWIDTH_CAP


def fast_matmul_types(hw: HardwareRecord) -> tuple[str, ...]:
    """Weight types llama.cpp repacks for its fast GEMM on this CPU (sizer.estimate knows
    which: the same repacking holds their second copy in memory)."""
    from sizer.estimate import repacked_types

    cpu = hw.get("cpu") or {}
    return tuple(sorted(t.name for t in repacked_types(cpu.get("isa") or {}, cpu.get("arch"))))


def _has_avx512(hw: HardwareRecord) -> bool:
    return bool(((hw.get("cpu") or {}).get("isa") or {}).get("avx512f"))

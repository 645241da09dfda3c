"""Which runs a ``sizer bench`` invocation makes, and which it refuses before loading."""

from __future__ import annotations

import os
from dataclasses import asdict

from sizer.estimate import MemoryEstimate, estimate_memory
from sizer.hardware.record import Hardware
from sizer.hardware.threads import performance_cores
from sizer.models.resolve import ResolvedModel
from sizer.units import gib


def auto_threads(hw: Hardware) -> int:
    """Physical performance cores: E-cores and SMT siblings slow llama.cpp's decode, whose
    threads wait for the slowest one at every barrier."""
    return performance_cores(asdict(hw.cpu)) or os.cpu_count() or 1


def sweep_threads(hw: Hardware) -> list[int]:
    """1, powers of two, the P-core count, all physical cores, and all logical CPUs."""
    physical = hw.cpu.physical_cores or os.cpu_count() or 1
    logical = hw.cpu.logical_cpus or physical
    counts = {1, auto_threads(hw), physical, logical}
    n = 2
    while n < physical:
        counts.add(n)
        n *= 2
    return sorted(counts)


def thread_counts(hw: Hardware, spec: str) -> list[int]:
    if spec == "auto":
        return [auto_threads(hw)]
    if spec == "sweep":
        return sweep_threads(hw)
    return sorted({int(part) for part in spec.split(",")})


def default_devices(backend: str, hw: Hardware) -> list[str]:
    """llama.cpp: the GPU when its build can offload and a GPU is present, else the CPU.
    OpenVINO: every device OpenVINO reports (CPU, GPU.0, NPU ...)."""
    if backend == "openvino":
        return [d.device_id for d in hw.openvino.devices] or ["CPU"]
    gpu = hw.llama_cpp.gpu_offload and any(a.kind == "gpu" for a in hw.accelerators)
    return ["GPU"] if gpu else ["CPU"]


def fit_problem(resolved: ResolvedModel, n_ctx: int, kv_type: str, hw: Hardware) -> str | None:
    """Why this model at this context will not fit in available memory, or None."""
    available = hw.memory.available_bytes
    if available is None:
        return None
    est = memory_estimate(resolved, n_ctx, kv_type, hw)
    if est.total_bytes <= available:
        return None
    return (
        f"needs about {gib(est.total_bytes)} at {n_ctx} tokens "
        f"(weights {gib(est.weights_bytes)}, "
        f"KV {gib(est.kv_bytes)}, compute {gib(est.compute_bytes)}) but "
        f"{gib(available)} is available; --force runs it anyway"
    )


def memory_estimate(
    resolved: ResolvedModel, n_ctx: int, kv_type: str, hw: Hardware
) -> MemoryEstimate:
    return estimate_memory(
        resolved.memory, n_ctx, kv_type=kv_type, isa=hw.cpu.isa, cpu_arch=hw.cpu.arch
    )

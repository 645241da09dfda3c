"""Where a model can run on a machine, and the speed figures for each place.

The CPU's figures come from the calibration (``sizer.speed.sources``). Accelerators follow the
same speed model with their own figures, all labelled "estimated" (this project has no
GPU to calibrate on): memory bandwidth and dense FP16 throughput from the vendors' spec
sheets, scaled by the fraction llama.cpp reaches (FIELD-NOTES: Apple GPUs 0.5-0.9 of spec
bandwidth; published llama-bench tg runs on RTX 40-series ~0.7-0.8).

- discrete GPU (NVIDIA, AMD) with llama.cpp: the layers that fit in free VRAM go there
  (``sizer.estimate.plan_offload``); a token's time is the GPU's share plus the CPU's.
- Apple Silicon with llama.cpp (Metal): the whole model on the GPU, in unified memory.
- Intel iGPU and NPU through OpenVINO: they read the same system RAM as the CPU, so their
  decode bandwidth is the CPU's measured one at the GPU's efficiency; the NPU is only
  offered for models up to 4B parameters (an 8B Q4_K_M has been reported to crash on a
  Lunar Lake NPU's per-graph memory limit, while 1B-class models run).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sizer.speed.model import SpeedParams
from sizer.speed.prior import KERNEL_EFFICIENCY

# name fragment -> (memory bandwidth GB/s, dense FP16 TFLOPS), vendor spec sheets. Longest
# fragment wins ("RTX 4080 SUPER" before "RTX 4080").
GPU_SPECS = {
    "RTX 4090": (1008, 165),
    "RTX 4080 SUPER": (736, 104),
    "RTX 4080": (717, 97),
    "RTX 4070 Ti SUPER": (672, 88),
    "RTX 4070 Ti": (504, 80),
    "RTX 4070 SUPER": (504, 71),
    "RTX 4070": (504, 58),
    "RTX 4060 Ti": (288, 44),
    "RTX 4060": (272, 30),
    "RTX 3090": (936, 71),
    "RTX 3080": (760, 60),
    "RTX 3070": (448, 41),
    "RTX 3060": (360, 26),
    "RTX 5090": (1792, 210),
    "RTX 5080": (960, 113),
    "RTX 5070": (672, 62),
    "A100": (1555, 312),
    "H100": (2000, 756),
    "H200": (4800, 989),
    "L4": (300, 121),
    "T4": (320, 65),
    "RX 7900 XTX": (960, 123),
    "RX 7900 XT": (800, 103),
    "M1 Max": (400, 10.4),
    "M1 Pro": (200, 5.2),
    "M1": (68, 2.6),
    "M2 Max": (400, 13.6),
    "M2 Pro": (200, 6.8),
    "M2": (100, 3.6),
    "M3 Max": (400, 16.4),
    "M3 Pro": (150, 7.4),
    "M3": (100, 4.1),
    "M4 Max": (546, 18.4),
    "M4 Pro": (273, 9.2),
    "M4": (120, 4.3),
}
GPU_BANDWIDTH_EFFICIENCY = {"discrete": 0.75, "apple": 0.7, "intel": 0.6}
GPU_MATMUL_EFFICIENCY = 0.4
NPU_MAX_PARAMS_B = 4.0
# OpenVINO GenAI vs llama.cpp on the same GGUF (Qwen2.5-Coder-1.5B Q4_K_M, CPU, measured
# here with `sizer bench --backend all`): decode 6.3 vs 14 tok/s, prefill 41.9 vs 45,
# peak memory 3.65 vs 1.9 GiB (it dequantises to its own formats at load).
OPENVINO_CPU_RATIO = {"decode": 0.45, "prefill": 0.93, "memory": 1.9}
OPENVINO_ARCHS = ("llama", "qwen2")
OPENVINO_QUANTS = ("Q4_0", "Q4_K_M", "Q8_0", "F16")


@dataclass(frozen=True)
class Place:
    """One backend/device pair a model can run on, with its figures."""

    backend: str
    device: str  # "CPU", "GPU", "NPU"
    label: str  # what the table shows, e.g. "NVIDIA GeForce RTX 4080 SUPER"
    params: SpeedParams
    memory_bytes: int | None  # device memory when separate from RAM (discrete GPU)
    unified: bool = False  # uses system RAM (iGPU, Apple, NPU)
    max_params_b: float | None = None


def gpu_spec(acc: dict[str, Any]) -> tuple[float, float] | None:
    """(memory bandwidth GB/s, FP16 TFLOPS): the record's own spec figures where it carries
    them (a fleet machine built from the hardware database), else the table by name; a figure
    the record lacks comes from the table."""
    name = (acc.get("name") or "").lower()
    matches = [k for k in GPU_SPECS if k.lower() in name]
    table = GPU_SPECS[max(matches, key=len)] if matches else (None, None)
    spec = acc.get("spec") or {}
    bandwidth = spec.get("memory_bandwidth_gbs") or table[0]
    tflops = spec.get("fp16_tflops") or table[1]
    return (bandwidth, tflops) if bandwidth and tflops else None


def _gpu_params(bandwidth_gbs: float, tflops: float, efficiency: float, source: str) -> SpeedParams:
    flops = tflops * 1e12 * GPU_MATMUL_EFFICIENCY
    return SpeedParams(
        threads=0,
        bandwidth_bytes_s=bandwidth_gbs * 1e9 * efficiency,
        decode_attn_flop_s=flops / 4,
        decode_layer_s=2e-5,
        matmul_flop_s=flops,
        prefill_attn_flop_s=flops / 2,
        prefill_layer_s=1e-6,
        source=source,
        confidence="estimated",
    )


def places(hw: dict[str, Any], cpu: SpeedParams, backend: str = "any") -> list[Place]:
    """Every place on this machine, filtered to ``backend`` ("any", "llama.cpp", "openvino")."""
    found = [Place("llama.cpp", "CPU", "CPU", cpu, None)]
    ov_cpu = replace(
        cpu,
        bandwidth_bytes_s=cpu.bandwidth_bytes_s * OPENVINO_CPU_RATIO["decode"],
        matmul_flop_s=cpu.matmul_flop_s * OPENVINO_CPU_RATIO["prefill"],
        source=cpu.source + " x measured OpenVINO/llama.cpp ratio",
        confidence="estimated",
    )
    if (hw.get("openvino") or {}).get("available", True):
        found.append(Place("openvino", "CPU", "CPU (OpenVINO)", ov_cpu, None))
    for acc in hw.get("accelerators") or []:
        found += _accelerator_places(acc, cpu)
    return [p for p in found if backend in ("any", p.backend)]


def _accelerator_places(acc: dict[str, Any], cpu: SpeedParams) -> list[Place]:
    name, vendor = acc.get("name") or "?", (acc.get("vendor") or "").lower()
    spec = gpu_spec(acc)
    if acc.get("kind") == "gpu" and vendor in ("nvidia", "amd") and not acc.get("integrated"):
        if spec is None:
            return []
        params = _gpu_params(*spec, GPU_BANDWIDTH_EFFICIENCY["discrete"], f"{name} spec sheet")
        free = acc.get("memory_free_bytes") or acc.get("memory_total_bytes")
        return [Place("llama.cpp", "GPU", name, params, free)]
    if acc.get("kind") == "gpu" and vendor == "apple" and spec:
        params = _gpu_params(*spec, GPU_BANDWIDTH_EFFICIENCY["apple"], f"{name} spec sheet")
        return [Place("llama.cpp", "GPU", name, params, None, unified=True)]
    if vendor == "intel" and acc.get("kind") in ("gpu", "npu"):
        # Shared system RAM: the CPU's calibrated bandwidth is the best figure we have.
        raw = cpu.bandwidth_bytes_s / KERNEL_EFFICIENCY["bandwidth"]  # the machine's read rate
        bandwidth = raw / 1e9
        params = _gpu_params(
            bandwidth,
            4.0,
            GPU_BANDWIDTH_EFFICIENCY["intel"],
            f"{name}: system RAM bandwidth, estimated",
        )
        device = "NPU" if acc.get("kind") == "npu" else "GPU"
        cap = NPU_MAX_PARAMS_B if device == "NPU" else None
        return [Place("openvino", device, name, params, None, unified=True, max_params_b=cap)]
    return []

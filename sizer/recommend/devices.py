"""Where a model can run on a machine: one ``Place`` per backend and device, with the speed
figures ``sizer.speed.devices`` gives it.

- llama.cpp on the CPU (calibrated), and OpenVINO on the CPU (the CPU's figures at the
  measured OpenVINO/llama.cpp ratio) where OpenVINO is available.
- discrete GPU (NVIDIA, AMD) with llama.cpp: the layers that fit in free VRAM go there
  (``sizer.estimate.plan_offload``); a token's time is the GPU's share plus the CPU's.
- Apple Silicon with llama.cpp (Metal), and an AMD APU's iGPU with llama.cpp (Vulkan or
  ROCm): the whole model on the GPU, within the memory it can map (Metal's working set;
  the carve-out + GTT pool: ``sizer.hardware.gpu_memory``).
- Intel iGPU and NPU through OpenVINO, reading system RAM, at the figures fitted on
  published OpenVINO runs (``sizer.speed.openvino_fit``). The NPU is offered for models up to
  8B parameters: published OpenVINO GenAI runs of 7-8B INT4 models on Meteor Lake, Lunar Lake
  and Arrow Lake NPUs work (Qwen3-8B, Mistral-7B, DeepSeek-R1-Distill-Qwen-7B), while 14B
  models fail to compile or run out of the NPU's per-graph memory
  (profiles/sources/openvino/community.json).

llama.cpp's GPU places run at their device class's efficiencies, fitted on published runs
(``sizer.speed.gpu_fit``). A GPU the hardware database does not know gets no place: its
figures would be a guess; a name of several listed parts (an Apple GPU without its core
count) takes the slowest, and its source says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sizer.hardware.gpu_memory import gpu_pool
from sizer.speed.devices import (
    GpuFigures,
    gpu_figures,
    gpu_params,
    intel_chip,
    openvino_cpu_params,
    openvino_cpu_ratio,
    openvino_device_params,
    shared_ram_params,
)
from sizer.speed.gpu_fit import AMD, APPLE, CUDA, efficiency
from sizer.speed.model import SpeedParams
from sizer.speed.sparse import committed_cost, with_cost

NPU_MAX_PARAMS_B = 8.5  # Qwen3-8B (8.2B) runs; 14B models fail
# Device classes of OpenVINO's places, whose typical error comes from openvino_fit's
# leave-one-chip-out evaluation (sizer.speed.errors)
OPENVINO_IGPU = "OpenVINO iGPU"
OPENVINO_NPU = "OpenVINO NPU"
# Architectures with published OpenVINO GenAI runs (Intel's per-chip tables, profiles/sources/
# openvino: Llama 3.x, Qwen2.5, Qwen3, Gemma 2 and 3, Phi-3/4), as IR exported by optimum-cli;
# OpenVINO GenAI's own GGUF reader takes llama and qwen2 (run here: sizer models openvino).
# MoE models (qwen3moe) are left out: the OpenVINO speed fit has no dense-equivalent for them.
OPENVINO_ARCHS = ("llama", "qwen2", "qwen3", "gemma2", "gemma3", "phi3")
OPENVINO_QUANTS = ("Q4_0", "Q4_K_M", "Q8_0", "F16")


def llama_gpu_params(figures: GpuFigures, device_class: str, name: str) -> SpeedParams:
    """llama.cpp on a GPU at its device class's efficiencies (fitted on the corpus)."""
    fitted = efficiency(device_class)
    params = gpu_params(
        figures,
        fitted.bandwidth_fraction,
        name,
        fitted.layer_s,
        fitted.matmul_fraction,
        fitted.quant_fraction,
    )
    params = with_cost(params, committed_cost())  # a mixture of experts' slower streaming
    return params.with_source(f"{params.source}; {device_class} {fitted.basis}", "estimated")


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
    # The device class its efficiencies and measured error are for ("CUDA", "Apple Metal",
    # ...: sizer.speed.gpu_fit; "OpenVINO iGPU"/"OpenVINO NPU": sizer.speed.openvino_fit);
    # None on the CPU and where the figures are a guess
    device_class: str | None = None
    # What llama.cpp can allocate on a GPU that shares RAM (Metal's working-set limit, an
    # APU's carve-out + GTT pool: sizer.hardware.gpu_memory); None: RAM is the limit
    pool_bytes: int | None = None
    # Host memory relative to llama.cpp's estimate (OpenVINO on the CPU holds more: measured)
    memory_factor: float = 1.0


def places(hw: dict[str, Any], cpu: SpeedParams, backend: str = "any") -> list[Place]:
    """Every place on this machine, filtered to ``backend`` ("any", "llama.cpp", "openvino")."""
    found = [Place("llama.cpp", "CPU", "CPU", cpu, None)]
    if (hw.get("openvino") or {}).get("available", True):
        isa = (hw.get("cpu") or {}).get("isa")
        params, factor = openvino_cpu_params(cpu, isa), openvino_cpu_ratio(isa)["memory"]
        found.append(Place("openvino", "CPU", "CPU (OpenVINO)", params, None, memory_factor=factor))
    ram = (hw.get("memory") or {}).get("total_bytes")
    brand = (hw.get("cpu") or {}).get("brand")
    for acc in hw.get("accelerators") or []:
        found += _accelerator_places(acc, cpu, ram, brand)
    return [p for p in found if backend in ("any", p.backend)]


def _accelerator_places(
    acc: dict[str, Any], cpu: SpeedParams, ram: int | None, cpu_brand: str | None = None
) -> list[Place]:
    name, vendor = acc.get("name") or "?", (acc.get("vendor") or "").lower()
    kind = acc.get("kind")
    if kind == "gpu" and vendor in ("nvidia", "amd") and not acc.get("integrated"):
        figures = gpu_figures(acc)
        if figures is None:
            return []
        cls = CUDA if vendor == "nvidia" else AMD
        params = llama_gpu_params(figures, cls, name)
        free = acc.get("memory_free_bytes") or acc.get("memory_total_bytes")
        return [Place("llama.cpp", "GPU", name, params, free, device_class=cls)]
    if kind == "gpu" and (vendor == "apple" or (vendor == "amd" and acc.get("integrated"))):
        # Apple Metal, and an AMD APU's iGPU through llama.cpp's Vulkan (or ROCm) build:
        # the whole model in the memory the GPU can map
        figures = gpu_figures(acc)
        if figures is None:
            return []
        cls = APPLE if vendor == "apple" else AMD
        params = llama_gpu_params(figures, cls, name)
        pool = gpu_pool(acc, ram)
        return [
            Place(
                "llama.cpp",
                "GPU",
                name,
                params,
                None,
                unified=True,
                device_class=cls,
                pool_bytes=pool.bytes if pool else None,
            )
        ]
    if vendor == "intel" and kind in ("gpu", "npu"):
        device = "NPU" if kind == "npu" else "GPU"
        cap = NPU_MAX_PARAMS_B if device == "NPU" else None
        chip = intel_chip(acc, cpu_brand)
        params = openvino_device_params(kind, chip, name) if chip else None
        cls = OPENVINO_NPU if device == "NPU" else OPENVINO_IGPU
        if params is None:  # a chip the database does not know: the CPU's read rate, a guess
            params, cls = shared_ram_params(cpu, name), None
        return [
            Place(
                "openvino",
                device,
                name,
                params,
                None,
                unified=True,
                max_params_b=cap,
                device_class=cls,
            )
        ]
    return []

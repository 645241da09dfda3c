"""Speed figures for the places a model can run besides llama.cpp on the CPU.

The CPU's figures come from the calibration (``sizer.speed.sources``). Accelerators follow
the same speed model with figures from the hardware database (``sizer/hardware/data``),
all labelled "estimated" (this project has no GPU to calibrate on), scaled by the fractions
of the spec llama.cpp reaches, which ``sizer.speed.gpu_fit`` fits per device class on
published llama-bench runs (this module only applies them).

Which compute peak a prompt runs at, per device (the database names each peak):

- NVIDIA and AMD with llama.cpp: prompt processing multiplies on the tensor / matrix units
  (cuBLAS or llama.cpp's MMQ kernels on tensor cores; WMMA on RDNA 3), so the dense FP16
  tensor peak. Where the database has only the vector FP16 rate (laptop parts), GeForce
  Ampere and Ada do dense FP16 tensor math with FP32 accumulation at twice it (NVIDIA's
  GA102/AD102 whitepapers: RTX 3090 35.6 vs 71 TFLOPS, RTX 4090 82.6 vs 165.2).
- Apple GPUs (Metal): no tensor units; the vector FP16 rate (= FP32 on M-series). Apple
  published no figure for M3/M4 and third-party ones disagree (their clocks are not
  published), so those take the GPU core count times M2's per-core rate, the lower of the
  figures in circulation, and say so.
- Intel iGPU and NPU through OpenVINO: they read the same system RAM as the CPU. Where the
  hardware database knows the chip, decode runs at its memory's spec bandwidth and prefill at
  the iGPU's FP16 matrix peak (XMX) or vector peak (DP4a parts), each at the fraction fitted on
  Intel's and the community's published OpenVINO runs (``sizer.speed.openvino_fit``), with
  fixed per-token and first-token costs. A chip the database does not know falls back to the
  CPU's measured read rate and an assumed peak, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sizer.ggml import GGMLQuantizationType
from sizer.hardware.db import load, match
from sizer.speed.model import SpeedParams
from sizer.speed.openvino_fit import POOLED, Chip, chip_of, fp16_peak, load_efficiency
from sizer.speed.prior import KERNEL_EFFICIENCY

# OpenVINO on an Intel iGPU or NPU the hardware database does not know (a guess, shown with
# no error figure): the share of the RAM's read rate decode reaches, and of an assumed matrix
# peak prefill reaches; also the NPU's prefill, which no published runs fit yet
INTEL_SHARED_RAM_EFFICIENCY = 0.6
GPU_MATMUL_EFFICIENCY = 0.4
NVIDIA_TENSOR_OVER_VECTOR_FP16 = 2.0
# M2's 10-core GPU: 1280 ALUs x 2 x 1.398 GHz = 3.58 TFLOPS (gpus.json), per core.
APPLE_TFLOPS_PER_GPU_CORE = 3.58 / 10
# Intel iGPU/NPU FP16 throughput is not published (gpus.json leaves it null); a Core Ultra
# Arc iGPU is in the few-TFLOPS class, and prefill on it is estimated at this figure.
INTEL_SHARED_RAM_TFLOPS = 4.0
# OpenVINO on the CPU vs llama.cpp on the same weights (Qwen2.5-Coder-1.5B Q4_K_M, 2 threads,
# `sizer bench --backend all`, one run each). OpenVINO's int8 GEMM (activations quantised
# on the fly) needs VNNI: with it prefill is twice llama.cpp's, without it a little below.
# - no VNNI (Zen 3, AVX2; the GGUF read by OpenVINO): decode 6.3 vs 14 tok/s, prefill 41.9
#   vs 45, peak memory 3.65 vs 1.9 GiB;
# - AVX-512 VNNI (Zen 5; the IR converted from that GGUF, benchmarks/openvino_formats.py):
#   decode 15.0 vs 29.1 tok/s, prefill 260 vs 117, peak memory 2.83 vs 1.80 GiB.
OPENVINO_CPU_RATIO = {"decode": 0.45, "prefill": 0.93, "memory": 1.9}
OPENVINO_CPU_RATIO_VNNI = {"decode": 0.52, "prefill": 2.22, "memory": 1.57}
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def openvino_cpu_ratio(isa: dict[str, bool] | None) -> dict[str, float]:
    """OpenVINO/llama.cpp on this CPU: the VNNI measurement where the CPU has VNNI."""
    vnni = any((isa or {}).get(flag) for flag in VNNI_FLAGS)
    return OPENVINO_CPU_RATIO_VNNI if vnni else OPENVINO_CPU_RATIO


@dataclass(frozen=True)
class GpuFigures:
    bandwidth_gbs: float
    matmul_tflops: float
    peak: str  # which compute peak, in words
    origin: str = "spec sheet"  # where the figures came from, in words
    # NVIDIA: llama.cpp multiplies quantised weights with its MMQ kernels on the int8 tensor
    # cores (activations quantised to 8 bits), float weights through cuBLAS at the FP16 peak;
    # published 7B Q4_0 prefill on an RTX 4090 (~14,000 tok/s = 190 TFLOP/s) is above its
    # 165 TFLOPS FP16 peak. None: every type at ``matmul_tflops``.
    quant_tops: float | None = None


# ggml's float types; every other type is quantised (and multiplies on MMQ where there is one)
FLOAT_TYPES = ("F32", "F16", "BF16", "F64")
QUANT_TYPES = tuple(t.name for t in GGMLQuantizationType if t.name not in FLOAT_TYPES)


def gpu_figures(acc: dict[str, Any]) -> GpuFigures | None:
    """Bandwidth and the prompt-processing peak of a GPU record: the figures it carries
    (a database machine) and, for what it lacks, its database entry found by name (a name
    of several listed parts, such as an Apple GPU without its core count: the slowest, and
    ``origin`` says so). None when either figure is unknown: the GPU is not listed."""
    given = {k: v for k, v in (acc.get("spec") or {}).items() if v is not None}
    name = _name_with_cores(acc.get("name") or "", given.get("gpu_cores"))
    found = match(name, load("gpus"))
    entry = found.entry or found.slowest_variant()
    fields = {**(entry.data if entry else {}), **given}
    bandwidth = fields.get("memory_bandwidth_gbs")
    peak = _matmul_peak(fields, (acc.get("vendor") or "").lower())
    if not (bandwidth and peak):
        return None
    origin = "spec sheet" if entry else "figures given in the record"
    if entry is not None and found.entry is None:  # a name of several parts: the slowest
        origin = f"spec sheet of {entry.name}, the slowest part of that name"
    vendor = (acc.get("vendor") or "").lower()
    quant = fields.get("int8_tensor_tops") if vendor == "nvidia" else None
    return GpuFigures(bandwidth, *peak, origin=origin, quant_tops=quant)


def _name_with_cores(name: str, cores: int | None) -> str:
    """An Apple GPU's name with its core count, which tells the listed variants apart."""
    return f"{name} ({cores}-core)" if cores and "-core" not in name else name


def _matmul_peak(fields: dict[str, Any], vendor: str) -> tuple[float, str] | None:
    tensor, vector = fields.get("fp16_tensor_tflops"), fields.get("fp16_vector_tflops")
    if vendor in ("nvidia", "amd", "intel") and tensor:  # Intel: the XMX engines' rate
        return tensor, "dense FP16 tensor peak"
    if vendor == "nvidia" and vector:
        return vector * NVIDIA_TENSOR_OVER_VECTOR_FP16, "2 x vector FP16 (GeForce tensor rate)"
    if vector:
        return vector, "vector FP16 peak"
    if vendor == "apple" and fields.get("gpu_cores"):
        cores = fields["gpu_cores"]
        rate, whose = apple_rate_per_core(str(fields.get("model") or ""))
        return cores * rate, f"{cores} cores x {whose} per-core rate"
    return None


def apple_rate_per_core(model: str) -> tuple[float, str]:
    """Apple publishes a GPU TFLOPS figure for a few chips only: an unpublished variant takes
    the per-core rate of a published chip of its own generation (same GPU core design and
    clock: M1 7-core from M1 8-core), else M2's, the lower of the figures in circulation."""
    generation = (model.split() or [""])[0]
    for entry in load("gpus"):
        data = entry.data
        published, cores = data.get("fp16_vector_tflops"), data.get("gpu_cores")
        if entry.vendor == "Apple" and entry.model.split()[0] == generation and published and cores:
            return published / cores, f"{generation}'s"
    return APPLE_TFLOPS_PER_GPU_CORE, "M2's"


def gpu_params(
    figures: GpuFigures,
    efficiency: float,
    name: str,
    layer_s: float = 2e-5,
    matmul_fraction: float = GPU_MATMUL_EFFICIENCY,
    quant_fraction: float | None = None,
) -> SpeedParams:
    """``efficiency``: the share of the spec bandwidth decode reaches; ``layer_s``: the fixed
    cost per layer per token; ``matmul_fraction``: the share of the matrix peak prefill
    reaches; ``quant_fraction``: the share of the int8 peak quantised weights reach where
    the GPU has one (``sizer.speed.gpu_fit`` fits them per device class)."""
    flops = float_flops = figures.matmul_tflops * 1e12 * matmul_fraction
    fast: tuple[str, ...] = ("*",)
    slow_cost = 1.0
    if figures.quant_tops:  # quantised types at the int8 peak, float types at FP16's
        flops = figures.quant_tops * 1e12 * (quant_fraction or matmul_fraction)
        fast, slow_cost = QUANT_TYPES, flops / float_flops
    return SpeedParams(
        threads=0,
        bandwidth_bytes_s=figures.bandwidth_gbs * 1e9 * efficiency,
        decode_attn_flop_s=float_flops / 4,  # attention multiplies in FP16 whatever the weights
        decode_layer_s=layer_s,
        matmul_flop_s=flops,
        prefill_attn_flop_s=float_flops / 2,
        prefill_layer_s=1e-6,
        source=f"{name} {figures.origin} ({figures.peak}"
        + (", int8 tensor peak for quantised weights)" if figures.quant_tops else ")"),
        confidence="estimated",
        fast_types=fast,
        slow_type_cost=slow_cost,
    )


def shared_ram_params(cpu: SpeedParams, name: str) -> SpeedParams:
    """An Intel iGPU or NPU: the machine's RAM read rate (the CPU's calibrated bandwidth
    before llama.cpp's kernel efficiency) at the GPU's efficiency."""
    raw_gbs = cpu.bandwidth_bytes_s / KERNEL_EFFICIENCY["bandwidth"] / 1e9
    figures = GpuFigures(
        raw_gbs, INTEL_SHARED_RAM_TFLOPS, "assumed FP16 peak, not published", "system RAM bandwidth"
    )
    return gpu_params(figures, INTEL_SHARED_RAM_EFFICIENCY, f"{name}:")


def intel_chip(acc: dict[str, Any], cpu_brand: str | None) -> Chip | None:
    """The chip behind an Intel iGPU or NPU: the figures a database machine carries, else the
    database entry of the CPU's brand string (an exact match only: never a sibling)."""
    spec = {k: v for k, v in (acc.get("spec") or {}).items() if v is not None}
    if spec.get("memory_bandwidth_gbs"):
        bandwidth, xmx, generation = (
            spec["memory_bandwidth_gbs"],
            spec.get("xmx"),
            spec.get("generation"),
        )
        return Chip("database machine", bandwidth, xmx, fp16_peak(spec), generation)
    entry = match(cpu_brand, load("cpus")).entry if cpu_brand else None
    if entry is None or entry.vendor != "Intel":
        return None
    chip = chip_of(entry)
    if not chip.bandwidth_gbs:
        return None
    return chip if chip.xmx is not None else replace(chip, xmx=acc.get("matrix_engines"))


def openvino_device_params(kind: str, chip: Chip, name: str) -> SpeedParams | None:
    """OpenVINO on an Intel iGPU (``kind`` "gpu") or NPU at the figures fitted on published
    runs; None when nothing was fitted for that device."""
    device = "NPU" if kind == "npu" else "GPU"
    stored = load_efficiency().get(device) or {}
    fits = stored.get("fits") or {}
    generation = chip.generation if device == "GPU" else None
    which = generation if generation in fits else POOLED
    fit = fits.get(which)
    if not fit:
        return None
    matrix = "npu" if device == "NPU" else chip.matrix_kind
    fraction = fit["matmul_fraction"].get(matrix)
    if device == "GPU" and chip.fp16_tflops and fraction:
        flops = chip.fp16_tflops * 1e12 * fraction
        prefill = f"{chip.fp16_tflops:g} TFLOPS FP16 {matrix} x {fraction:.2f}"
    else:  # no published first-token runs to fit this on: the old assumed peak
        flops = INTEL_SHARED_RAM_TFLOPS * 1e12 * GPU_MATMUL_EFFICIENCY
        prefill = (
            f"assumed {INTEL_SHARED_RAM_TFLOPS:g} TFLOPS x {GPU_MATMUL_EFFICIENCY} (not fitted)"
        )
    where = f"{chip.name or chip.id} {chip.bandwidth_gbs:g} GB/s"
    basis = (
        f"{name}: {where} x {fit['bandwidth_fraction']:.2f}, "
        f"prefill {prefill}; fitted on {fit['runs']} published OpenVINO {device} runs of "
        f"{fit['chips']} chips ({'every generation' if which == POOLED else which})"
    )
    if device == "NPU":
        basis += _npu_compile_note(stored.get("loads") or [])
    return SpeedParams(
        threads=0,
        bandwidth_bytes_s=chip.bandwidth_gbs * 1e9 * fit["bandwidth_fraction"],
        decode_attn_flop_s=flops / 4,
        decode_layer_s=0.0,
        matmul_flop_s=flops,
        prefill_attn_flop_s=flops / 2,
        prefill_layer_s=0.0,
        source=basis,
        confidence="estimated",
        decode_token_s=fit["token_s"],
        first_token_s=fit["first_token_s"].get(matrix, 0.0),
        first_token_reads_weights=True,
    )


def _npu_compile_note(loads: list[dict[str, Any]]) -> str:
    """The first load compiles the model for the NPU: what published loads took."""
    if not loads:
        return "; the first load compiles the model for the NPU (no published time)"
    seconds = [entry["load_s"] for entry in loads]
    sizes = [entry["params_b"] for entry in loads]
    return (
        f"; the first load compiles the model for the NPU: {min(seconds):.0f}-"
        f"{max(seconds):.0f} s published for {min(sizes):g}-{max(sizes):g}B models "
        "(cached afterwards with OpenVINO's CACHE_DIR)"
    )


def openvino_cpu_params(cpu: SpeedParams, isa: dict[str, bool] | None = None) -> SpeedParams:
    ratio = openvino_cpu_ratio(isa)
    vnni = "VNNI" if ratio is OPENVINO_CPU_RATIO_VNNI else "no VNNI"
    return replace(
        cpu,
        bandwidth_bytes_s=cpu.bandwidth_bytes_s * ratio["decode"],
        matmul_flop_s=cpu.matmul_flop_s * ratio["prefill"],
        source=cpu.source + f" x measured OpenVINO/llama.cpp ratio ({vnni})",
        confidence="estimated",
    )

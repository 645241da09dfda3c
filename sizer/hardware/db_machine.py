"""A machine the fleet knows only from its inventory row: a ``sizer.hardware`` record built
from the hardware database's entries (CPU and GPU) and the installed RAM, in the shape
``sizer recommend`` ranks for — the same ranking, never a second copy of it."""

from __future__ import annotations

from typing import Any

from sizer.hardware.db import Entry
from sizer.hardware.record import X86_FEATURES

# The flags a database x86 CPU states (True or False): every canonical x86 feature but AVX-512
# FP16, which the database does not record.
X86_FLAGS = tuple(name for name in X86_FEATURES if name != "avx512_fp16")
# database ISA names that stand for several probe flags; any other name is the flag itself
ISA_FLAGS = {
    "avx2": ("sse4_2", "avx", "avx2"),
    "avx512f": ("avx512f", "avx512bw", "avx512vl", "avx512dq"),
    "amx": ("amx_tile", "amx_int8", "amx_bf16"),
}
ARM_VENDORS = ("Apple", "Qualcomm", "Broadcom", "Rockchip", "CIX")


def hardware_record(
    cpu: Entry, ram_bytes: int, gpu: Entry | None = None, vram_bytes: int | None = None
) -> dict[str, Any]:
    data = cpu.data
    arch = "aarch64" if cpu.vendor in ARM_VENDORS else "x86_64"
    accelerators = _integrated(cpu, ram_bytes)
    if gpu is not None:
        vram = vram_bytes or int((gpu.data.get("vram_gb") or 0) * (1 << 30)) or None
        accelerators.append(
            {
                "kind": "gpu",
                "vendor": gpu.vendor,
                "name": gpu.model,
                "integrated": False,
                "memory_total_bytes": vram,
                "memory_shared_with_ram": False,
                "spec": _discrete_spec(gpu),
                "source": "hardware database",
            }
        )
    bandwidth = (data.get("memory") or {}).get("max_bandwidth_gbs")
    return {
        "format": "sizer.hardware",
        "format_version": 1,
        "os": {"machine": arch},
        "cpu": {
            "brand": cpu.name,
            "vendor": cpu.vendor,
            "arch": arch,
            "sockets": 1,
            "physical_cores": _physical(data),
            "logical_cpus": data.get("threads") or _physical(data),
            "hybrid": bool(data.get("e_cores")),
            "core_groups": _core_groups(data),
            "max_freq_mhz": (data.get("max_ghz") or 0) * 1000 or None,
            "isa": isa_flags(data.get("isa") or [], arch),
        },
        "memory": {
            "total_bytes": ram_bytes,
            "unified_with_gpu": arch == "aarch64" or any(a.get("integrated") for a in accelerators),
            "theoretical_bandwidth_bytes_s": bandwidth * 1e9 if bandwidth else None,
        },
        "accelerators": accelerators,
        "openvino": {"available": arch == "x86_64"},
        "llama_cpp": {"installed": True, "version": None},
        "measurements": [],
        "source": f"hardware database: {cpu.id}" + (f" + {gpu.id}" if gpu else ""),
    }


def _discrete_spec(gpu: Entry) -> dict[str, Any]:
    """The entry's figures the speed model reads (``sizer.speed.devices`` picks the peak)."""
    keys = ("memory_bandwidth_gbs", "fp16_vector_tflops", "fp16_tensor_tflops")
    return {key: gpu.data.get(key) for key in keys}


def _physical(data: dict[str, Any]) -> int:
    return (data.get("p_cores") or 0) + (data.get("e_cores") or 0) or 1


def _core_groups(data: dict[str, Any]) -> list[dict[str, Any]]:
    """P and E groups on hybrid CPUs (llama.cpp's threads go to the P-cores), else one."""
    p, e = data.get("p_cores") or 0, data.get("e_cores") or 0
    threads = data.get("threads") or p + e
    if not e:
        return [{"kind": "all", "physical_cores": p, "logical_cpus": threads}]
    return [
        {"kind": "P", "physical_cores": p, "logical_cpus": max(p, threads - e)},
        {"kind": "E", "physical_cores": e, "logical_cpus": e},
    ]


def isa_flags(names: list[str], arch: str) -> dict[str, bool]:
    """Probe-style ISA flags from the database's feature names."""
    flags = dict.fromkeys(X86_FLAGS, False) if arch == "x86_64" else {}
    for name in names:
        for flag in ISA_FLAGS.get(name, (name,)):
            flags[flag] = True
    return flags


def _integrated(cpu: Entry, ram_bytes: int) -> list[dict[str, Any]]:
    """The iGPU and NPU, as the probe would list them (sharing system RAM)."""
    out = []
    igpu, npu = cpu.data.get("igpu"), cpu.data.get("npu")
    if igpu:
        name = f"{cpu.model} GPU" if cpu.vendor == "Apple" else str(igpu.get("name"))
        spec = {
            "memory_bandwidth_gbs": (cpu.data.get("memory") or {}).get("max_bandwidth_gbs"),
            "fp16_vector_tflops": igpu.get("fp16_vector_tflops"),
            # Intel: the XMX engines' FP16 rate, and whether it has them (OpenVINO's prefill)
            "fp16_matrix_tflops": igpu.get("fp16_matrix_tflops"),
            "xmx": igpu.get("xmx"),
            "generation": igpu.get("generation"),
        }  # unified memory: the SoC's bandwidth
        options = igpu.get("gpu_cores") or []
        if options:
            # An inventory names the chip, not its GPU bin: the smallest bin is the floor
            # every machine of that name reaches, and the source says it was assumed.
            spec["gpu_cores"] = min(options)
        out.append(
            {
                "kind": "gpu",
                "vendor": cpu.vendor,
                "name": name,
                "integrated": True,
                "memory_total_bytes": ram_bytes,
                "memory_shared_with_ram": True,
                "spec": spec,
                "source": "hardware database"
                + (
                    f" ({min(options)}-core GPU assumed: the lowest of {options})"
                    if len(options) > 1
                    else ""
                ),
            }
        )
    if npu:
        out.append(
            {
                "kind": "npu",
                "vendor": cpu.vendor,
                "name": str(npu.get("name")),
                "integrated": True,
                "memory_shared_with_ram": True,
                "tops": npu.get("tops"),
                "spec": {
                    "memory_bandwidth_gbs": (cpu.data.get("memory") or {}).get("max_bandwidth_gbs")
                },
                "source": "hardware database",
            }
        )
    return out

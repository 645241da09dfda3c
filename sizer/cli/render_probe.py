"""Plain-text table of a Hardware record."""

from __future__ import annotations

from dataclasses import asdict

from sizer.hardware.gpu_memory import gpu_pool
from sizer.hardware.record import Accelerator, Hardware
from sizer.probe import isa
from sizer.units import gib, rate


def render_probe(hw: Hardware) -> str:
    rows = [
        *_cpu_rows(hw),
        *_memory_rows(hw),
        *_accelerator_rows(hw),
        _power_row(hw),
        *_runtime_rows(hw),
    ]
    width = max(len(label) for label, _ in rows)
    system = " ".join(v for v in hw.os.values() if v)
    lines = [f"sizer probe — {hw.source} ({system or 'unknown OS'})", ""]
    lines += [f"{label.ljust(width)}  {value}" for label, value in rows]
    lines += _measurement_lines(hw) + _missing_lines(hw)
    return "\n".join(lines)


def _cpu_rows(hw: Hardware) -> list[tuple[str, str]]:
    cpu = hw.cpu
    groups = ", ".join(f"{g.physical_cores} {g.kind}" for g in cpu.core_groups if g.kind != "all")
    hybrid = f"hybrid: {groups}" if cpu.hybrid else ("not hybrid" if cpu.hybrid is False else "")
    cores = f"{cpu.physical_cores or '?'} physical, {cpu.logical_cpus or '?'} logical"
    clocks = f"base {_mhz(cpu.base_freq_mhz)}, max {_mhz(cpu.max_freq_mhz)}"
    caches = " · ".join(f"{k.upper()} {gib(v)}" for k, v in cpu.cache_bytes.items())
    return [
        ("CPU", f"{cpu.brand or '?'} ({cpu.vendor or '?'}, {cpu.arch or '?'})"),
        ("cores", f"{cores}; {hybrid}".rstrip("; ")),
        ("clock", clocks),
        ("caches", caches or "?"),
        ("ISA", isa.summary(cpu.isa) + _lacks(cpu.isa)),
    ]


def _lacks(features: dict[str, bool]) -> str:
    wanted = [("avx512f", "AVX-512"), ("amx_int8", "AMX"), ("sve", "SVE"), ("i8mm", "I8MM")]
    absent = [label for key, label in wanted if features.get(key) is False]
    return f"  (no {', '.join(absent)})" if absent else ""


def _mhz(value: float | None) -> str:
    return f"{value / 1000:.2f} GHz" if value else "?"


def _memory_rows(hw: Hardware) -> list[tuple[str, str]]:
    mem = hw.memory
    shared = {True: "yes", False: "no", None: "unknown"}[mem.unified_with_gpu]
    text = (
        f"{gib(mem.total_bytes)} total, {gib(mem.available_bytes)} available, "
        f"swap {gib(mem.swap_total_bytes)}; GPU shares RAM: {shared}"
    )
    return [("memory", text)]


def _accelerator_rows(hw: Hardware) -> list[tuple[str, str]]:
    rows = [(a.kind.upper(), _describe(a, hw.memory.total_bytes)) for a in hw.accelerators]
    if not rows:
        rows = [("GPU/NPU", "none found")]
    return rows


def _describe(acc: Accelerator, ram_bytes: int | None) -> str:
    kind = {True: "integrated", False: "discrete", None: ""}[acc.integrated]
    parts = [f"{acc.name} [{acc.device_id}, {acc.source}]", kind, *_generation(acc)]
    shared = acc.memory_shared_with_ram
    if acc.memory_total_bytes:
        free = f", {gib(acc.memory_free_bytes)} free" if acc.memory_free_bytes else ""
        what = "carve-out " if shared and acc.vendor == "AMD" else ""
        parts.append(f"{what}{gib(acc.memory_total_bytes)}{free}")
    gtt = acc.extra.get("gtt_total_bytes")
    if gtt:
        parts.append(f"GTT {gib(gtt)}")
    pool = gpu_pool(asdict(acc), ram_bytes) if shared else None
    if pool is not None and acc.vendor == "AMD":
        parts.append(
            f"llama.cpp (Vulkan) can use {gib(pool.bytes)} ({pool.why}); ROCm: up to HIP's "
            "own total; OpenVINO: no AMD GPU device"
        )
    elif pool is not None:
        parts.append(f"llama.cpp can use {gib(pool.bytes)} ({pool.why})")
    if acc.compute_capability:
        parts.append(f"compute {acc.compute_capability}")
    if acc.driver_version:
        parts.append(f"driver {acc.driver_version}")
    if acc.extra.get("NPU_COMPILER_VERSION"):
        parts.append(f"compiler {acc.extra['NPU_COMPILER_VERSION']}")
    return ", ".join(p for p in parts if p)


def _generation(acc: Accelerator) -> list[str]:
    """What the device is: its generation, matrix engines (XMX) and cores or tiles."""
    parts = [acc.generation or ""]
    if acc.matrix_engines is not None:
        parts.append("XMX matrix engines" if acc.matrix_engines else "no XMX (DP4a int8)")
    if acc.compute_units:
        unit = "tiles" if acc.kind == "npu" else "Xe-cores"
        parts.append(f"{acc.compute_units} {unit}")
    return parts


def _power_row(hw: Hardware) -> tuple[str, str]:
    power = hw.power
    detail = power.detail or "read from Linux's /sys/class/power_supply only"
    return ("power", f"{power.source or 'unknown'} ({detail})")


def _runtime_rows(hw: Hardware) -> list[tuple[str, str]]:
    ov = hw.openvino
    devices = ", ".join(d.device_id for d in ov.devices)
    ov_text = f"{ov.version or '?'}: {devices or 'no devices'}" if ov.available else "absent"
    lc = hw.llama_cpp
    offload = "GPU offload" if lc.gpu_offload else "CPU only"
    lc_text = (
        f"{lc.version}, {offload} (backends: {', '.join(lc.backends)})"
        if lc.installed
        else "not installed"
    )
    return [("OpenVINO", ov_text), ("llama.cpp", lc_text)]


def _measurement_lines(hw: Hardware) -> list[str]:
    if not hw.measurements:
        return []
    lines = ["", "measured (median, spread = (max-min)/median)"]
    for m in hw.measurements:
        threads = f"{m.threads} thread{'s' if m.threads != 1 else ''}" if m.threads else ""
        label = f"{m.kernel} {m.device} {threads}".strip()
        spread = m.stats.spread
        lines.append(
            f"  {label:<42} {rate(m.stats.median, m.unit):>14}  ±{spread:.0%}  (n={m.stats.n})"
        )
    return lines


def _missing_lines(hw: Hardware) -> list[str]:
    lines = []
    if hw.absent:
        lines += ["", "absent:"] + [f"  {a.field}: {a.reason}" for a in hw.absent]
    if hw.missing:
        lines += ["", "could not read:"] + [f"  {m.field}: {m.reason}" for m in hw.missing]
    return lines

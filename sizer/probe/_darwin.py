"""macOS readers: ``sysctl -a`` (CPU, P/E clusters, memory, ISA) and the Apple GPU.

Apple Silicon has one memory pool: the GPU uses system RAM, and by default Metal lets one
process wire up to about 2/3–3/4 of it (``iogpu.wired_limit_mb`` overrides; 0 = default).
"""

from __future__ import annotations

from sizer.hardware.record import Accelerator, CoreGroup, Hardware
from sizer.probe import isa
from sizer.probe.sysroot import SysRoot


def parse_sysctl(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and " " not in key.strip():
            values[key.strip()] = value.strip()
    return values


def read_sysctl(root: SysRoot) -> dict[str, str]:
    text = root.command(["sysctl", "-a"], "sysctl.txt")
    return parse_sysctl(text) if text else {}


def _int(values: dict[str, str], key: str) -> int | None:
    try:
        return int(values[key])
    except (KeyError, ValueError):
        return None


def read_cpu(values: dict[str, str], hw: Hardware, arch: str) -> None:
    if not values:
        hw.note_missing("cpu", "sysctl output unavailable")
        return
    cpu = hw.cpu
    cpu.arch = arch or ("arm64" if "hw.optional.arm64" in values else None)
    cpu.brand = values.get("machdep.cpu.brand_string")
    cpu.vendor = (
        "Apple" if (cpu.brand or "").startswith("Apple") else values.get("machdep.cpu.vendor")
    )
    # Apple Silicon: hw.cpufamily names the core design (M1 Firestorm/Icestorm, ...) and
    # hw.cpusubfamily the die variant; Intel Macs report CPUID as on any x86.
    cpu.family = values.get("machdep.cpu.family") or values.get("hw.cpufamily")
    cpu.model = values.get("machdep.cpu.model") or values.get("hw.cpusubfamily")
    cpu.stepping = values.get("machdep.cpu.stepping")
    cpu.physical_cores = _int(values, "hw.physicalcpu")
    cpu.logical_cpus = _int(values, "hw.logicalcpu")
    cpu.sockets = _int(values, "hw.packages")
    _read_perflevels(values, hw)
    _read_caches(values, hw)
    if isa.is_arm(cpu.arch):
        cpu.isa = isa.from_darwin_sysctl(values)
    else:
        words = (
            (
                values.get("machdep.cpu.features", "")
                + " "
                + values.get("machdep.cpu.leaf7_features", "")
            )
            .lower()
            .replace(".", "_")
            .split()
        )
        cpu.isa = isa.from_flag_words(words, cpu.arch)
    max_hz = _int(values, "hw.cpufrequency_max")
    cpu.max_freq_mhz = max_hz / 1e6 if max_hz else None
    if max_hz is None:
        # Apple Silicon does not publish clock speeds through sysctl.
        hw.note_missing("cpu.max_freq_mhz", "macOS on Apple Silicon does not expose clocks")
        hw.note_missing("cpu.base_freq_mhz", "macOS on Apple Silicon does not expose clocks")


def _read_perflevels(values: dict[str, str], hw: Hardware) -> None:
    """hw.perflevel0 is the performance cluster, perflevel1 the efficiency cluster."""
    levels = _int(values, "hw.nperflevels") or 0
    groups = []
    for level in range(levels):
        cores = _int(values, f"hw.perflevel{level}.physicalcpu")
        logical = _int(values, f"hw.perflevel{level}.logicalcpu") or cores
        if cores:
            kind = {"Performance": "P", "Efficiency": "E"}.get(
                values.get(f"hw.perflevel{level}.name", ""), "P" if level == 0 else "E"
            )
            groups.append(CoreGroup(kind, cores, logical or cores))
    hw.cpu.core_groups = groups
    hw.cpu.hybrid = len(groups) > 1 if groups else None


def _read_caches(values: dict[str, str], hw: Hardware) -> None:
    """Totals as lscpu gives them: each cluster shares one L2 among ``cpusperl2`` cores."""
    caches: dict[str, int] = {}
    l2_total = 0
    for level in range(_int(values, "hw.nperflevels") or 0):
        size = _int(values, f"hw.perflevel{level}.l2cachesize") or 0
        cores = _int(values, f"hw.perflevel{level}.physicalcpu") or 0
        per_l2 = _int(values, f"hw.perflevel{level}.cpusperl2") or cores or 1
        l2_total += size * -(-cores // per_l2)
    l1d = _int(values, "hw.perflevel0.l1dcachesize") or _int(values, "hw.l1dcachesize")
    for name, value in (
        ("l1d", l1d),
        ("l2", l2_total or _int(values, "hw.l2cachesize")),
        ("l3", _int(values, "hw.l3cachesize")),
    ):
        if value:
            caches[name] = value
    hw.cpu.cache_bytes = caches


def read_memory(values: dict[str, str], hw: Hardware, root: SysRoot) -> None:
    hw.memory.total_bytes = _int(values, "hw.memsize")
    if hw.memory.total_bytes is None:
        hw.note_missing("memory.total_bytes", "sysctl hw.memsize unavailable")
    if root.live:
        from sizer.probe import _portable

        _portable.read_memory_dynamic(hw)
    else:
        hw.note_missing("memory.available_bytes", "not in a sysctl capture")


def read_apple_gpu(values: dict[str, str], hw: Hardware) -> None:
    brand = hw.cpu.brand or ""
    if not brand.startswith("Apple"):
        return
    hw.memory.unified_with_gpu = True
    wired_mb = _int(values, "iogpu.wired_limit_mb")
    cores, how = _apple_gpu_cores(brand, hw.cpu.physical_cores)
    hw.accelerators.append(
        Accelerator(
            kind="gpu",
            vendor="Apple",
            name=f"{brand} GPU",
            source="apple-sysctl",
            device_id="metal:0",
            integrated=True,
            memory_total_bytes=hw.memory.total_bytes,
            memory_shared_with_ram=True,
            extra={"wired_limit_mb": wired_mb} if wired_mb else {},
            spec={"gpu_cores": cores} if cores else {},
        )
    )
    if how:
        hw.note_missing("gpu cores", how)


def _apple_gpu_cores(brand: str, cpu_cores: int | None) -> tuple[int | None, str | None]:
    """sysctl does not count GPU cores; Apple ships each chip's CPU bins with fixed GPU
    bins, so the CPU's core count often settles it (a 16-core M4 Max has the 40-core GPU).
    Where it does not (the M2 Max comes with 30 or 38), the smaller bin, and a note."""
    from sizer.hardware.db import load, match

    found = match(f"{brand} {cpu_cores}-core" if cpu_cores else brand, load("cpus"))
    entry = found.entry or found.slowest_variant()
    options = sorted(((entry.data.get("igpu") or {}).get("gpu_cores") or []) if entry else [])
    if len(options) > 1:
        return options[0], f"GPU cores not in sysctl: {options} possible, {options[0]} assumed"
    return (options[0], None) if options else (None, None)

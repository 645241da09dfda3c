"""Readers for the live machine through psutil and py-cpuinfo (Windows and fallbacks).

Only used when probing the running machine: captured sysroots never reach this module.
"""

from __future__ import annotations

from sizer.hardware.record import CoreGroup, Hardware
from sizer.probe import isa


def read_memory_dynamic(hw: Hardware) -> None:
    import psutil

    virtual, swap = psutil.virtual_memory(), psutil.swap_memory()
    hw.memory.total_bytes = hw.memory.total_bytes or virtual.total
    hw.memory.available_bytes = virtual.available
    hw.memory.swap_total_bytes = swap.total
    hw.memory.swap_free_bytes = swap.free


def read_cpu(hw: Hardware, arch: str) -> None:
    """py-cpuinfo spawns helpers and takes about a second; only used off Linux and macOS."""
    import cpuinfo
    import psutil

    info = cpuinfo.get_cpu_info()
    cpu = hw.cpu
    cpu.arch = arch or info.get("arch_string_raw")
    cpu.brand = info.get("brand_raw")
    cpu.vendor = info.get("vendor_id_raw")
    cpu.logical_cpus = psutil.cpu_count(logical=True)
    cpu.physical_cores = psutil.cpu_count(logical=False)
    cpu.isa = isa.from_flag_words(info.get("flags", []), cpu.arch)
    freq = psutil.cpu_freq()
    cpu.max_freq_mhz = float(freq.max) if freq and freq.max else None
    hz = info.get("hz_advertised")
    cpu.base_freq_mhz = hz[0] / 1e6 if hz else None
    for name, value in (("l2", info.get("l2_cache_size")), ("l3", info.get("l3_cache_size"))):
        if isinstance(value, int) and value:
            cpu.cache_bytes[name] = value
    # Windows exposes P/E core classes only through GetLogicalProcessorInformationEx
    # (EfficiencyClass); not read yet, so hybrid is unknown rather than False.
    cpu.hybrid = None
    if cpu.physical_cores:
        cpu.core_groups = [CoreGroup("all", cpu.physical_cores, cpu.logical_cpus or 0)]
    hw.note_missing("cpu.hybrid", "P/E core classes are only read on Linux and macOS")

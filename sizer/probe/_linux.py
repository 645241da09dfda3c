"""Linux readers: /proc/cpuinfo, /proc/meminfo and /sys/devices/system/cpu.

Evidence for each quirk is in a comment next to it; captured trees live in tests/fixtures.
"""

from __future__ import annotations

import re
from collections import Counter

from sizer.probe import isa
from sizer.probe.cpulist import parse_cpu_list, parse_cpuinfo, parse_size
from sizer.probe.records import CoreGroup, CpuInfo, Hardware, MemoryInfo
from sizer.probe.sysroot import SysRoot

CPU_SYS = "sys/devices/system/cpu"

# lscpu's table (util-linux lscpu-arm.c) for the Arm cores people run models on.
_ARM_PARTS = {
    ("0x41", "0xd0b"): "Cortex-A76", ("0x41", "0xd0c"): "Neoverse-N1",
    ("0x41", "0xd40"): "Neoverse-V1", ("0x41", "0xd49"): "Neoverse-N2",
    ("0x41", "0xd4f"): "Neoverse-V2", ("0x41", "0xd8e"): "Neoverse-N3",
    ("0x41", "0xd84"): "Neoverse-V3", ("0x41", "0xd08"): "Cortex-A72",
    ("0x41", "0xd03"): "Cortex-A53", ("0x41", "0xd05"): "Cortex-A55",
    ("0xc0", "0xac3"): "Ampere-1", ("0xc0", "0xac4"): "Ampere-1a",
    ("0x61", "0x022"): "Apple M1 Icestorm", ("0x61", "0x023"): "Apple M1 Firestorm",
}  # fmt: skip
_ARM_VENDORS = {"0x41": "ARM", "0x61": "Apple", "0xc0": "Ampere", "0x51": "Qualcomm"}


def read_cpu(root: SysRoot, hw: Hardware, arch: str) -> None:
    text = root.read_text("proc/cpuinfo")
    blocks = [b for b in parse_cpuinfo(text) if "processor" in b] if text else []
    cpu = hw.cpu
    cpu.arch = arch or None
    if not blocks:
        hw.note_missing("cpu", "/proc/cpuinfo is absent or unreadable")
    else:
        _identity_from_cpuinfo(cpu, blocks[0], arch)
        cpu.isa = isa.from_flag_words(_flag_words(blocks[0]), arch)
    online = parse_cpu_list(root.read_text(f"{CPU_SYS}/online"))
    cpus = online if online else list(range(len(blocks)))
    cpu.logical_cpus = len(cpus) or None
    _read_topology(root, hw, cpus, blocks)
    _read_core_groups(root, hw, cpus)
    _read_frequencies(root, hw, cpus)
    cpu.cache_bytes = _read_caches(root, cpus)
    if not cpu.cache_bytes:
        hw.note_missing("cpu.cache_bytes", f"no readable /{CPU_SYS}/cpu*/cache entries")
    _note_unread_identity(hw)


def _flag_words(block: dict[str, str]) -> list[str]:
    return (block.get("flags") or block.get("Features") or "").split()


def _identity_from_cpuinfo(cpu: CpuInfo, block: dict[str, str], arch: str) -> None:
    cpu.brand = block.get("model name") or block.get("Model Name") or block.get("cpu model")
    cpu.vendor = block.get("vendor_id")
    if isa.is_arm(arch) or "CPU implementer" in block:
        implementer, part = block.get("CPU implementer"), block.get("CPU part")
        cpu.vendor = cpu.vendor or _ARM_VENDORS.get(implementer or "", implementer)
        cpu.brand = cpu.brand or _ARM_PARTS.get((implementer or "", part or ""))


def _note_unread_identity(hw: Hardware) -> None:
    for name in ("brand", "vendor", "physical_cores", "logical_cpus"):
        if getattr(hw.cpu, name) is None and not any(m.field == "cpu" for m in hw.missing):
            hw.note_missing(f"cpu.{name}", "not present in /proc/cpuinfo or sysfs topology")


def _read_topology(root: SysRoot, hw: Hardware, cpus: list[int], blocks: list[dict]) -> None:
    """Physical cores = distinct (package, core) pairs; sysfs first, /proc/cpuinfo second."""
    pairs = set()
    for n in cpus:
        package = root.read_int(f"{CPU_SYS}/cpu{n}/topology/physical_package_id")
        core = root.read_int(f"{CPU_SYS}/cpu{n}/topology/core_id")
        if core is None:
            break
        pairs.add((package, core))
    else:
        if pairs:
            hw.cpu.physical_cores = len(pairs)
            hw.cpu.sockets = len({p for p, _ in pairs})
            return
    pairs = {(b.get("physical id"), b.get("core id")) for b in blocks}
    if blocks and all(core is not None for _, core in pairs):
        hw.cpu.physical_cores = len(pairs)
        hw.cpu.sockets = len({p for p, _ in pairs})
    elif blocks and isa.is_arm(hw.cpu.arch):
        # Arm cores people run models on have no SMT; /proc/cpuinfo lists one entry per core.
        hw.cpu.physical_cores = len(blocks)
        hw.note_missing("cpu.sockets", "no topology in sysfs or /proc/cpuinfo")


def _read_core_groups(root: SysRoot, hw: Hardware, cpus: list[int]) -> None:
    """Hybrid Intel CPUs register two PMUs: cpu_core (P-cores) and cpu_atom (E-cores).

    Evidence: Linux perf's hybrid support (tools/perf/util/pmu-hybrid.c) and
    /sys/devices/cpu_core/cpus on Alder Lake and later. Meteor Lake's two low-power E-cores
    sit on the SoC tile outside the compute tile's L3, so they are the atom CPUs with no
    level-3 cache entry in sysfs (see tests/fixtures/probe/intel-core-ultra/SOURCES.md).
    """
    p_cpus = parse_cpu_list(root.read_text("sys/devices/cpu_core/cpus"))
    e_cpus = parse_cpu_list(root.read_text("sys/devices/cpu_atom/cpus"))
    if not p_cpus and not e_cpus:
        hw.cpu.hybrid = False
        hw.cpu.core_groups = [_group(root, "all", cpus)] if cpus else []
        return
    hw.cpu.hybrid = True
    lp_e = [n for n in e_cpus or [] if _has_cache_info(root, n) and not _has_l3(root, n)]
    e_only = [n for n in e_cpus or [] if n not in lp_e]
    groups = [("P", p_cpus or []), ("E", e_only), ("LP-E", lp_e)]
    hw.cpu.core_groups = [_group(root, kind, members) for kind, members in groups if members]
    if e_cpus and not any(_has_cache_info(root, n) for n in e_cpus):
        hw.note_missing("cpu.core_groups.LP-E", "cache topology unreadable; LP-E counted as E")


def _group(root: SysRoot, kind: str, members: list[int]) -> CoreGroup:
    cores = {
        (
            root.read_int(f"{CPU_SYS}/cpu{n}/topology/physical_package_id"),
            root.read_int(f"{CPU_SYS}/cpu{n}/topology/core_id"),
        )
        for n in members
    }
    # Without topology files every CPU counts as its own core.
    physical = len(cores) if (None, None) not in cores else len(members)
    freqs = [root.read_int(f"{CPU_SYS}/cpu{n}/cpufreq/cpuinfo_max_freq") for n in members]
    known = [f for f in freqs if f]
    return CoreGroup(kind, physical, len(members), max(known) / 1000 if known else None)


def _has_cache_info(root: SysRoot, cpu: int) -> bool:
    return bool(root.list_dir(f"{CPU_SYS}/cpu{cpu}/cache"))


def _has_l3(root: SysRoot, cpu: int) -> bool:
    for index in root.list_dir(f"{CPU_SYS}/cpu{cpu}/cache"):
        if root.read_int(f"{CPU_SYS}/cpu{cpu}/cache/{index}/level") == 3:
            return True
    return False


def _read_frequencies(root: SysRoot, hw: Hardware, cpus: list[int]) -> None:
    max_khz = [root.read_int(f"{CPU_SYS}/cpu{n}/cpufreq/cpuinfo_max_freq") for n in cpus]
    base_khz = [root.read_int(f"{CPU_SYS}/cpu{n}/cpufreq/base_frequency") for n in cpus]
    known_max = [f for f in max_khz if f]
    known_base = [f for f in base_khz if f]
    hw.cpu.max_freq_mhz = max(known_max) / 1000 if known_max else None
    hw.cpu.base_freq_mhz = max(known_base) / 1000 if known_base else _brand_ghz(hw.cpu.brand)
    if hw.cpu.max_freq_mhz is None:
        hw.note_missing("cpu.max_freq_mhz", "no cpufreq in sysfs (virtual machine or no driver)")
    if hw.cpu.base_freq_mhz is None:
        hw.note_missing("cpu.base_freq_mhz", "no base_frequency in sysfs and none in the brand")


def _brand_ghz(brand: str | None) -> float | None:
    """Intel brand strings carry the base clock: "... i5-1145G7 @ 2.60GHz"."""
    match = re.search(r"@\s*([\d.]+)\s*GHz", brand or "")
    return float(match.group(1)) * 1000 if match else None


def _read_caches(root: SysRoot, cpus: list[int]) -> dict[str, int]:
    """Sum each cache instance once (instances are told apart by shared_cpu_list)."""
    seen: set[tuple[str, str]] = set()
    totals: Counter[str] = Counter()
    for n in cpus:
        base = f"{CPU_SYS}/cpu{n}/cache"
        for index in root.list_dir(base):
            name = _cache_name(root, f"{base}/{index}")
            shared = (root.read_text(f"{base}/{index}/shared_cpu_list") or str(n)).strip()
            size = parse_size(root.read_text(f"{base}/{index}/size"))
            if name and size and (name, shared) not in seen:
                seen.add((name, shared))
                totals[name] += size
    return dict(sorted(totals.items()))


def _cache_name(root: SysRoot, index_dir: str) -> str | None:
    level = root.read_int(f"{index_dir}/level")
    kind = (root.read_text(f"{index_dir}/type") or "").strip()
    if level is None:
        return None
    suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
    return f"l{level}{suffix}"


def read_memory(root: SysRoot, hw: Hardware) -> None:
    text = root.read_text("proc/meminfo")
    values = _parse_meminfo(text or "")
    mem: MemoryInfo = hw.memory
    mem.total_bytes = values.get("MemTotal")
    mem.available_bytes = values.get("MemAvailable")
    mem.swap_total_bytes = values.get("SwapTotal")
    mem.swap_free_bytes = values.get("SwapFree")
    for name, key in (("total_bytes", "MemTotal"), ("available_bytes", "MemAvailable"),
                      ("swap_total_bytes", "SwapTotal")):  # fmt: skip
        if key not in values:
            hw.note_missing(f"memory.{name}", f"/proc/meminfo has no readable {key}")


def _parse_meminfo(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"(\w+):\s+(\d+)\s*(kB)?\s*$", line)
        if match:
            values[match.group(1)] = int(match.group(2)) * (1024 if match.group(3) else 1)
    return values

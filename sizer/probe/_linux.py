"""Linux readers: /proc/cpuinfo, /proc/meminfo and /sys/devices/system/cpu.

Evidence for each quirk is in a comment next to it; captured trees live in tests/fixtures.
"""

from __future__ import annotations

import re
from collections import Counter

from sizer.hardware.record import CoreGroup, CpuInfo, Hardware, MemoryInfo
from sizer.probe import isa
from sizer.probe.cpulist import parse_cpu_list, parse_cpuinfo, parse_size
from sizer.probe.sysroot import SysRoot

CPU_SYS = "sys/devices/system/cpu"

# lscpu's table (util-linux lscpu-arm.c) for the Arm cores people run models on.
_ARM_PARTS = {
    ("0x41", "0xd0b"): "Cortex-A76",
    ("0x41", "0xd0c"): "Neoverse-N1",
    ("0x41", "0xd40"): "Neoverse-V1",
    ("0x41", "0xd49"): "Neoverse-N2",
    ("0x41", "0xd4f"): "Neoverse-V2",
    ("0x41", "0xd8e"): "Neoverse-N3",
    ("0x41", "0xd84"): "Neoverse-V3",
    ("0x41", "0xd08"): "Cortex-A72",
    ("0x41", "0xd03"): "Cortex-A53",
    ("0x41", "0xd05"): "Cortex-A55",
    ("0xc0", "0xac3"): "Ampere-1",
    ("0xc0", "0xac4"): "Ampere-1a",
    ("0x61", "0x022"): "Apple M1 Icestorm",
    ("0x61", "0x023"): "Apple M1 Firestorm",
}
_ARM_VENDORS = {"0x41": "ARM", "0x61": "Apple", "0xc0": "Ampere", "0x51": "Qualcomm"}


def read_cpu(root: SysRoot, hw: Hardware, arch: str) -> None:
    text = root.read_text("proc/cpuinfo")
    blocks = [b for b in parse_cpuinfo(text) if "processor" in b] if text else []
    cpu = hw.cpu
    cpu.arch = arch or _arch_from_cpuinfo(blocks)
    if not blocks:
        hw.note_missing("cpu", "/proc/cpuinfo is absent or unreadable")
    else:
        _identity_from_cpuinfo(cpu, blocks[0], cpu.arch)
        cpu.isa = isa.from_flag_words(_flag_words(blocks[0]), cpu.arch)
    online = parse_cpu_list(root.read_text(f"{CPU_SYS}/online"))
    cpus = online or _processor_numbers(blocks)
    truncated = not online and _siblings_total(blocks) > len(cpus)
    if truncated:  # a capture cut after processor 0: trust its per-package counts
        cpus = list(range(_siblings_total(blocks)))
    cpu.logical_cpus = len(cpus) or None
    topology = {} if truncated else _core_keys(root, cpus, blocks)
    _read_topology(hw, topology, blocks)
    _read_core_groups(root, hw, cpus, topology, blocks)
    _read_frequencies(root, hw, cpus)
    cpu.cache_bytes = _read_caches(root, cpus)
    if not cpu.cache_bytes:
        hw.note_missing("cpu.cache_bytes", f"no readable /{CPU_SYS}/cpu*/cache entries")
    _note_unread_identity(hw)


def _arch_from_cpuinfo(blocks: list[dict[str, str]]) -> str | None:
    """For captures without uname: arm64 cpuinfo has "CPU implementer", x86 "vendor_id"."""
    first = blocks[0] if blocks else {}
    if "CPU implementer" in first:
        return "aarch64"
    if "vendor_id" in first:
        return "x86_64" if " lm " in f" {first.get('flags', '')} " else "i686"
    return None


def _siblings_total(blocks: list[dict[str, str]]) -> int:
    """Logical CPUs per package times packages, as /proc/cpuinfo's x86 blocks declare."""
    siblings = _int(blocks[0].get("siblings")) if blocks else None
    packages = {b.get("physical id") for b in blocks}
    return (siblings or 0) * max(1, len(packages))


def _processor_numbers(blocks: list[dict[str, str]]) -> list[int]:
    numbers = [_int(b.get("processor")) for b in blocks]
    return [n if n is not None else i for i, n in enumerate(numbers)]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _flag_words(block: dict[str, str]) -> list[str]:
    return (block.get("flags") or block.get("Features") or "").split()


def _identity_from_cpuinfo(cpu: CpuInfo, block: dict[str, str], arch: str | None) -> None:
    cpu.brand = block.get("model name") or block.get("Model Name") or block.get("cpu model")
    cpu.vendor = block.get("vendor_id")
    if isa.is_arm(arch) or "CPU implementer" in block:
        implementer, part = block.get("CPU implementer"), block.get("CPU part")
        cpu.vendor = cpu.vendor or _ARM_VENDORS.get(implementer or "", implementer)
        cpu.brand = cpu.brand or _ARM_PARTS.get((implementer or "", part or ""))
        cpu.family, cpu.model = implementer, part
        variant, revision = block.get("CPU variant"), block.get("CPU revision")
        cpu.stepping = f"r{variant}p{revision}" if variant and revision else None
    else:
        cpu.family, cpu.model = block.get("cpu family"), block.get("model")
        cpu.stepping = block.get("stepping")


def _note_unread_identity(hw: Hardware) -> None:
    for name in ("brand", "vendor", "physical_cores", "logical_cpus"):
        if getattr(hw.cpu, name) is None and not any(m.field == "cpu" for m in hw.missing):
            hw.note_missing(f"cpu.{name}", "not present in /proc/cpuinfo or sysfs topology")


CoreKey = tuple[int | None, int]


def _core_keys(root: SysRoot, cpus: list[int], blocks: list[dict]) -> dict[int, CoreKey]:
    """Logical CPU -> (package, core): sysfs topology, else the blocks of /proc/cpuinfo.
    Empty when neither knows every CPU (a capture cut after processor 0, most Arm boards)."""
    keys: dict[int, CoreKey] = {}
    for n in cpus:
        core = root.read_int(f"{CPU_SYS}/cpu{n}/topology/core_id")
        if core is None:
            break
        keys[n] = (root.read_int(f"{CPU_SYS}/cpu{n}/topology/physical_package_id"), core)
    else:
        return keys
    by_cpu = {_int(b.get("processor")): b for b in blocks}
    keys = {}
    for n in cpus:
        block = by_cpu.get(n, {})
        core = _int(block.get("core id"))
        if core is None:
            return {}
        keys[n] = (_int(block.get("physical id")), core)
    return keys


def _read_topology(hw: Hardware, topology: dict[int, CoreKey], blocks: list[dict]) -> None:
    """Physical cores = distinct (package, core) pairs; else /proc/cpuinfo's per-package
    "cpu cores" and "siblings", which survive a capture cut after processor 0."""
    if topology:
        hw.cpu.physical_cores = len(set(topology.values()))
        hw.cpu.sockets = len({package for package, _ in topology.values()})
        return
    packages = {b.get("physical id") for b in blocks if "physical id" in b}
    per_package = _int(blocks[0].get("cpu cores")) if blocks else None
    if per_package:
        hw.cpu.sockets = len(packages) or 1
        hw.cpu.physical_cores = per_package * hw.cpu.sockets
    elif blocks and isa.is_arm(hw.cpu.arch):
        # Arm cores people run models on have no SMT; /proc/cpuinfo lists one entry per core.
        hw.cpu.physical_cores = len(blocks)
        hw.note_missing("cpu.sockets", "no topology in sysfs or /proc/cpuinfo")


def _read_core_groups(
    root: SysRoot, hw: Hardware, cpus: list[int], topology: dict[int, CoreKey], blocks: list
) -> None:
    """Hybrid Intel CPUs register two PMUs: cpu_core (P-cores) and cpu_atom (E-cores).

    Evidence: Linux perf's hybrid support and /sys/devices/cpu_core/cpus on Alder Lake and
    later. Meteor Lake lists its two low-power E-cores (on the SoC tile, outside the compute
    tile's L3) under cpu_atom too; Arrow Lake-H on Linux >= 6.13 gives them their own
    cpu_lowpower PMU. See tests/fixtures/probe/intel-core-ultra/SOURCES.md.
    """
    p_cpus = parse_cpu_list(root.read_text("sys/devices/cpu_core/cpus")) or []
    e_cpus = parse_cpu_list(root.read_text("sys/devices/cpu_atom/cpus")) or []
    lp_cpus = parse_cpu_list(root.read_text("sys/devices/cpu_lowpower/cpus")) or []
    if not (p_cpus or e_cpus or lp_cpus):
        hw.cpu.hybrid = False
        hw.cpu.core_groups = [_group(root, "all", cpus, topology)] if cpus else []
        return
    hw.cpu.hybrid = True
    lp_cpus = lp_cpus or _low_power_atoms(root, e_cpus, blocks, hw)
    e_only = [n for n in e_cpus if n not in lp_cpus]
    groups = [("P", p_cpus), ("E", e_only), ("LP-E", lp_cpus)]
    hw.cpu.core_groups = [_group(root, k, members, topology) for k, members in groups if members]


def _low_power_atoms(root: SysRoot, atoms: list[int], blocks: list[dict], hw: Hardware) -> list:
    """Atom CPUs without an L3. sysfs cache levels first; a missing cache directory means
    unknown, not LP (intel-lpmd notes kernel gaps on Meteor Lake). Else /proc/cpuinfo's
    "cache size" (the last level a CPU sees): 2048 KB L2 on LP-E vs 24576 KB L3 on a 155H."""
    if atoms and all(_has_cache_info(root, n) for n in atoms):
        return [n for n in atoms if not _has_l3(root, n)]
    sizes = {
        _int(b.get("processor")): parse_size(b.get("cache size", "").replace(" ", ""))
        for b in blocks
    }
    known = [size for size in sizes.values() if size]
    if not atoms or not known:
        hw.note_missing("cpu.core_groups.LP-E", "no cache topology; LP-E cores counted as E")
        return []
    largest = max(known)
    return [n for n in atoms if sizes.get(n) and sizes[n] < largest]


def _group(root: SysRoot, kind: str, members: list[int], topology: dict[int, CoreKey]) -> CoreGroup:
    # Without topology every CPU counts as its own core (true for E-cores, which lack SMT).
    cores = {topology[n] for n in members if n in topology}
    physical = len(cores) if len(cores) and all(n in topology for n in members) else len(members)
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
    for name, key in (
        ("total_bytes", "MemTotal"),
        ("available_bytes", "MemAvailable"),
        ("swap_total_bytes", "SwapTotal"),
    ):
        if key not in values:
            hw.note_missing(f"memory.{name}", f"/proc/meminfo has no readable {key}")


def _parse_meminfo(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"(\w+):\s+(\d+)\s*(kB)?\s*$", line)
        if match:
            values[match.group(1)] = int(match.group(2)) * (1024 if match.group(3) else 1)
    return values

"""How many threads llama.cpp should use on a machine, from its probe record."""

from __future__ import annotations

from typing import Any


def performance_cores(cpu: dict[str, Any]) -> int | None:
    """The P-cores of a probe record's ``cpu`` section (all physical cores on CPUs without
    core types); None when the record does not say."""
    p_cores = [g for g in cpu.get("core_groups") or [] if g.get("kind") == "P"]
    if p_cores:
        return sum(g.get("physical_cores") or 0 for g in p_cores) or None
    return cpu.get("physical_cores") or cpu.get("logical_cpus")


def threads_for(hw: dict[str, Any]) -> int:
    """llama.cpp's best thread count, as ``sizer bench --threads auto`` picks it, from a
    probe record (this machine's or another's): E-cores and SMT siblings slow its decode,
    whose threads wait for the slowest one at every barrier."""
    return performance_cores(hw.get("cpu") or {}) or 1

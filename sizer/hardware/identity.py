"""One machine identity: the facts that make two machines run a model at different speeds.

The calibration cache, the profile corpus and reports all ask "is this the same machine?"
and all ask it here. The CPU is identified by what tells CPUs apart, not by its marketing
string: on a cloud VM the brand is just "AMD EPYC" for a Zen 3 without AVX-512 and a Zen 5
with it. So the identity holds the vendor, architecture and brand, the CPUID family, model
and stepping (x86; on Arm the implementer, part and variant/revision), the ISA features
llama.cpp selects kernels by, the core topology, and (where it matters) memory size and
GPUs. A fact the record could not read is ``None`` in the identity: two records that both
lack it are not told apart by it, but a record that has it never matches one that differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from sizer.hardware.record import HardwareRecord

GIB = 1 << 30


@dataclass(frozen=True)
class MachineIdentity:
    vendor: str | None
    arch: str | None
    brand: str
    family: str | None
    model: str | None
    stepping: str | None
    isa: tuple[tuple[str, bool], ...]  # the features the record states, sorted
    physical_cores: int | None
    logical_cpus: int | None
    core_groups: tuple[tuple[str, int, int], ...]  # (kind, physical, logical) of hybrid CPUs
    ram_gib: int | None
    gpus: tuple[str, ...]  # names, sorted

    def key(self, *, ram: bool = True, gpus: bool = True, extra: Any = None) -> str:
        """A short stable hash. ``ram=False`` for learning across machines whose RAM a
        published table rarely states; ``gpus=False`` for the CPU's own figures; ``extra``
        adds software (the calibration keys on llama.cpp's version too)."""
        facts = asdict(self)
        if not ram:
            facts.pop("ram_gib")
        if not gpus:
            facts.pop("gpus")
        if extra is not None:
            facts["extra"] = extra
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def identity(hw: HardwareRecord) -> MachineIdentity:
    """The identity of a hardware record (this machine's or a loaded one)."""
    cpu = hw.get("cpu") or {}
    total = (hw.get("memory") or {}).get("total_bytes")
    return MachineIdentity(
        vendor=cpu.get("vendor"),
        arch=cpu.get("arch"),
        brand=normalised_brand(cpu.get("brand")),
        family=_text(cpu.get("family")),
        model=_text(cpu.get("model")),
        stepping=_text(cpu.get("stepping")),
        isa=tuple(sorted((str(k), bool(v)) for k, v in (cpu.get("isa") or {}).items())),
        physical_cores=cpu.get("physical_cores"),
        logical_cpus=cpu.get("logical_cpus"),
        core_groups=_hybrid_groups(cpu),
        ram_gib=round(total / GIB) if isinstance(total, int) and total > 0 else None,
        gpus=tuple(sorted(_gpu_names(hw))),
    )


# Facts compared only where both records state them (an imported llama-bench table has no
# CPUID and states a few ISA features; a probe record states them all).
_STATED_FACTS = ("vendor", "arch", "family", "model", "stepping", "physical_cores", "logical_cpus")


def same_hardware(a: MachineIdentity, b: MachineIdentity) -> bool:
    """One machine's figures may stand for the other's (RAM aside): the same brand and GPUs,
    and no fact that both state differs — CPUID, core counts, hybrid groups, any ISA
    feature. Two "AMD EPYC" VMs, one with AVX-512 and one without, are different."""
    if a.brand != b.brand or a.gpus != b.gpus:
        return False
    for name in _STATED_FACTS:
        mine, theirs = getattr(a, name), getattr(b, name)
        if mine is not None and theirs is not None and mine != theirs:
            return False
    if a.core_groups and b.core_groups and a.core_groups != b.core_groups:
        return False
    theirs = dict(b.isa)
    return all(theirs.get(name, present) == present for name, present in a.isa)


def normalised_brand(brand: Any) -> str:
    """``Intel(R) Core(TM) i5-1145G7 @ 2.60GHz`` and ``intel core i5-1145g7 @ 2.60ghz``
    are one brand; the trademark marks and spacing are not facts about the CPU."""
    text = str(brand or "").lower().replace("(r)", "").replace("(tm)", "")
    return " ".join(text.split())


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _hybrid_groups(cpu: dict[str, Any]) -> tuple[tuple[str, int, int], ...]:
    groups = [g for g in cpu.get("core_groups") or [] if isinstance(g, dict)]
    if len(groups) < 2:  # one kind of core: the counts above already say it all
        return ()
    return tuple(
        (str(g.get("kind")), int(g.get("physical_cores") or 0), int(g.get("logical_cpus") or 0))
        for g in groups
    )


def _gpu_names(data: dict[str, Any]) -> list[str]:
    return [
        str(a.get("name"))
        for a in data.get("accelerators") or []
        if isinstance(a, dict) and a.get("kind") == "gpu"
    ]


def hardware_key(hw: dict[str, Any]) -> str:
    """One profiled machine's runs grouped together: the identity without RAM size (a
    published llama-bench table rarely states it, and it does not change speed once the
    model fits). Whether a profile stands for *another* record is ``same_hardware``."""
    return identity(hw).key(ram=False)


def machine_label(hw: dict[str, Any]) -> str:
    """A short human name for a machine: CPU, cores, RAM, GPU."""
    cpu = hw.get("cpu") or {}
    parts = [str(cpu.get("brand") or "unknown CPU")]
    if cpu.get("physical_cores"):
        parts.append(f"{cpu['physical_cores']}C")
    total = (hw.get("memory") or {}).get("total_bytes")
    if total:
        parts.append(f"{total / (1 << 30):.0f} GiB")
    gpus = [a.get("name") for a in hw.get("accelerators") or [] if a.get("kind") == "gpu"]
    return " ".join(parts) + (f" + {gpus[0]}" if gpus else "")

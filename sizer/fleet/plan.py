"""From input rows to configurations: match each machine's CPU (and GPU) to the hardware
database, group identical configurations, assess each once (``sizer.fleet.assess``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sizer.fleet.assess import Assessment, Config, assess
from sizer.fleet.inventory import MAX_PROBLEMS_KEPT, Reading, Row
from sizer.fleet.probes import ProbeReading
from sizer.hardware.db import Match, load, match
from sizer.hardware.db_machine import hardware_record

GIB = 1 << 30


@dataclass(frozen=True)
class Machine:
    machine_id: str
    count: int
    cpu: str  # as the input names it
    config: Config | None  # None: not assessed (problem says why)
    problem: str | None = None


@dataclass
class Fleet:
    machines: list[Machine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # input lines that could not be used
    records: dict[Config, dict[str, Any]] = field(default_factory=dict)  # hardware records
    skipped_inputs: int = 0  # rows or files that could not be read as a machine at all
    # Names that cover several listed parts ("Apple M3 Max": 14- or 16-core), assessed as the
    # slowest of them: one line per distinct name
    assumptions: list[str] = field(default_factory=list)
    problems_not_listed: int = 0  # beyond MAX_PROBLEMS_KEPT: counted, not listed

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(text)
        else:
            self.problems_not_listed += 1


def from_inventory(reading: Reading) -> Fleet:
    fleet = Fleet(
        problems=list(reading.problems),
        skipped_inputs=reading.skipped_rows,
        problems_not_listed=reading.problems_not_listed,
    )
    _add_rows(fleet, reading.rows)
    fleet.problems.sort(key=_line_number)
    return fleet


def _add_rows(fleet: Fleet, rows: list[Row]) -> None:
    """Machines known by their CPU and GPU strings: matched to the database, grouped."""
    cpus, gpus = load("cpus"), load("gpus")
    matched: dict[tuple[str, str], Match] = {}  # a fleet has few distinct strings

    def cached(text: str, kind: str, entries) -> Match:
        key = (kind, text)
        if key not in matched:
            matched[key] = _floor_of_variants(match(text, entries), text, fleet.assumptions)
        return matched[key]

    for row in rows:
        cpu = cached(row.cpu, "cpus", cpus)
        gpu = _first_known_gpu(row.gpu, lambda text: cached(text, "gpus", gpus))
        if cpu.entry is None:
            problem = f"{row.where}: {cpu.problem}"
            fleet.problem(problem)
            fleet.machines.append(Machine(row.machine_id, row.count, row.cpu, None, problem))
            continue
        gpu_entry = gpu.entry if gpu is not None else None  # an unknown GPU: CPU-only
        vram = row.vram_bytes
        gpu_id = gpu_entry.id if gpu_entry else None
        config = Config(
            cpu.entry.id, round(row.ram_bytes / GIB), gpu_id, round(vram / GIB) if vram else None
        )
        if config not in fleet.records:
            fleet.records[config] = hardware_record(cpu.entry, row.ram_bytes, gpu_entry, vram)
        fleet.machines.append(Machine(row.machine_id, row.count, row.cpu, config))


def _floor_of_variants(found: Match, text: str, assumptions: list[str]) -> Match:
    """An inventory names the product ("Apple M3 Max"), not the bin: the machine is assessed
    as the slowest listed part of that name, and the report says so and names them all, so
    the answer is a floor, never a sibling's figures passed off as the machine's."""
    floor = found.slowest_variant()
    if floor is None:
        return found
    others = ", ".join(e.name for e in found.variants if e is not floor)
    assumptions.append(
        f"{text.strip()!r} is {floor.name} or {others}: assessed as {floor.name}, the "
        "slowest; add the core count or memory size to the inventory to tell them apart"
    )
    return Match(floor, None)


def _first_known_gpu(names: str | None, find: Callable[[str], Match]) -> Match | None:
    """The first of a machine's GPUs the database knows (a facts record lists the iGPU and
    the discrete one, "|"-separated); None when it knows none: the machine runs CPU-only."""
    for name in (names or "").split(" | "):
        found = find(name) if name.strip() else None
        if found is not None and found.entry is not None:
            return found
    return None


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head.removeprefix("line ")) if head.startswith("line ") else 0


def from_probes(reading: ProbeReading) -> Fleet:
    """Probe records are their own configuration (keyed by CPU, cores, RAM, first GPU);
    machine-facts records go through the database like inventory rows."""
    fleet = Fleet(skipped_inputs=len(reading.problems))
    for problem in reading.problems:
        fleet.problem(problem)
    _add_rows(fleet, reading.rows)
    for name, hw in reading.machines:
        cpu = hw.get("cpu") or {}
        gpus = [a.get("name") for a in hw.get("accelerators") or [] if a.get("kind") == "gpu"]
        ram = (hw.get("memory") or {}).get("total_bytes") or 0
        config = Config(
            f"probe: {cpu.get('brand')} {cpu.get('physical_cores')}C",
            round(ram / GIB),
            gpus[0] if gpus else None,
        )
        fleet.records.setdefault(config, hw)
        fleet.machines.append(Machine(name, 1, str(cpu.get("brand")), config))
    return fleet


Progress = Callable[[int, int], None]


def assess_all(
    fleet: Fleet, workload, corpus, catalog, progress: Progress | None = None
) -> dict[Config, Assessment]:
    done: dict[Config, Assessment] = {}
    for i, (config, hw) in enumerate(fleet.records.items(), 1):
        done[config] = assess(hw, workload, corpus, catalog)
        if progress:
            progress(i, len(fleet.records))
    return done


def machines_per_config(fleet: Fleet) -> dict[Config, int]:
    machines: dict[Config, int] = {}
    for m in fleet.machines:
        if m.config is not None:
            machines[m.config] = machines.get(m.config, 0) + m.count
    return machines


def counted(fleet: Fleet, assessed: dict[Config, Assessment]) -> list[tuple[Assessment, int]]:
    return [(assessed[c], n) for c, n in machines_per_config(fleet).items()]

"""What an upgrade would buy: ``--what-if ram=32GB`` (every machine with less gets that
much) or ``--what-if replace="i5-8250U->Core Ultra 5 125U"`` (those CPUs swapped for that
one, RAM kept). Each changed configuration is assessed like any other; the answer is how
many machines change tier, and to what."""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from sizer.errors import InputError
from sizer.fleet.assess import Assessment, Config
from sizer.fleet.plan import GIB, Fleet
from sizer.hardware.db import Entry, load, match
from sizer.hardware.db_machine import hardware_record


@dataclass(frozen=True)
class WhatIf:
    text: str
    ram_gib: int | None = None
    old_cpu: Entry | None = None
    new_cpu: Entry | None = None


def parse_what_if(text: str) -> WhatIf:
    key, sep, value = text.partition("=")
    key, value = key.strip().lower(), value.strip().strip('"').strip("'")
    if sep and key == "ram":
        match_ = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(gb|gib|g)?", value.lower())
        if not match_ or not 1 <= float(match_.group(1)) <= 1024:
            raise InputError(f"--what-if {text!r}: RAM like ram=32GB")
        return WhatIf(text, ram_gib=round(float(match_.group(1))))
    if sep and key == "replace" and "->" in value:
        old, new = (part.strip() for part in value.split("->", 1))
        return WhatIf(text, old_cpu=_cpu(old, text), new_cpu=_cpu(new, text))
    raise InputError(f'--what-if {text!r}: use ram=32GB or replace="OLD CPU->NEW CPU"')


def _cpu(name: str, text: str) -> Entry:
    found = match(name, load("cpus"))
    if found.entry is None:
        raise InputError(f"--what-if {text!r}: {found.problem}")
    return found.entry


def changed(config: Config, what: WhatIf) -> Config:
    if what.ram_gib is not None and config.ram_gib < what.ram_gib:
        return replace(config, ram_gib=what.ram_gib)
    if what.old_cpu is not None and what.new_cpu is not None and config.cpu_id == what.old_cpu.id:
        return replace(config, cpu_id=what.new_cpu.id)
    return config


def record_for(config: Config, base: Config, fleet: Fleet) -> dict[str, Any]:
    """The hardware record of a changed configuration, from the database (or, for a probed
    machine, its own record with the new RAM)."""
    if config in fleet.records:
        return fleet.records[config]
    entries = {e.id: e for e in load("cpus")}
    if config.cpu_id in entries:
        gpus = {e.id: e for e in load("gpus")}
        gpu = gpus.get(config.gpu_id) if config.gpu_id else None
        vram = config.vram_gib * GIB if config.vram_gib else None
        return hardware_record(entries[config.cpu_id], config.ram_gib * GIB, gpu, vram)
    record = copy.deepcopy(fleet.records[base])
    record["memory"]["total_bytes"] = config.ram_gib * GIB
    return record


@dataclass(frozen=True)
class Outcome:
    what: WhatIf
    moves: dict[tuple[str, str], int]  # (tier before, tier after) -> machines, changes only
    per_tier: dict[str, int]  # after


def evaluate(what: WhatIf, fleet: Fleet, assessed: dict[Config, Assessment], assess_one) -> Outcome:
    """``assess_one(record) -> Assessment``; each new configuration is assessed once."""
    after: dict[Config, Assessment] = {}
    moves: Counter[tuple[str, str]] = Counter()
    per_tier: Counter[str] = Counter()
    for machine in fleet.machines:
        if machine.config is None:
            continue
        new = changed(machine.config, what)
        if new not in assessed and new not in after:
            after[new] = assess_one(record_for(new, machine.config, fleet))
        before_tier = assessed[machine.config].tier
        after_tier = (assessed.get(new) or after[new]).tier
        per_tier[after_tier] += machine.count
        if after_tier != before_tier:
            moves[(before_tier, after_tier)] += machine.count
    from sizer.fleet.answers import TIER_ORDER

    ordered = {t: per_tier[t] for t in TIER_ORDER if per_tier[t]}
    return Outcome(what, dict(moves), ordered)

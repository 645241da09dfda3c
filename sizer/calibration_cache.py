"""The calibration cache: speed figures per machine fingerprint and thread count.

``$SIZER_HOME/calibration.json`` (format ``sizer.calibration``); the probe runs behind it
are in ``calibration-runs.jsonl`` next to it. A damaged cache, or one an older sizer wrote,
is ignored and rewritten by the next calibration, never fatal.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sizer.paths import sizer_home
from sizer.probe.records import Hardware
from sizer.speed import SpeedParams

CALIBRATION_FORMAT = "sizer.calibration"
CALIBRATION_VERSION = 2  # 2: SpeedParams gained fast_types and slow_type_cost


def as_record(hw: Hardware | dict[str, Any]) -> dict[str, Any]:
    """A probe record as JSON-shaped data: this machine's ``Hardware`` or a loaded file."""
    return hw.to_dict() if isinstance(hw, Hardware) else hw


def fingerprint(hw: Hardware | dict[str, Any]) -> str:
    """Same CPU, core counts, memory size and llama.cpp version: same calibration."""
    data = as_record(hw)
    cpu, memory = data.get("cpu") or {}, data.get("memory") or {}
    llama = data.get("llama_cpp") or {}
    total = memory.get("total_bytes") or 0
    key = [
        cpu.get("brand"),
        cpu.get("arch"),
        cpu.get("physical_cores"),
        cpu.get("logical_cpus"),
        round(total / (1 << 30)),
        llama.get("version"),
    ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]


def cache_path() -> Path:
    return sizer_home() / "calibration.json"


def runs_path() -> Path:
    return sizer_home() / "calibration-runs.jsonl"


def load_cached(hw: Hardware | dict[str, Any], threads: int) -> SpeedParams | None:
    """The cached calibration for this machine and thread count; None if absent or stale.
    A damaged cache is ignored (and rewritten by the next calibration), never fatal."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        if data.get("format_version") != CALIBRATION_VERSION:
            return None  # an older sizer's figures: calibrate again
        entry = data["machines"][fingerprint(hw)][str(threads)]
        entry["fast_types"] = tuple(entry["fast_types"])
        return SpeedParams(**entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(hw: Hardware | dict[str, Any], threads: int) -> None:
    """Drop this machine's cached calibration at ``threads`` (``--recalibrate``)."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        del data["machines"][fingerprint(hw)][str(threads)]
    except (OSError, ValueError, KeyError, TypeError):
        return
    cache_path().write_text(json.dumps(data, indent=1), encoding="utf-8")


def store(hw: Hardware | dict[str, Any], params: SpeedParams) -> None:
    path = cache_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != CALIBRATION_VERSION:
            raise ValueError("older calibration format")
        machines = dict(data["machines"])
    except (OSError, ValueError, KeyError, TypeError):
        machines = {}
    machines.setdefault(fingerprint(hw), {})[str(params.threads)] = params.to_dict()
    payload = {
        "format": CALIBRATION_FORMAT,
        "format_version": CALIBRATION_VERSION,
        "machines": machines,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    partial.replace(path)

"""The calibration cache: speed figures per machine identity and thread count.

``$SIZER_HOME/calibration.json`` (format ``sizer.calibration``); the probe runs behind it
are in ``calibration-runs.jsonl`` next to it. A damaged cache, or one an older sizer wrote,
is ignored and rewritten by the next calibration, never fatal.
"""

from __future__ import annotations

import json
from pathlib import Path

from sizer.hardware.identity import identity
from sizer.hardware.record import HardwareRecord
from sizer.paths import sizer_home, write_atomically
from sizer.speed.model import SpeedParams

CALIBRATION_FORMAT = "sizer.calibration"
# 2: SpeedParams gained fast_types and slow_type_cost; 3: keyed by the machine identity
# (CPUID family/model/stepping and ISA, not the brand string: a Zen 3 and a Zen 5 VM both
# say "AMD EPYC"), so every machine calibrates once more.
CALIBRATION_VERSION = 3


def machine_key(hw: HardwareRecord) -> str:
    """Same CPU (identity, not brand), memory size and llama.cpp version: same calibration
    and the same machine for its runs. GPUs are left out: these are the CPU's figures."""
    llama = (hw.get("llama_cpp") or {}).get("version")
    return identity(hw).key(gpus=False, extra={"llama_cpp": llama})


def cache_path() -> Path:
    return sizer_home() / "calibration.json"


def runs_path() -> Path:
    return sizer_home() / "calibration-runs.jsonl"


def load_cached(hw: HardwareRecord, threads: int) -> SpeedParams | None:
    """The cached calibration for this machine and thread count; None if absent or stale.
    A damaged cache is ignored (and rewritten by the next calibration), never fatal."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        if data.get("format_version") != CALIBRATION_VERSION:
            return None  # an older sizer's figures: calibrate again
        entry = data["machines"][machine_key(hw)][str(threads)]
        entry["fast_types"] = tuple(entry["fast_types"])
        return SpeedParams(**entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(hw: HardwareRecord, threads: int) -> None:
    """Drop this machine's cached calibration at ``threads`` (``--recalibrate``)."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        del data["machines"][machine_key(hw)][str(threads)]
    except (OSError, ValueError, KeyError, TypeError):
        return
    cache_path().write_text(json.dumps(data, indent=1), encoding="utf-8")


def store(hw: HardwareRecord, params: SpeedParams) -> None:
    path = cache_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != CALIBRATION_VERSION:
            raise ValueError("older calibration format")
        machines = dict(data["machines"])
    except (OSError, ValueError, KeyError, TypeError):
        machines = {}
    machines.setdefault(machine_key(hw), {})[str(params.threads)] = params.to_dict()
    payload = {
        "format": CALIBRATION_FORMAT,
        "format_version": CALIBRATION_VERSION,
        "machines": machines,
    }
    write_atomically(path, json.dumps(payload, indent=1))

"""Machine-facts records: what the dependency-light collection scripts
(``examples/collect/sizer-facts.sh`` for Linux and macOS, ``sizer-facts.ps1`` for Windows)
print on each machine — processor string, installed memory, GPUs, OS — without Python or
sizer installed there. ``sizer fleet`` reads them like inventory rows: the CPU and GPU
strings go through the hardware database.

Format ``sizer.machine-facts`` v1::

    {"format": "sizer.machine-facts", "format_version": 1, "id": "LAPTOP-0042",
     "cpu": "Intel(R) Core(TM) Ultra 7 155H", "logical_cpus": 22, "ram_bytes": 34359738368,
     "gpus": [{"name": "Intel(R) Arc(TM) Graphics"},
              {"name": "NVIDIA GeForce RTX 4060 Laptop GPU", "vram_bytes": 8589934592}],
     "os": "Microsoft Windows 11 Pro 10.0.22631"}
"""

from __future__ import annotations

from typing import Any

from sizer.fleet.inventory import MAX_FIELD_CHARS, MAX_RAM_BYTES, MIN_RAM_BYTES, Row

FACTS_FORMAT = "sizer.machine-facts"


def is_facts(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FACTS_FORMAT


def facts_row(data: dict[str, Any], source: str, fallback_id: str) -> Row:
    """The record as one inventory row; ValueError says what is wrong with it."""
    if data.get("format_version") != 1:
        raise ValueError(
            f"format_version {data.get('format_version')!r} is not one this sizer "
            "reads (1); use the collection script shipped with it"
        )
    cpu = _text(data.get("cpu"))
    if not cpu:
        raise ValueError('no "cpu" string')
    ram = data.get("ram_bytes")
    if isinstance(ram, bool) or not isinstance(ram, int):
        raise ValueError(f'"ram_bytes" {ram!r} is not a whole number of bytes')
    if not MIN_RAM_BYTES <= ram <= MAX_RAM_BYTES:
        raise ValueError(
            f'"ram_bytes" {ram} ({ram / (1 << 30):.1f} GiB) is not a plausible '
            "size for a laptop or desktop"
        )
    if not isinstance(data.get("gpus") or [], list):
        raise ValueError('"gpus" is not a list')
    gpus = [g for g in data.get("gpus") or [] if isinstance(g, dict) and _text(g.get("name"))]
    discrete = [g for g in gpus if isinstance(g.get("vram_bytes"), int) and g["vram_bytes"] > 0]
    vram = max((g["vram_bytes"] for g in discrete), default=None)
    names = " | ".join(_text(g.get("name")) for g in gpus) or None
    machine_id = _text(data.get("id")) or fallback_id
    return Row(0, machine_id, 1, cpu, ram, names, vram, _text(data.get("os")) or None, source)


def _text(value: Any) -> str:
    return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

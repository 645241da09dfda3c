"""The accurate fleet input: ``sizer probe --json`` records collected from the machines
(a folder of them, or a list of files). Each is checked as ``recommend --hardware`` checks
one; a file that is not a usable probe record is a problem line, and the rest are used."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.errors import InputError


@dataclass
class ProbeReading:
    machines: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (name, record)
    problems: list[str] = field(default_factory=list)


def read_probe_records(paths: list[Path]) -> ProbeReading:
    from sizer.recommend.machine import load_hardware

    reading = ProbeReading()
    for file in _files(paths):
        try:
            reading.machines.append((file.stem, load_hardware(file)))
        except InputError as exc:
            reading.problems.append(str(exc).removeprefix("--hardware "))
    return reading


def _files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    if not files:
        raise InputError("no probe records (*.json) in " + ", ".join(map(str, paths)))
    return files

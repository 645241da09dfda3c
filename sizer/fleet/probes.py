"""The accurate fleet inputs, collected on the machines themselves (a folder of them, or a
list of files): ``sizer probe --json`` records, checked as ``recommend --hardware`` checks
one, and machine-facts records from the dependency-light collection scripts
(``sizer.fleet.facts``). A file that is neither is a problem line; the rest are used."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.errors import InputError
from sizer.fleet.facts import facts_row, is_facts
from sizer.fleet.inventory import Row
from sizer.hardware.record import MAX_HARDWARE_FILE_BYTES


@dataclass
class ProbeReading:
    machines: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (name, record)
    rows: list[Row] = field(default_factory=list)  # machine-facts records
    problems: list[str] = field(default_factory=list)


def read_probe_records(paths: list[Path]) -> ProbeReading:
    from sizer.hardware.record import check_hardware

    reading = ProbeReading()
    seen: set[str] = set()
    for file in _files(paths):
        try:
            data = _json(file)
            if not is_facts(data):
                reading.machines.append((file.stem, check_hardware(data, file)))
                continue
            row = facts_row(data, str(file), file.stem)
        except InputError as exc:
            reading.problems.append(str(exc).removeprefix("--hardware "))
            continue
        except ValueError as exc:
            reading.problems.append(f"{file}: {exc}")
            continue
        if row.machine_id in seen:
            reading.problems.append(
                f"{file}: duplicate machine id {row.machine_id!r}; the first file is kept"
            )
            continue
        seen.add(row.machine_id)
        reading.rows.append(row)
    return reading


def _json(file: Path) -> Any:
    """The file's JSON, in UTF-8 or, as Windows PowerShell 5.1's ``>`` writes it, UTF-16."""
    try:
        if file.stat().st_size > MAX_HARDWARE_FILE_BYTES:
            raise ValueError("over 16 MiB: not a probe or machine-facts record")
        raw = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror or exc})") from None
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return json.loads(raw.decode(encoding))
    except UnicodeDecodeError:
        raise ValueError(
            "not text: expected a 'sizer probe --json' or sizer-facts record"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON at line {exc.lineno} ({exc.msg}); truncated? expected "
            "a 'sizer probe --json' or sizer-facts record"
        ) from None


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

"""What reports and comparisons read: saved results or profiles, as profiles.

Result files are grouped by machine and turned into profiles the way ``sizer profile
export`` does (so a report of your own results shows exactly what you would share);
profile files are validated and used as they are. Nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sizer.errors import InputError
from sizer.hardware.identity import identity
from sizer.profiles.format import machine_label


@dataclass(frozen=True)
class Source:
    """One machine's measurements, with a name for charts."""

    name: str
    profile: dict[str, Any]


def load_sources(paths: list[Path]) -> list[Source]:
    profiles: list[dict[str, Any]] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        named = not path.is_dir()
        files = sorted(path.glob("*.json*")) if path.is_dir() else [path]
        for file in files:
            profiles.extend(_profiles_in(file, named))
    if not profiles:
        raise InputError("no results or profiles in " + ", ".join(map(str, paths)))
    return _named(profiles)


def _profiles_in(file: Path, named: bool) -> list[dict[str, Any]]:
    """A folder's other JSON files (benchmark summaries in results/) are passed over; a
    file named on the command line must be results or a valid profile."""
    if file.suffix == ".jsonl":
        return _from_results(file)
    from sizer.profiles.validate import check_file

    checked = check_file(file)
    if checked.profile is None and not named and checked.problems[0].field == "format":
        return []
    if checked.profile is None or not checked.ok:
        raise InputError(str(checked.problems[0]))
    return [checked.profile]


def _from_results(file: Path) -> list[dict[str, Any]]:
    from sizer.bench.results import is_local, load
    from sizer.profiles.export import export
    from sizer.speed.cache import machine_key

    records = [
        r for r in load(file) if r.get("status") == "ok" and r.get("hardware") and is_local(r)
    ]
    if not records:
        return []  # endpoint runs only: a server's figures, not a machine profile
    by_machine: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_machine.setdefault(machine_key(rec["hardware"]), []).append(rec)
    return [export(group) for group in by_machine.values()]


def _named(profiles: list[dict[str, Any]]) -> list[Source]:
    """Profiles of one machine (several result files) are merged; names are machine labels."""
    merged: dict[str, dict[str, Any]] = {}
    for profile in profiles:
        key = identity(profile["hardware"]).key()
        if key in merged:
            merged[key]["runs"] = merged[key]["runs"] + profile["runs"]
            merged[key]["task_scores"] = merged[key]["task_scores"] + profile["task_scores"]
        else:
            merged[key] = dict(profile)
    return [Source(machine_label(p), p) for p in merged.values()]


def backend_name(run: dict[str, Any]) -> str:
    backend = run["backend"]
    device = backend.get("device") or "CPU"
    return f"{backend['name']} {device}"


def median(run: dict[str, Any], metric: str) -> float | None:
    return (run["metrics"].get(metric) or {}).get("median")

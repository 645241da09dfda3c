"""Results as JSON Lines: one record per finished run, appended, flushed and fsynced at once,
so an interrupted or killed ``sizer bench`` loses at most the run in flight."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sizer.bench.record import FORMAT, FORMAT_VERSION
from sizer.errors import InputError


def append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as out:
        out.seek(0, os.SEEK_END)
        torn = out.tell() > 0 and not _ends_with_newline(out)
        line = json.dumps(record, separators=(",", ":")) + "\n"
        out.write((("\n" if torn else "") + line).encode())
        out.flush()
        os.fsync(out.fileno())


def append_each(path: Path, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append every record as it is produced (so an interruption keeps the ones before it);
    the records, in order."""
    kept = []
    for record in records:
        append(path, record)
        kept.append(record)
    return kept


def _ends_with_newline(out: Any) -> bool:
    out.seek(-1, os.SEEK_END)
    last = out.read(1)
    out.seek(0, os.SEEK_END)
    return last == b"\n"


def is_local(record: dict[str, Any]) -> bool:
    """A run of a model file on this machine, as opposed to a measurement through a server's
    API (``sizer bench --endpoint``: backend "endpoint"), which profiles, reports and the
    speed model's calibration leave out (it describes the server, not a GGUF on a CPU)."""
    return (record.get("backend") or {}).get("name") != "endpoint"


def load(path: Path) -> list[dict[str, Any]]:
    """Every record in a results file. A torn line (a record cut short by a crash while it
    was written) is skipped; any other malformed line is an error naming its line number."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if _torn(line):
                continue  # a run killed mid-write (then maybe resumed): that run is lost
            raise InputError(f"{path}:{number}: not a JSON record ({exc.msg})") from exc
        records.append(check_run(record, f"{path}:{number}"))
    return records


def check_run(record: Any, where: str) -> dict[str, Any]:
    """``record`` if it is a ``sizer.run`` record this sizer reads, else one clear error."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InputError(f"{where}: not a sizer run record")
    version = record.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise InputError(
            f"{where}: sizer.run format_version {version!r} "
            + ("was written by a newer sizer" if newer else "is not a version")
            + f" (this one reads {FORMAT_VERSION}); upgrade sizer or measure again"
        )
    return record


def _torn(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith('{"format"') and not stripped.endswith("}")


def finished_keys(path: Path) -> set[str]:
    """Keys of the runs that completed: ``--resume`` skips these and retries failures."""
    return {r["key"] for r in load(path) if r.get("status") == "ok"}


def set_aside_unstable(path: Path, max_cv: float) -> int:
    """Move runs disturbed by other work on the machine (decode or prefill CV above
    ``max_cv``) to ``<name>.unstable`` beside ``path`` (out of ``*.jsonl`` globs), so
    ``--resume`` measures them again; nothing is deleted. The number moved."""
    if not path.exists():
        return 0
    keep, unstable = [], []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        metrics = json.loads(line).get("metrics") or {}
        cvs = [(metrics.get(k) or {}).get("cv") or 0 for k in ("decode_tok_s", "prefill_tok_s")]
        (unstable if max(cvs) > max_cv else keep).append(line)
    if unstable:
        with path.with_name(path.name + ".unstable").open("a") as side:
            side.write("\n".join(unstable) + "\n")
        partial = path.with_suffix(".partial")
        partial.write_text("".join(line + "\n" for line in keep))
        partial.replace(path)
    return len(unstable)

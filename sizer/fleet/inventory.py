"""Reading an asset-management export: CSV as device-management tools and Excel write it
(``,`` or ``;`` or tab, UTF-8 with or without BOM, or Windows-1252/Latin-1), one row per
machine or per group of identical machines (a count column).

Columns are found by their usual names (Intune's ``physicalMemoryInBytes``, "Processor",
"Total memory (GB)", ...) or named with ``--map cpu=COLUMN,ram=COLUMN,...``. Memory is read
in the column's unit when its name says one (bytes, MB, GB), else from the value's own
suffix, else by magnitude. Every row that cannot be used becomes a line-numbered problem;
every good row is kept. Rows are streamed: a huge file is read once, never held whole.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sizer.errors import InputError

FIELDS = ("id", "count", "cpu", "ram", "gpu", "vram", "os")
# Usual column names, compared lower-case with spaces, dashes, dots and underscores removed
ALIASES = {
    "id": (
        "devicename",
        "computername",
        "hostname",
        "machine",
        "machinename",
        "assettag",
        "asset",
        "deviceid",
        "id",
        "name",
        "serialnumber",
        "serial",
        "nom",
        "geratename",
    ),
    "count": (
        "count",
        "quantity",
        "qty",
        "machines",
        "devices",
        "units",
        "numberofdevices",
        "nombre",
        "anzahl",
        "cantidad",
    ),
    "cpu": (
        "processor",
        "cpu",
        "cpumodel",
        "processorname",
        "processormodel",
        "cpuname",
        "processortype",
        "processeur",
        "prozessor",
        "procesador",
    ),
    "ram": (
        "physicalmemoryinbytes",
        "totalmemorygb",
        "memory",
        "ram",
        "ramgb",
        "memorygb",
        "installedmemory",
        "installedram",
        "totalphysicalmemory",
        "totalmemory",
        "physicalmemory",
        "memorymb",
        "rammb",
        "installedramgb",
        "memoire",
        "memoiretotale",
        "memoiretotalego",
        "arbeitsspeicher",
        "arbeitsspeichergb",
        "memoria",
        "memoriagb",
    ),
    "gpu": ("gpu", "graphics", "graphicscard", "videocard", "displayadapter", "gpumodel"),
    "vram": ("vram", "vramgb", "gpumemory", "videomemory", "dedicatedvideomemory"),
    "os": ("os", "operatingsystem", "osversion", "osname"),
}
MAX_PROBLEMS_KEPT = 200  # the rest are counted, not listed
MIN_RAM_BYTES = 1 << 30
MAX_RAM_BYTES = 1 << 40  # 1 TiB: beyond any laptop or desktop in a fleet export
MAX_FIELD_CHARS = 1000
MAX_LINE_CHARS = 1 << 20  # longer is not an inventory row; read past it without holding it
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class Row:
    line: int
    machine_id: str
    count: int
    cpu: str
    ram_bytes: int
    gpu: str | None
    vram_bytes: int | None
    os: str | None
    source: str | None = None  # the file a machine-facts record came from (no line number)

    @property
    def where(self) -> str:
        return self.source or f"line {self.line}"


@dataclass
class Reading:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line N: what"
    skipped_rows: int = 0
    problems_not_listed: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field -> column used

    def problem(self, line: int, message: str) -> None:
        self.skipped_rows += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"line {line}: {message}")
        else:
            self.problems_not_listed += 1


def parse_map(text: str | None) -> dict[str, str]:
    """``cpu=Processor Name,ram=RAM (GB)`` -> {"cpu": "Processor Name", "ram": "RAM (GB)"}."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        key, sep, column = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in FIELDS or not column.strip():
            raise InputError(
                f"--map {part.strip()!r}: use FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"
            )
        out[key] = column.strip()
    return out


def read_inventory(path: Path, mapping: dict[str, str] | None = None) -> Reading:
    try:
        with path.open("rb") as raw:
            head = raw.read(65536)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not head.strip():
        raise InputError(f"{path}: empty; expected a CSV inventory with a header row")
    if b"\x00" in head:
        raise InputError(f"{path}: a binary file, not a CSV inventory (export it as CSV)")
    encoding = _encoding(head)
    with path.open("r", encoding=encoding, errors="replace", newline="") as text:
        return read_text(
            text, mapping or {}, str(path), _delimiter(head.decode(encoding, "replace"))
        )


def _encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")  # a multi-byte character cut at 64 KiB is still UTF-8
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return "utf-8-sig"
        return "cp1252"  # Excel's "CSV" on Western Windows; a superset of Latin-1's letters


def _delimiter(sample: str) -> str:
    first = sample.splitlines()[0] if sample.splitlines() else ""
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_text(text: io.TextIOBase, mapping: dict[str, str], name: str, delimiter: str) -> Reading:
    csv.field_size_limit(MAX_LINE_CHARS)
    reading = Reading()
    reader = csv.reader(_bounded_lines(text, reading), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"{name}: no header row ({exc})") from None
    reading.columns = columns(header, mapping, name)
    index = {f: header.index(c) for f, c in reading.columns.items()}
    seen: set[str] = set()
    for line, cells in _rows(reader, reading):
        row = _row(line, cells, index, reading)
        if row is None:
            continue
        if row.machine_id in seen:
            reading.problem(line, f"duplicate machine id {row.machine_id!r}; the first row is kept")
            continue
        seen.add(row.machine_id)
        reading.rows.append(row)
    return reading


def _bounded_lines(text: io.TextIOBase, reading: Reading) -> Iterator[str]:
    """The file's lines, one per physical line (so the CSV reader's line numbers hold), with
    a line over MAX_LINE_CHARS read past in pieces and replaced by an empty one: 1 GB
    without a newline costs 1 MiB of memory, not gigabytes."""
    number = 0
    while True:
        line = text.readline(MAX_LINE_CHARS)
        if not line:
            return
        number += 1
        if len(line) < MAX_LINE_CHARS or line.endswith(("\n", "\r")):
            yield line
            continue
        while (rest := text.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
            pass
        reading.problem(
            number,
            f"over {MAX_LINE_CHARS:,} characters without a line break: "
            "not an inventory row (a binary or damaged file?)",
        )
        yield "\n"


def _rows(reader, reading: Reading) -> Iterator[tuple[int, list[str]]]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # an unterminated quote, a 1 MiB field: that row only
            reading.problem(reader.line_num, f"unreadable CSV ({exc})")
            continue
        if cells and any(c.strip() for c in cells):
            yield reader.line_num, cells


def columns(header: list[str], mapping: dict[str, str], name: str) -> dict[str, str]:
    """Field -> the header's column, from --map first, then the usual names."""
    found: dict[str, str] = {}
    keys = {_key(c): c for c in header}
    for field_name, column in mapping.items():
        if column not in header:
            raise InputError(
                f"{name}: --map {field_name}={column}: no such column "
                f"(columns: {', '.join(header)[:300]})"
            )
        found[field_name] = column
    for field_name in FIELDS:
        if field_name not in found:
            hit = next((keys[a] for a in ALIASES[field_name] if a in keys), None)
            if hit is not None and hit not in found.values():
                found[field_name] = hit
    missing = [f for f in ("cpu", "ram") if f not in found]
    if missing:
        raise InputError(
            f"{name}: no {' or '.join(missing)} column among "
            f"{', '.join(header)[:300]}; name it with --map "
            f"{missing[0]}=COLUMN"
        )
    return found


def _key(column: str) -> str:
    """ "Mémoire totale (Go)" -> "memoiretotalego": case, accents and punctuation dropped."""
    plain = unicodedata.normalize("NFKD", column.strip().lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[\s_\-.()\[\]/]+", "", plain)


def _row(line: int, cells: list[str], index: dict[str, int], reading: Reading) -> Row | None:
    def cell(field_name: str) -> str | None:
        at = index.get(field_name)
        value = cells[at].strip() if at is not None and at < len(cells) else ""
        return value[:MAX_FIELD_CHARS] or None

    cpu = cell("cpu")
    if not cpu:
        reading.problem(line, "no processor")
        return None
    ram_column = reading.columns["ram"]
    try:
        ram = memory_bytes(cell("ram"), ram_column)
        vram = memory_bytes(cell("vram"), reading.columns.get("vram", "")) if cell("vram") else None
        count = _count(cell("count"))
    except ValueError as exc:
        reading.problem(line, str(exc))
        return None
    if not MIN_RAM_BYTES <= ram <= MAX_RAM_BYTES:
        reading.problem(
            line,
            f"memory {cell('ram')!r} ({ram / (1 << 30):.1f} GiB) is not a "
            "plausible size for a laptop or desktop",
        )
        return None
    machine_id = cell("id") or f"row {line}"
    return Row(line, machine_id, count, cpu, ram, cell("gpu"), vram, cell("os"))


def _count(text: str | None) -> int:
    if text is None:
        return 1
    try:
        value = int(float(text))
    except ValueError:
        raise ValueError(f"count {text!r} is not a number") from None
    if not 1 <= value <= MAX_COUNT:
        raise ValueError(f"count {text!r} is not between 1 and {MAX_COUNT}")
    return value


UNIT_BYTES = {
    "b": 1,
    "kb": 1 << 10,
    "mb": 1 << 20,
    "gb": 1 << 30,
    "tb": 1 << 40,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
}


def memory_bytes(text: str | None, column: str) -> int:
    """Bytes from "16", "16 GB", "16384 MB", "17179869184", "15,9 GB" — in the column's unit
    where its name says one, else the value's own suffix, else by magnitude (above 10^8:
    bytes; above 4096: MB; else GB)."""
    if text is None:
        raise ValueError("no memory size")
    match = re.fullmatch(r"\s*([\d.,\s]+?)\s*([kmgt]i?b|b|bytes?)?\s*", text.lower())
    if not match:
        raise ValueError(f"memory {text!r} is not a size")
    value = _number(match.group(1), text)
    unit = (match.group(2) or "").removesuffix("ytes").removesuffix("yte")
    column_unit = _column_unit(column)
    if unit:
        return int(value * UNIT_BYTES["b" if unit == "b" else unit])
    if column_unit:
        return int(value * UNIT_BYTES[column_unit])
    if value > 1e8:
        return int(value)
    return int(value * (UNIT_BYTES["mb"] if value > 4096 else UNIT_BYTES["gb"]))


def _number(text: str, original: str) -> float:
    digits = text.replace(" ", "")
    if "," in digits and "." not in digits and re.fullmatch(r"\d+,\d{1,2}", digits):
        digits = digits.replace(",", ".")  # a decimal comma: "15,9"
    digits = digits.replace(",", "")
    try:
        return float(digits)
    except ValueError:
        raise ValueError(f"memory {original!r} is not a size") from None


def _column_unit(column: str) -> str | None:
    key = column.lower()
    if "byte" in key:
        return "b"
    for unit in ("gb", "mb", "gib", "mib"):
        if re.search(rf"\b{unit}\b", key) or key.endswith(unit):
            return unit
    return None

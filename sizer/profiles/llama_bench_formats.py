"""Reading ``llama-bench`` output in each of its formats (``-o json|jsonl|csv|md|sql``) into
one row shape. Older and newer llama-bench builds add and drop columns; a row needs only the
model, the test (or ``n_prompt``/``n_gen``) and the speed — anything else may be absent.

Markdown is what people paste into issues: ``| model | size | params | backend | threads |
test | t/s |`` with optional columns (``ngl``, ``n_batch``, ``type_k``, ``fa``, ...), sizes
like ``3.56 GiB``, parameters like ``6.74 B``, tests like ``pp512``, ``tg128``,
``pp512 @ d4096``, ``pp4096+tg128`` (or ``pp 512`` in 2024 builds), speeds ``61.84 ± 0.72``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("json", "jsonl", "csv", "md", "sql")
UNITS: dict[str, float] = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
COUNTS: dict[str, float] = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


class FormatProblem(ValueError):
    """One line: where in the file, and what is wrong."""


@dataclass
class BenchRow:
    model_type: str
    n_prompt: int
    n_gen: int
    avg_ts: float
    stddev_ts: float | None = None
    n_depth: int = 0
    size_bytes: int | None = None
    n_params: int | None = None
    backend: str | None = None
    threads: int | None = None
    n_gpu_layers: int | None = None
    n_batch: int | None = None
    type_k: str | None = None
    flash_attn: bool | None = None
    samples_ts: list[float] = field(default_factory=list)
    model_filename: str | None = None
    cpu_info: str | None = None
    gpu_info: str | None = None
    build: str | None = None
    test_time: str | None = None


def detect(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl"
    if stripped.upper().startswith(("CREATE TABLE", "INSERT INTO")):
        return "sql"
    if stripped.startswith("|"):
        return "md"
    if stripped.startswith(("build_commit", '"build_commit"')) or "avg_ts" in stripped[:2000]:
        return "csv"
    raise FormatProblem(
        "line 1: not llama-bench output in any known format "
        f"({', '.join(FORMATS)}); name it with --format"
    )


def parse(text: str, fmt: str | None = None) -> tuple[str, list[BenchRow]]:
    fmt = fmt or detect(text)
    readers = {"json": _json, "jsonl": _jsonl, "csv": _csv, "md": _markdown, "sql": _sql}
    if fmt not in readers:
        raise FormatProblem(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    rows = readers[fmt](text)
    if not rows:
        raise FormatProblem("no benchmark rows in it")
    return fmt, rows


# ---- machine-readable formats: one dict per row --------------------------------------------


def _json(text: str) -> list[BenchRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatProblem(f"line {exc.lineno}: not valid JSON ({exc.msg}); truncated?") from None
    if not isinstance(data, list):
        raise FormatProblem("line 1: expected a JSON array of llama-bench rows")
    return [_from_fields(item, f"row {i + 1}") for i, item in enumerate(data)]


def _jsonl(text: str) -> list[BenchRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(_from_fields(json.loads(line), f"line {number}"))
        except json.JSONDecodeError as exc:
            raise FormatProblem(f"line {number}: not valid JSON ({exc.msg}); truncated?") from None
    return rows


def _csv(text: str) -> list[BenchRow]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for number, item in enumerate(reader, 2):
        if None in item:
            raise FormatProblem(f"line {number}: more values than the header has columns")
        rows.append(_from_fields(item, f"line {number}"))
    return rows


SQL_INSERT = re.compile(r"INSERT INTO \w+ \(([^)]*)\) VALUES \((.*)\);\s*$", re.IGNORECASE)


def _sql(text: str) -> list[BenchRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.upper().startswith("INSERT INTO"):
            continue
        match = SQL_INSERT.match(line)
        if not match:
            raise FormatProblem(f"line {number}: an INSERT statement cut short or malformed")
        names = [n.strip() for n in match.group(1).split(",")]
        values = next(csv.reader([match.group(2)], quotechar="'", skipinitialspace=True))
        if len(values) != len(names):
            raise FormatProblem(f"line {number}: {len(names)} columns but {len(values)} values")
        rows.append(_from_fields(dict(zip(names, values, strict=True)), f"line {number}"))
    return rows


def _from_fields(item: Any, where: str) -> BenchRow:
    if not isinstance(item, dict):
        raise FormatProblem(f"{where}: expected an object of llama-bench fields")
    for needed in ("model_type", "n_prompt", "n_gen", "avg_ts"):
        if item.get(needed) in (None, ""):
            raise FormatProblem(
                f"{where}: no {needed!r} column; this llama-bench output lacks "
                "what a profile needs (model, test, speed)"
            )
    try:
        return BenchRow(
            model_type=str(item["model_type"]),
            n_prompt=int(item["n_prompt"]),
            n_gen=int(item["n_gen"]),
            n_depth=int(item.get("n_depth") or 0),
            avg_ts=float(item["avg_ts"]),
            stddev_ts=_float_or_none(item.get("stddev_ts")),
            size_bytes=_int_or_none(item.get("model_size")),
            n_params=_int_or_none(item.get("model_n_params")),
            backend=str(item.get("backends") or item.get("backend") or "") or None,
            threads=_int_or_none(item.get("n_threads")),
            n_gpu_layers=_int_or_none(item.get("n_gpu_layers")),
            n_batch=_int_or_none(item.get("n_batch")),
            type_k=str(item.get("type_k") or "") or None,
            flash_attn=_bool_or_none(item.get("flash_attn")),
            samples_ts=_samples(item.get("samples_ts")),
            model_filename=str(item.get("model_filename") or "") or None,
            cpu_info=str(item.get("cpu_info") or "").strip() or None,
            gpu_info=str(item.get("gpu_info") or "").strip() or None,
            build=_build(item),
            test_time=str(item.get("test_time") or "") or None,
        )
    except (TypeError, ValueError) as exc:
        raise FormatProblem(f"{where}: a value is not a number ({exc})") from None


def _build(item: dict[str, Any]) -> str | None:
    commit, number = item.get("build_commit"), item.get("build_number")
    if not commit:
        return None
    return f"{commit} ({number})" if number not in (None, "") else str(commit)


def _samples(value: Any) -> list[float]:
    if isinstance(value, str):  # CSV and SQL carry the list as "[1.0, 2.0]" or "1.0;2.0"
        value = [v for v in re.split(r"[\s,;\[\]]+", value) if v]
    return [float(v) for v in value or []]


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(float(value))


def _float_or_none(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _bool_or_none(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "enabled")
    return bool(value)


# ---- Markdown: the table people paste -------------------------------------------------------

TEST = re.compile(r"^(?:(pp|tg)\s*(\d+)(?:\s*\+\s*tg\s*(\d+))?)(?:\s*@\s*d\s*(\d+))?$")
SPEED = re.compile(r"^([\d.]+)(?:\s*±\s*([\d.]+))?$")


def _markdown(text: str) -> list[BenchRow]:
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    table = [(n, line) for n, line in lines if line.startswith("|")]
    if len(table) < 3:
        raise FormatProblem("a Markdown llama-bench table needs a header, a separator and rows")
    header = [c.lower() for c in _cells(table[0][1])]
    for needed in ("model", "test", "t/s"):
        if needed not in header:
            raise FormatProblem(f"line {table[0][0]}: no {needed!r} column in the table header")
    build = next(
        (m.group(1) for _, line in lines if (m := re.match(r"build:\s*(.+)$", line))), None
    )
    rows = []
    for number, line in table[2:]:
        cells = _cells(line)
        if len(cells) != len(header):
            raise FormatProblem(
                f"line {number}: {len(cells)} cells, the header has {len(header)}"
                " (a row cut short?)"
            )
        rows.append(_markdown_row(dict(zip(header, cells, strict=True)), number, build))
    return rows


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _markdown_row(cells: dict[str, str], number: int, build: str | None) -> BenchRow:
    test = TEST.match(cells["test"].replace(" ", "").replace("@d", "@ d"))
    if not test:
        raise FormatProblem(
            f"line {number}: test {cells['test']!r} is not pp<N>, tg<N>, "
            "pp<N>+tg<M> or with @ d<depth>"
        )
    kind, count, extra_gen, depth = test.groups()
    speed = SPEED.match(cells["t/s"])
    if not speed:
        raise FormatProblem(f"line {number}: t/s {cells['t/s']!r} is not '<mean> ± <stddev>'")
    n_prompt = int(count) if kind == "pp" else 0
    n_gen = int(count) if kind == "tg" else int(extra_gen or 0)
    try:
        return BenchRow(
            model_type=cells["model"],
            n_prompt=n_prompt,
            n_gen=n_gen,
            n_depth=int(depth or 0),
            avg_ts=float(speed.group(1)),
            stddev_ts=float(speed.group(2)) if speed.group(2) else None,
            size_bytes=_scaled(cells.get("size"), UNITS, "size"),
            n_params=_scaled(cells.get("params"), COUNTS, "params"),
            backend=cells.get("backend") or None,
            threads=_int_or_none(cells.get("threads")),
            n_gpu_layers=_int_or_none(cells.get("ngl")),
            n_batch=_int_or_none(cells.get("n_batch")),
            type_k=cells.get("type_k") or None,
            flash_attn=_bool_or_none(cells.get("fa")),
            build=build,
        )
    except ValueError as exc:
        raise FormatProblem(f"line {number}: a value is not a number ({exc})") from None


def _scaled(text: str | None, units: dict[str, float], what: str) -> int | None:
    """``"3.56 GiB"`` with UNITS, ``"6.74 B"`` with COUNTS; None for an absent column."""
    if not text:
        return None
    value, _, unit = text.partition(" ")
    if unit not in units:
        raise ValueError(f"{what} {text!r}")
    return int(float(value) * units[unit])

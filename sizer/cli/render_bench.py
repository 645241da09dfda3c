"""Text for ``sizer bench``: a live progress line per run, then the results table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TextIO

from sizer.backends.config import RunConfig
from sizer.bench.plan import auto_threads
from sizer.hardware.record import Hardware
from sizer.units import gib


class Progress:
    """One status line per run on stderr: rewritten in place on a terminal, appended otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, config: RunConfig, event: dict[str, Any]) -> None:
        kind = event["event"]
        text = {
            "skipped": "already recorded, skipped (--resume)",
            "refused": f"refused: {event.get('message')}",
            "started": "loading…",
            "loaded": f"loaded in {event.get('load_s', 0):.1f} s, warming up…",
            "rep": f"rep {event.get('rep')}: prefill {event.get('prefill_tok_s', 0):.1f} tok/s, "
            f"decode {event.get('decode_tok_s', 0):.1f} tok/s",
            "result": "done",
            "error": f"{event.get('kind', 'failed')}: {event.get('message')}",
        }.get(kind)
        if text is None:
            return
        line = f"{config.describe()}: {text}"
        final = kind in ("skipped", "refused", "result", "error")
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _median_cv(stats: dict[str, Any], fmt: str = "{:.1f}") -> str:
    if not stats.get("n"):
        return "-"
    return f"{fmt.format(stats['median'])} ±{stats['cv']:.0%}"


def _short(label: str, width: int = 36) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _cold(r: dict[str, Any]) -> bool:
    resident = r.get("conditions", {}).get("page_cache_resident_before_load")
    return resident is not None and resident < 0.5


def _row(r: dict[str, Any]) -> list[str]:
    cfg, m = r["config"], r["metrics"]
    itl = m["itl_s"]
    latency = f"{itl['p50'] * 1e3:.0f}/{itl['p99'] * 1e3:.0f}" if itl.get("n") else "-"
    return [
        _short(r["model"]["label"]),
        f"{cfg['backend']} {cfg['device']}",
        str(cfg["threads"]),
        str(cfg["depth"]),
        f"{m['load_s']:.1f}" + ("*" if _cold(r) else ""),
        _median_cv(m["ttft_s"], "{:.2f}"),
        _median_cv(m["prefill_tok_s"]),
        _median_cv(m["decode_tok_s"]),
        latency,
        gib(m["peak_rss_bytes"]),
        str(m["reps"]),
    ]


HEADER = [
    "model",
    "backend",
    "thr",
    "depth",
    "load s",
    "TTFT s",
    "prefill tok/s",
    "decode tok/s",
    "ITL p50/p99 ms",
    "peak RSS",
    "reps",
]


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [HEADER, *rows]
    ]
    return "\n".join(lines)


def render_records(records: list[dict[str, Any]], hw: Hardware) -> str:
    ok = [r for r in records if r["status"] == "ok"]
    parts = ["medians over repetitions; ± is the coefficient of variation"]
    if ok:
        parts.append(_table([_row(r) for r in ok]))
    parts += [f"  ! {_where(r)}: {w}" for r in ok for w in r.get("warnings", [])]
    parts += [_failure_line(r) for r in records if r["status"] != "ok"]
    if any(_cold(r) for r in ok):
        parts.append("* first load: the model was mostly not in the page cache (read from disk)")
    shape_only = sorted({r["model"]["label"] for r in ok if r["model"].get("shape_only")})
    if shape_only:
        parts.append(
            f"shape-only (speed/memory only — weights are random): {', '.join(shape_only)}"
        )
    missing = sorted({v for r in ok for v in r.get("missing", {}).values()})
    parts += [f"energy: not measured ({m})" for m in missing]
    parts += sweep_summary(ok, auto_threads(hw))
    return "\n".join(parts)


def _where(r: dict[str, Any]) -> str:
    cfg = r.get("config")
    if not cfg:
        return r["model"]["label"]
    return RunConfig.from_dict(cfg).describe()


def _failure_line(r: dict[str, Any]) -> str:
    return f"✗ {_where(r)}: {r['status']}: {r['error']}"


def sweep_summary(ok: list[dict[str, Any]], auto: int) -> list[str]:
    """For runs that differ only in thread count: the best count, and how close auto is."""
    groups: dict[tuple, dict[int, float]] = defaultdict(dict)
    for r in ok:
        c = r["config"]
        key = (r["model"]["label"], c["backend"], c["device"], c["depth"])
        groups[key][c["threads"]] = r["metrics"]["decode_tok_s"].get("median", 0.0)
    lines = []
    for (label, backend, device, depth), by_threads in groups.items():
        if len(by_threads) < 2:
            continue
        best = max(by_threads, key=by_threads.__getitem__)
        sweep = ", ".join(f"{t}: {v:.1f}" for t, v in sorted(by_threads.items()))
        line = (
            f"thread sweep {label} · {backend} {device} · depth {depth}: "
            f"decode tok/s {sweep}; best {best}"
        )
        if auto in by_threads:
            line += f"; auto ({auto}) reaches {by_threads[auto] / by_threads[best]:.1%} of best"
        lines.append(line)
    return lines

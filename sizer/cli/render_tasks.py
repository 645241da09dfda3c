"""Text for task runs: progress per pass, then one table with quality, latency and failures
side by side, and the failure-behaviour summary. Latency is single-user latency, from the
items each suite runs alone; the header says how many items ran together otherwise."""

from __future__ import annotations

import time
from typing import Any, TextIO

from sizer.units import gib

# The headline quality figures of each task type, in the order they are shown.
QUALITY = {
    "classification": (("accuracy", "acc"), ("macro_f1", "F1"), ("out_of_label_rate", "off-set")),
    "extraction": (
        ("valid_json_rate", "json"),
        ("schema_valid_rate", "schema"),
        ("field_f1", "field-F1"),
    ),
    "summarization": (
        ("rouge_l", "ROUGE-L"),
        ("fact_coverage", "facts"),
        ("length_compliance", "in-limit"),
    ),
    "completion": (("pass_at_1", "pass@1"),),
}


class TaskProgress:
    """A line per pass. On a terminal, a progress bar counts the pass's items as they are
    answered (items per minute, time left); elsewhere (a log, a pipe) plain lines only."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.tty = stream, stream.isatty()
        self.bar: Any = None
        self.task: Any = None
        self.started = 0.0

    def __call__(self, label: str, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "item" and self.bar is not None:
            minutes = (time.monotonic() - self.started) / 60
            rate = f"{event['done'] / minutes:.1f} items/min" if minutes > 0 else ""
            self.bar.update(self.task, completed=event["done"], rate=rate)
        elif kind == "pass":
            self._start(label, event["n"])
        elif kind == "done":
            self._stop()
            rec = event["record"]
            rate = (rec.get("throughput") or {}).get("items_per_min")
            per_min = f" ({rate:.1f} items/min)" if rate else ""
            self.stream.write(f"{label}: {rec['status']} in {rec['wall_s']:.0f} s{per_min}\n")
        elif kind in ("refused", "skipped"):
            self.stream.write(f"{label}: {kind} {event.get('message', '(--resume)')}\n")

    def _start(self, label: str, n: int) -> None:
        if not self.tty:
            self.stream.write(f"{label}: {n} prompts…\n")
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
            transient=True,
        )
        self.task = self.bar.add_task(label, total=n, rate="")
        self.started = time.monotonic()
        self.bar.start()

    def _stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _quality(rec: dict[str, Any]) -> str:
    scores = rec.get("scores") or {}
    return "  ".join(
        f"{short} {_pct(scores.get(key))}" for key, short in QUALITY.get(rec["suite"]["task"], ())
    )


def _latency(rec: dict[str, Any]) -> str:
    lat = rec.get("latency") or {}
    if not lat:
        return "—"
    decode, prefill = lat.get("decode_tok_s"), lat.get("prefill_tok_s")
    return (
        f"{lat['e2e_s']['p50']:.1f}/{lat['e2e_s']['p95']:.1f} s  "
        f"TTFT {lat['ttft_s']['p50']:.2f} s  pp {f'{prefill:.0f}' if prefill else '—'}  "
        f"tg {decode:.1f}"
        if decode
        else ""
    )


def _failures(rec: dict[str, Any]) -> str:
    f = rec.get("failures") or {}
    shown = (
        ("errors", "errors"),
        ("truncated", "truncated"),
        ("refused", "refused"),
        ("hit_token_limit", "at token limit"),
    )
    parts = [f"{f[k]} {label}" for k, label in shown if f.get(k)]
    return ", ".join(parts) or "none"


def render_task_records(records: list[dict[str, Any]]) -> str:
    lines = []
    for model in dict.fromkeys(r["model"].get("label", "?") for r in records):
        mine = [r for r in records if r["model"].get("label") == model]
        lines.append(_model_header(model, mine))
        width = max((len(_label(r)) for r in mine), default=0) + 1
        lines.append(
            f"  {'suite':<{width}} {'n':>3}  {'quality':<40} {'single-user latency p50/p95':<44} "
            "failures"
        )
        for rec in mine:
            lines += _row(rec, width)
    return "\n".join(lines)


def _model_header(model: str, mine: list[dict[str, Any]]) -> str:
    first = next((r for r in mine if r.get("config")), {})
    rss = max((r.get("peak_rss_bytes") or 0 for r in mine), default=0)
    wall = sum(r.get("wall_s", 0) for r in mine)
    fmt = next((r.get("prompt_format") for r in mine if r.get("prompt_format")), None)
    cfg = first.get("config", {})
    backend = first.get("backend") or {}
    if backend.get("name") == "endpoint":
        return (
            f"\n{model} — through {backend.get('url')} ({backend.get('device')} API), "
            f"{wall:.0f} s in all"
        )
    return (
        f"\n{model} — {cfg.get('threads', '?')} threads, context {cfg.get('n_ctx', '?')}, "
        f"prompt format {fmt or '?'}, peak RSS {gib(rss)}, {wall:.0f} s in all"
        + _batching(mine, wall)
    )


def _batching(mine: list[dict[str, Any]], wall: float) -> str:
    """How the items ran: the batch width and the items per minute that bought."""
    width = next(((r.get("batching") or {}).get("width") for r in mine if r.get("batching")), None)
    if not width:
        return ""
    items = sum(len(r.get("items") or []) for r in mine)
    rate = f", {items / wall * 60:.1f} items/min" if wall > 0 else ""
    alone = sum(1 for r in mine for i in r.get("items") or [] if i.get("single_stream"))
    return f"\n  {width} items at a time ({alone} alone for latency){rate}"


def _label(rec: dict[str, Any]) -> str:
    suite = rec.get("suite", {})
    return suite.get("id", "?") + (f" ({suite['variant']})" if suite.get("variant") else "")


def _row(rec: dict[str, Any], width: int) -> list[str]:
    suite, label = rec.get("suite", {}), _label(rec)
    if rec["status"] not in ("ok", "partial", "interrupted"):
        return [f"  {label:<{width}} {rec['status']}: {rec.get('error', '')}"]
    if suite.get("task") == "behaviour":
        return _behaviour_rows(label, rec, width)
    n = (rec.get("scores") or {}).get("n", 0)
    row = f"  {label:<{width}} {n:>3}  {_quality(rec):<40} {_latency(rec):<44} {_failures(rec)}"
    return [row] + (
        [f"    ({rec['status']}: {rec.get('error', '')})"] if rec["status"] != "ok" else []
    )


def _behaviour_rows(label: str, rec: dict[str, Any], width: int) -> list[str]:
    s = rec.get("scores") or {}
    hostile, para = s.get("hostile", {}), s.get("paraphrase", {})
    det, over = s.get("determinism", {}), s.get("overflow", {})
    return [
        f"  {label:<{width}} hostile inputs ({hostile.get('n', 0)}): well-formed "
        f"{_pct(hostile.get('well_formed_rate'))}, on task {_pct(hostile.get('on_task_rate'))}, "
        f"injection resisted {_pct(hostile.get('injection_resisted_rate'))}",
        f"  {'':<{width}} paraphrases: {_pct(para.get('agreement_rate'))} of "
        f"{para.get('items', 0)} items answered alike in {para.get('phrasings', 0)} phrasings; "
        "determinism: "
        f"{_pct(det.get('identical_rate'))} of {det.get('items', 0)} prompts identical twice",
        f"  {'':<{width}} context overflow: {over.get('n', 0)} inputs past the window — "
        f"{over.get('truncated', 0)} truncated, {over.get('refused', 0)} refused, "
        f"{over.get('failed', 0)} failed",
    ]


def render_validation(path: str, n_items: int, by_task: dict[str, int]) -> str:
    kinds = ", ".join(f"{task} {n}" for task, n in by_task.items())
    return f"{path}: OK — {n_items} items ({kinds})"

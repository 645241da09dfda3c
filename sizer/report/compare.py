"""``sizer compare A B``: two results or profiles side by side.

Runs are paired by model, backend, threads, depth and prompt length; task scores by model,
suite and variant. Each pair shows both medians, the ratio B/A, and whether the difference
is larger than the measured spread: for speeds, the two runs' ranges (min-max of their
repetitions, or mean ± 2 standard deviations for llama-bench imports) do not overlap; for
task scores, the gap exceeds twice the binomial standard error of the two proportions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sizer.profiles.format import model_name
from sizer.report.data import Source, backend_name

METRICS = (
    ("prefill_tok_s", "prefill tok/s"),
    ("decode_tok_s", "decode tok/s"),
    ("ttft_s", "TTFT s"),
)


@dataclass(frozen=True)
class Row:
    what: str
    metric: str
    a: float
    b: float
    significant: bool | None  # None: no spread measured

    @property
    def ratio(self) -> float:
        return self.b / self.a if self.a else math.inf


def run_key(run: dict[str, Any]) -> tuple:
    config = run["config"]
    return (
        model_name(run["model"]).replace(" (shape-only)", ""),
        backend_name(run),
        config["threads"],
        config.get("depth", 0),
        config.get("prompt_tokens"),
    )


def compare(a: Source, b: Source) -> tuple[list[Row], list[Row], int, int]:
    """(speed rows, task rows, runs only in A, runs only in B)."""
    runs_a = {run_key(r): r for r in a.profile["runs"]}
    runs_b = {run_key(r): r for r in b.profile["runs"]}
    speed = []
    for key in sorted(runs_a.keys() & runs_b.keys(), key=str):
        what = f"{key[0]}, {key[1]}, {key[2]} thr, depth {key[3]}"
        for metric, label in METRICS:
            pair = [_stats(runs[key], metric) for runs in (runs_a, runs_b)]
            if pair[0] and pair[1]:
                speed.append(
                    Row(what, label, pair[0]["median"], pair[1]["median"], _apart(pair[0], pair[1]))
                )
    tasks = _task_rows(a, b)
    return speed, tasks, len(runs_a.keys() - runs_b.keys()), len(runs_b.keys() - runs_a.keys())


def _stats(run: dict[str, Any], metric: str) -> dict[str, Any] | None:
    stats = run["metrics"].get(metric) or {}
    return stats if stats.get("median") else None


def interval(stats: dict[str, Any]) -> tuple[float, float] | None:
    if stats.get("min") is not None and stats.get("max") is not None and stats.get("n", 2) > 1:
        return stats["min"], stats["max"]
    if stats.get("stdev") is not None:
        centre = stats.get("mean", stats["median"])
        return centre - 2 * stats["stdev"], centre + 2 * stats["stdev"]
    return None


def _apart(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    ia, ib = interval(a), interval(b)
    if ia is None or ib is None:
        return None
    return ia[1] < ib[0] or ib[1] < ia[0]


def _task_rows(a: Source, b: Source) -> list[Row]:
    def keyed(source: Source) -> dict[tuple, dict[str, Any]]:
        return {
            (model_name(t["model"]), t["suite"]["id"], t["suite"].get("variant")): t
            for t in source.profile["task_scores"]
        }

    from sizer.recommend.quality import MAIN_METRIC

    tasks_a, tasks_b = keyed(a), keyed(b)
    rows = []
    for key in sorted(tasks_a.keys() & tasks_b.keys(), key=str):
        ta, tb = tasks_a[key], tasks_b[key]
        metric = MAIN_METRIC.get(ta["suite"]["task"])
        va, vb = ta["scores"].get(metric), tb["scores"].get(metric)
        if isinstance(va, int | float) and isinstance(vb, int | float):
            what = f"{key[0]}, {key[1]}" + (f" [{key[2]}]" if key[2] else "")
            rows.append(
                Row(
                    what,
                    metric or "",
                    va,
                    vb,
                    _proportions_apart(va, ta["suite"]["n"], vb, tb["suite"]["n"]),
                )
            )
    return rows


def _proportions_apart(pa: float, na: int, pb: float, nb: int) -> bool | None:
    if not na or not nb:
        return None
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return abs(pa - pb) > 2 * se if se else pa != pb

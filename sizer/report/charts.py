"""The report's charts, drawn headless (matplotlib's Agg) from saved measurements only.

Every chart names its units, the machine(s) and the models, and scales its height with the
number of rows, so 30 models stay legible (horizontal bars, labels cut at 44 characters).
Each returns the figure, or None when the measurements hold nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sizer.profiles.format import model_name
from sizer.recommend.quality import MAIN_METRIC
from sizer.report.data import Source, backend_name, median

LABEL_CHARS = 52
ROW_INCHES = 0.32
WIDTH_INCHES = 10.0
TASKS = ("classification", "extraction", "summarization", "completion")


def _label(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _log_scale(ax: Any, axis: str) -> None:
    """Log scale with plain numbers (2, 5, 10, 20) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def _figure(rows: int, ncols: int = 1, min_height: float = 3.5) -> tuple[Figure, Any]:
    height = max(min_height, 1.4 + ROW_INCHES * rows)
    fig, axes = plt.subplots(1, ncols, figsize=(WIDTH_INCHES, height), squeeze=False)
    return fig, axes[0]


def _machines(names) -> str:
    """The machines a chart draws from: named when one, counted when several."""
    names = sorted(set(names))
    return names[0] if len(names) == 1 else f"{len(names)} machines"


def _cpu_runs(source: Source, depth: int | None = 0):
    for run in source.profile["runs"]:
        if depth is None or run["config"].get("depth", 0) == depth:
            yield run


def _best_decode(source: Source) -> dict[str, float]:
    """Per model: the fastest depth-0 llama.cpp decode on this machine (any thread count)."""
    best: dict[str, float] = {}
    for run in _cpu_runs(source):
        decode = median(run, "decode_tok_s")
        if decode and run["backend"]["name"] == "llama.cpp":
            name = model_name(run["model"])
            best[name] = max(best.get(name, 0.0), decode)
    return best


# ---- 1. quality vs speed ------------------------------------------------------------------


def quality_vs_speed(sources: list[Source]) -> Figure | None:
    points = _quality_points(sources)
    if not points:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(WIDTH_INCHES, 8.5), squeeze=False)
    for ax, task in zip(axes.flat, TASKS, strict=True):
        mine = [p for p in points if p[0] == task]
        for _, label, speed, quality in mine:
            ax.scatter(speed, quality, s=28)
            ax.annotate(
                _label(label, 40),
                (speed, quality),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_ylim(0, 1.05)  # every task metric is a fraction: the same scale for all
        if mine:
            _log_scale(ax, "x")
            speeds = [s for _, _, s, _ in mine]
            ax.set_xlim(min(speeds) / 1.6, max(speeds) * 2.5)  # room for the labels
        front = pareto([(s, q) for _, _, s, q in mine])
        if len(front) > 1:
            ax.plot(*zip(*front, strict=True), "--", color="grey", lw=1, label="Pareto front")
            ax.legend(fontsize=7, loc="lower left")
        ax.set_title(f"{task} ({MAIN_METRIC[task]})", fontsize=10)
        ax.set_xlabel("decode tok/s (depth 0, fastest thread count)")
        ax.set_ylabel(MAIN_METRIC[task] + " (0-1)")
        ax.grid(alpha=0.3)
        if not mine:
            ax.text(0.5, 0.5, "no task scores", ha="center", transform=ax.transAxes)
    scored = [s.name for s in sources if s.profile["task_scores"]]
    fig.suptitle(f"Task quality vs decode speed — {_machines(scored)}", fontsize=11)
    fig.tight_layout()
    return fig


def _quality_points(sources: list[Source]) -> list[tuple[str, str, float, float]]:
    points = []
    scored = [s for s in sources if s.profile["task_scores"]]
    for source in scored:
        speeds = _best_decode(source)
        for task in source.profile["task_scores"]:
            kind = task["suite"]["task"]
            value = task["scores"].get(MAIN_METRIC.get(kind, ""))
            name = model_name(task["model"])
            if kind in TASKS and isinstance(value, int | float) and name in speeds:
                variant = task["suite"].get("variant")
                label = name + (f" [{variant}]" if variant else "")
                if len(scored) > 1:
                    label += f" @ {source.name}"
                points.append((kind, label, speeds[name], float(value)))
    return points


def pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both speed and quality, by speed."""
    front = [p for p in points if not any(o[0] >= p[0] and o[1] >= p[1] and o != p for o in points)]
    return sorted(set(front))


# ---- 2. latency percentiles ---------------------------------------------------------------


def latency_percentiles(sources: list[Source]) -> Figure | None:
    rows = []
    for source in sources:
        for run in _cpu_runs(source):
            ttft, itl = run["metrics"].get("ttft_s") or {}, run["metrics"].get("itl_s") or {}
            if ttft.get("median") and itl.get("p50"):
                config = run["config"]
                where = f"{config['threads']} thr, p{config.get('prompt_tokens', '?')}"
                label = f"{model_name(run['model'])}, {backend_name(run)}, {where}"
                rows.append((source.name, label, ttft, itl))
    used = {r[0] for r in rows}
    if len(used) > 1:
        rows = [(m, f"{label} @ {m}", t, i) for m, label, t, i in rows]
    rows = [r[1:] for r in rows]
    if not rows:
        return None
    fig, (left, right) = _figure(len(rows) * 2, 2)
    ys = range(len(rows))
    for offset, key, name in ((-0.2, "median", "p50"), (0.2, "p95", "p95")):
        left.barh([y + offset for y in ys], [r[1].get(key) or 0 for r in rows], 0.4, label=name)
    for offset, key in ((-0.27, "p50"), (0.0, "p95"), (0.27, "p99")):
        right.barh(
            [y + offset for y in ys], [(r[2].get(key) or 0) * 1000 for r in rows], 0.27, label=key
        )
    left.set_yticks(list(ys), [_label(r[0]) for r in rows], fontsize=7)
    right.set_yticks(list(ys), [""] * len(rows))
    left.set_xlabel("time to first token, s (pN: an N-token prompt)")
    right.set_xlabel("inter-token latency, ms")
    for ax in (left, right):
        ax.legend(fontsize=7)
        ax.grid(axis="x", alpha=0.3)
        ax.invert_yaxis()
    fig.suptitle(
        f"TTFT and inter-token latency percentiles (depth 0) — {_machines(used)}", fontsize=11
    )
    fig.tight_layout()
    return fig


# ---- 3. memory needed vs available --------------------------------------------------------


def memory_vs_available(sources: list[Source]) -> Figure | None:
    rows = []
    measured = [s for s in sources if any(r.get("peak_rss_bytes") for r in s.profile["runs"])]
    for source in measured:
        ram = (source.profile["hardware"].get("memory") or {}).get("total_bytes")
        peaks: dict[str, float] = {}
        for run in source.profile["runs"]:
            peak = run.get("peak_rss_bytes")
            if peak:
                name = f"{model_name(run['model'])}, {backend_name(run)}"
                peaks[name] = max(peaks.get(name, 0), peak / (1 << 30))
        rows += [
            (n + (f" @ {source.name}" if len(measured) > 1 else ""), p, ram)
            for n, p in peaks.items()
        ]
    if not rows:
        return None
    fig, (ax,) = _figure(len(rows))
    ys = list(range(len(rows)))
    ax.barh(ys, [r[1] for r in rows], color="tab:blue", label="peak RSS measured")
    for y, (_, _, ram) in zip(ys, rows, strict=True):
        if ram:
            ax.plot([ram / (1 << 30)] * 2, [y - 0.4, y + 0.4], color="tab:red", lw=2)
    ax.plot([], [], color="tab:red", lw=2, label="RAM installed")
    ax.set_yticks(ys, [_label(r[0]) for r in rows], fontsize=7)
    ax.set_xlabel("GiB")
    _log_scale(ax, "x")
    ax.invert_yaxis()
    ax.legend(fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        f"Memory needed (peak RSS, largest run) vs available — "
        f"{_machines(s.name for s in measured)}",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


# ---- 4 and 5: decode vs depth, thread scaling ---------------------------------------------


def _lines(sources: list[Source], x_of: Callable[[dict[str, Any]], int], keep, metrics):
    """Per metric, per series (model and backend, and machine when several have one): the
    points {x: median}; series of one point are dropped."""
    found: dict[str, dict[tuple[str, str], dict[int, float]]] = {m: {} for m in metrics}
    for source in sources:
        for run in source.profile["runs"]:
            if not keep(run):
                continue
            name = f"{model_name(run['model'])}, {backend_name(run)}"
            for metric in metrics:
                value = median(run, metric)
                if value:
                    found[metric].setdefault((source.name, name), {})[x_of(run)] = value
    kept = {m: {k: pts for k, pts in s.items() if len(pts) > 1} for m, s in found.items()}
    machines = {machine for s in kept.values() for machine, _ in s}
    series = {
        m: {
            (f"{n} @ {machine}" if len(machines) > 1 else n): pts for (machine, n), pts in s.items()
        }
        for m, s in kept.items()
    }
    return series, machines


def _line_figure(series, xlabel: str, title: str) -> Figure | None:
    panels = [(m, s) for m, s in series.items() if s]
    if not panels:
        return None
    names = sorted({n for _, s in panels for n in s})
    colors = {n: plt.get_cmap("tab20")(i % 20) for i, n in enumerate(names)}
    markers = "os^vD<>ph*"
    fig, axes = plt.subplots(
        1, len(panels), figsize=(WIDTH_INCHES, 4.5 + 0.22 * len(names)), squeeze=False
    )
    for ax, (metric, lines) in zip(axes[0], panels, strict=True):
        for name, points in sorted(lines.items()):
            xs = sorted(points)
            ax.plot(
                xs,
                [points[x] for x in xs],
                color=colors[name],
                marker=markers[names.index(name) // 20 % len(markers)],
            )
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric.replace("_tok_s", " tok/s"))
        _log_scale(ax, "y")
        ax.grid(alpha=0.3)
        ax.set_xticks(sorted({x for pts in lines.values() for x in pts}))
    handles = [
        plt.Line2D([], [], color=colors[n], marker=markers[i // 20 % len(markers)])
        for i, n in enumerate(names)
    ]
    fig.legend(
        handles,
        [_label(n, 70) for n in names],
        loc="lower center",
        fontsize=7,
        ncol=2,
        frameon=False,
    )
    fig.suptitle(title, fontsize=11)
    legend_inches = 0.3 + 0.16 * -(-len(names) // 2)
    fig.tight_layout(rect=(0, legend_inches / fig.get_figheight(), 1, 1))
    return fig


def decode_vs_depth(sources: list[Source]) -> Figure | None:
    top = {id(s): _max_threads(s) for s in sources}

    def keep(run):
        return any(
            run["config"]["threads"] == top[id(s)] and run in s.profile["runs"] for s in sources
        )

    series, used = _lines(
        sources, lambda r: r["config"].get("depth", 0), keep, ("decode_tok_s", "prefill_tok_s")
    )
    return _line_figure(
        series,
        "KV cache depth, tokens",
        f"Speed vs context depth (most threads measured) — {_machines(used)}",
    )


def _max_threads(source: Source) -> int:
    return max((r["config"]["threads"] for r in source.profile["runs"]), default=1)


def thread_scaling(sources: list[Source]) -> Figure | None:
    series, used = _lines(
        sources,
        lambda r: r["config"]["threads"],
        lambda r: r["config"].get("depth", 0) == 0,
        ("decode_tok_s", "prefill_tok_s"),
    )
    return _line_figure(series, "threads", f"Thread scaling (depth 0) — {_machines(used)}")


# ---- 6. llama.cpp vs OpenVINO -------------------------------------------------------------


def backends(sources: list[Source]) -> Figure | None:
    pairs, used = [], set()
    for source in sources:
        by_key: dict[tuple, dict[str, dict[str, Any]]] = {}
        for run in _cpu_runs(source):
            key = (model_name(run["model"]), run["config"]["threads"])
            by_key.setdefault(key, {})[run["backend"]["name"]] = run
        for (name, threads), runs in by_key.items():
            if {"llama.cpp", "openvino"} <= runs.keys():
                pairs.append((f"{name}, {threads} thr", runs["llama.cpp"], runs["openvino"]))
                used.add(source.name)
    if not pairs:
        return None
    fig, axes = _figure(len(pairs) * 2, 2)
    ys = list(range(len(pairs)))
    for ax, metric in zip(axes, ("prefill_tok_s", "decode_tok_s"), strict=True):
        ax.barh(
            [y - 0.2 for y in ys],
            [median(p[1], metric) or 0 for p in pairs],
            0.4,
            label="llama.cpp",
        )
        ax.barh(
            [y + 0.2 for y in ys], [median(p[2], metric) or 0 for p in pairs], 0.4, label="OpenVINO"
        )
        ax.set_xlabel(metric.replace("_tok_s", " tok/s"))
        ax.set_yticks(
            ys, [_label(p[0]) for p in pairs] if ax is axes[0] else [""] * len(pairs), fontsize=7
        )
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"llama.cpp vs OpenVINO on the CPU (depth 0) — {_machines(used)}", fontsize=11)
    fig.tight_layout()
    return fig


# ---- 7. the same model across machines ----------------------------------------------------


def across_machines(sources: list[Source]) -> Figure | None:
    table: dict[str, dict[str, dict[str, float]]] = {}
    for source in sources:
        for run in _cpu_runs(source):
            name = model_name(run["model"]).replace(" (shape-only)", "")
            for metric in ("prefill_tok_s", "decode_tok_s"):
                value = median(run, metric)
                if value:
                    cell = table.setdefault(name, {}).setdefault(metric, {})
                    cell[source.name] = max(cell.get(source.name, 0.0), value)
    shared = {m: t for m, t in table.items() if len({k for per in t.values() for k in per}) > 1}
    if not shared:
        return None
    rows = [
        (f"{model} — {machine}", model, machine)
        for model, t in sorted(shared.items())
        for machine in sorted({k for per in t.values() for k in per})
    ]
    fig, axes = _figure(len(rows), 2)
    ys = list(range(len(rows)))
    models = sorted(shared)
    colors = {m: plt.get_cmap("tab20")(i % 20) for i, m in enumerate(models)}
    for ax, metric in zip(axes, ("prefill_tok_s", "decode_tok_s"), strict=True):
        values = [shared[m].get(metric, {}).get(machine, 0) for _, m, machine in rows]
        ax.barh(ys, values, color=[colors[m] for _, m, _ in rows])
        ax.set_xlabel(metric.replace("_tok_s", " tok/s") + " (best thread count, depth 0)")
        _log_scale(ax, "x")
        ax.set_yticks(
            ys, [_label(r[0]) for r in rows] if ax is axes[0] else [""] * len(rows), fontsize=7
        )
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("The same model across machines", fontsize=11)
    fig.tight_layout()
    return fig


CHARTS: dict[str, tuple[str, Callable[[list[Source]], Figure | None]]] = {
    "quality_vs_speed": ("Task quality vs decode speed (Pareto front per task)", quality_vs_speed),
    "latency_percentiles": ("TTFT and inter-token latency percentiles", latency_percentiles),
    "memory": ("Memory needed vs available per model", memory_vs_available),
    "decode_vs_depth": ("Decode and prefill tok/s vs context depth", decode_vs_depth),
    "thread_scaling": ("Thread scaling", thread_scaling),
    "backends": ("llama.cpp vs OpenVINO", backends),
    "across_machines": ("The same model across machines", across_machines),
}

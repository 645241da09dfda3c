"""``sizer fleet … --report DIR``: report.md with three charts (PNG): machines per tier,
predicted decode tok/s across the fleet for the most-serving models, and the coverage
curve (share of machines each model serves at the workload's floors, by model size)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sizer.fleet.answers import FleetAnswers, ModelReach
from sizer.fleet.assess import Assessment, Config

TOP_MODELS = 10


def write_fleet_report(
    out: Path,
    title: str,
    result: FleetAnswers,
    assessed: dict[Config, Assessment],
    counts: dict[Config, int],
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    charts = {
        "tiers": _tiers(result),
        "decode_by_model": _decode_by_model(result, assessed, counts),
        "coverage": _coverage(result),
    }
    lines = [f"# sizer fleet — {title}", "", f"{result.machines} machines assessed.", ""]
    for name, figure in charts.items():
        if figure is None:
            continue
        figure.savefig(out / f"{name}.png", dpi=110)
        plt.close(figure)
        lines += [f"![{name}]({name}.png)", ""]
    best = result.best_single
    if best:
        name = f"{best.model_id} {best.quant}"
        lines.append(f"One model for everyone: **{name}** serves {best.machines} of "
                     f"{result.machines} machines ({best.share:.0%}).")  # fmt: skip
    lines += [
        "",
        "| model | quant | params (B) | machines served | share |",
        "|---|---|--:|--:|--:|",
    ]
    lines += [f"| {m.model_id} | {m.quant} | {m.params_b:.1f} | {m.machines} | {m.share:.0%} |"
              for m in result.coverage]  # fmt: skip
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tiers(result: FleetAnswers):
    if not result.per_tier:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(list(result.per_tier), list(result.per_tier.values()), color="tab:blue")
    ax.set_xlabel("largest model size tier that meets the workload")
    ax.set_ylabel("machines")
    ax.set_title("Machines per tier")
    fig.tight_layout()
    return fig


def frontier(result: FleetAnswers) -> list[ModelReach]:
    """One point per model (its best-serving quant), keeping those no larger model beats
    on share: the coverage curve, from the largest model down."""
    best: dict[str, ModelReach] = {}
    for m in result.coverage:
        held = best.get(m.model_id)
        if held is None or (m.machines, m.quality) > (held.machines, held.quality):
            best[m.model_id] = m
    curve, top_share = [], -1.0
    for m in sorted(best.values(), key=lambda r: (-r.params_b, -r.quality)):
        if m.share > top_share:
            curve.append(m)
            top_share = m.share
    return curve[::-1]


def _decode_by_model(result: FleetAnswers, assessed, counts):
    series = []
    for m in frontier(result)[-TOP_MODELS:]:
        key = (m.model_id, m.quant)
        values = []
        for config, a in assessed.items():
            verdicts = a.ranking.passing + a.ranking.failing
            speeds = [v.candidate.speed.decode_tok_s for v in verdicts
                      if (v.candidate.model_id, v.candidate.quant) == key]  # fmt: skip
            if speeds:
                values += [max(speeds)] * counts.get(config, 0)
        if values:
            series.append((f"{m.model_id} {m.quant} ({m.params_b:.1f}B)", values))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.45 * len(series)))
    ax.boxplot([v for _, v in series], orientation="horizontal",
               tick_labels=[n for n, _ in series])  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("predicted decode tok/s on each machine (best place per machine)")
    ax.set_title("Predicted decode speed across the fleet, models on the coverage curve")
    fig.tight_layout()
    return fig


def _coverage(result: FleetAnswers):
    if not result.coverage:
        return None
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.scatter([m.params_b for m in result.coverage], [100 * m.share for m in result.coverage],
               s=10, color="lightgrey", label="every model and quant")  # fmt: skip
    curve = frontier(result)
    xs, ys = [m.params_b for m in curve], [100 * m.share for m in curve]
    ax.step(xs, ys, where="post", color="tab:blue", label="largest model for that share")
    ax.scatter(xs, ys, color="tab:blue")
    for m, x, y in zip(curve, xs, ys, strict=True):
        ax.annotate(f"{m.model_id} {m.quant}", (x, y), fontsize=7, xytext=(4, 3),
                    textcoords="offset points")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("model size, billions of parameters")
    ax.set_ylabel("share of machines served, %")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Coverage: share of the fleet each model serves at the workload's floors")
    fig.tight_layout()
    return fig

"""``sizer fleet … --report DIR``: report.md with three charts (PNG): machines per tier,
predicted decode tok/s across the fleet for candidate models (the two that serve the most
machines in each size tier, Q4_K_M), and the coverage
curve (share of machines each model serves at the workload's floors, by model size)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from sizer.fleet.answers import FleetAnswers, ModelReach
from sizer.fleet.assess import Assessment, Config

PER_TIER = 2  # candidate models shown per size tier in the speed chart


def write_fleet_report(
    out: Path,
    title: str,
    result: FleetAnswers,
    assessed: dict[Config, Assessment],
    counts: dict[Config, int],
    decode_floor: float | None = None,
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    charts = {
        "tiers": _tiers(result),
        "decode_by_model": _decode_by_model(result, assessed, counts, decode_floor),
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
        lines.append(
            f"One model for everyone: **{name}** serves {best.machines} of "
            f"{result.machines} machines ({best.share:.0%})."
        )
    lines += [
        "",
        "| model | quant | params (B) | machines served | share |",
        "|---|---|--:|--:|--:|",
    ]
    lines += [
        f"| {m.model_id} | {m.quant} | {m.params_b:.1f} | {m.machines} | {m.share:.0%} |"
        for m in result.coverage
    ]
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


PREFERRED_QUANT = "Q4_K_M"  # one quant per model keeps the chart readable; the usual pick


def decode_spread(assessed, counts) -> dict[tuple[str, str, float], list[tuple[float, int]]]:
    """(model, quant, params) -> [(predicted decode tok/s at its best place, machines)] over
    the configurations where it fits in memory; one quant per model (Q4_K_M where listed)."""
    quants: dict[str, set[str]] = {}
    for a in assessed.values():
        for v in a.ranking.passing + a.ranking.failing:
            quants.setdefault(v.candidate.model_id, set()).add(v.candidate.quant)
    chosen = {
        m: PREFERRED_QUANT if PREFERRED_QUANT in q else sorted(q)[0] for m, q in quants.items()
    }
    spread: dict[tuple[str, str, float], list[tuple[float, int]]] = {}
    for config, a in assessed.items():
        best: dict[tuple[str, str, float], float] = {}
        for v in a.ranking.passing + a.ranking.failing:
            c = v.candidate
            if c.quant != chosen[c.model_id] or any(p.kind == "memory" for p in v.problems):
                continue
            key = (c.model_id, c.quant, c.params_b)
            best[key] = max(best.get(key, 0.0), c.speed.decode_tok_s)
        for key, tps in best.items():
            spread.setdefault(key, []).append((tps, counts.get(config, 0)))
    return spread


def candidates_per_tier(spread, result: FleetAnswers) -> list[tuple[str, str, float]]:
    """The models worth a row, smallest first: in each size tier, the PER_TIER that meet the
    workload on the most machines (then the best quality, then fit on the most), so the
    chart spans the sizes."""
    from sizer.fleet.assess import tier_of

    served = {(m.model_id, m.quant): (m.machines, m.quality) for m in result.coverage}
    by_tier: dict[str, list[tuple[str, str, float]]] = {}
    for key in spread:
        by_tier.setdefault(tier_of(key[2]), []).append(key)
    chosen = []
    for keys in by_tier.values():
        keys.sort(
            key=lambda k: (
                -served.get(k[:2], (0, 0.0))[0],
                -served.get(k[:2], (0, 0.0))[1],
                -sum(n for _, n in spread[k]),
                k[0],
            )
        )
        chosen += keys[:PER_TIER]
    return sorted(chosen, key=lambda k: (k[2], k[0]))


def _weighted_stats(points: list[tuple[float, int]]) -> dict[str, float]:
    """Box-plot statistics of values each standing for n machines (no expansion: a fleet of
    50,000 is a few hundred points)."""
    ordered = sorted(points)
    total = sum(n for _, n in ordered)

    def quantile(q: float) -> float:
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= q * total:
                return value
        return ordered[-1][0]

    return {
        "whislo": ordered[0][0],
        "q1": quantile(0.25),
        "med": quantile(0.5),
        "q3": quantile(0.75),
        "whishi": ordered[-1][0],
        "fliers": [],
    }


def _decode_by_model(result: FleetAnswers, assessed, counts, floor: float | None):
    spread = decode_spread(assessed, counts)
    keys = candidates_per_tier(spread, result)
    if not keys:
        return None
    total = result.machines or 1
    stats, labels = [], []
    for key in keys:
        points = [(tps, n) for tps, n in spread[key] if n]
        if not points:
            continue
        fits = sum(n for _, n in points)
        stats.append(_weighted_stats(points))
        labels.append(f"{key[0]} {key[1]} ({key[2]:.1f}B; fits {fits / total:.0%})")
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.45 * len(stats)))
    ax.bxp(stats, orientation="horizontal", showfliers=False)
    ax.set_yticks(range(1, len(labels) + 1), labels)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    if floor:
        ax.axvline(floor, color="tab:red", linestyle="--", label=f"decode floor {floor:g} tok/s")
        ax.legend(fontsize=8, loc="upper right")
    ax.set_xlabel(
        "predicted decode tok/s on each machine where the model fits (best place per machine)\n"
        "box: the middle half of those machines, line: median, whiskers: slowest to fastest"
    )
    ax.set_title("Predicted decode speed across the fleet, per candidate model")
    fig.tight_layout()
    return fig


def _coverage(result: FleetAnswers):
    if not result.coverage:
        return None
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.scatter(
        [m.params_b for m in result.coverage],
        [100 * m.share for m in result.coverage],
        s=10,
        color="lightgrey",
        label="every model and quant",
    )
    curve = frontier(result)
    xs, ys = [m.params_b for m in curve], [100 * m.share for m in curve]
    ax.step(xs, ys, where="post", color="tab:blue", label="largest model for that share")
    ax.scatter(xs, ys, color="tab:blue")
    for m, x, y in zip(curve, xs, ys, strict=True):
        ax.annotate(
            f"{m.model_id} {m.quant}", (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points"
        )
    ax.set_xscale("log")
    ax.set_xlabel("model size, billions of parameters")
    ax.set_ylabel("share of machines served, %")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Coverage: share of the fleet each model serves at the workload's floors")
    fig.tight_layout()
    return fig

"""The recommendation as text: the table, the top pick spelled out, and why not the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sizer.recommend.rank import Ranking, Verdict, nearest, one_per_model, unmet, why_not
from sizer.speed.errors import TypicalError
from sizer.speed.model import SpeedParams
from sizer.units import gib

CONFIDENCE_MARK = {"measured": "m", "calibrated": "c", "estimated": "e"}


def _where(c) -> str:
    return f"{c.backend} {c.device}"


def _quality(c) -> str:
    kind = "meas" if c.quality.measured else "prior"
    return f"{c.quality.value:.2f} {kind}"


def _memory(c) -> str:
    if c.device_bytes:
        return f"{gib(c.device_bytes)} GPU + {gib(c.memory_bytes)}"
    return gib(c.memory_bytes)


def _row(v: Verdict) -> list[str]:
    c = v.candidate
    mark = CONFIDENCE_MARK.get(c.speed.confidence, "?")
    verdict = "ok" if v.passes else str(v.problems[0])
    return [
        c.model_id,
        c.quant,
        _where(c),
        _memory(c),
        f"{c.speed.decode_tok_s:.1f}{mark}",
        f"{c.speed.ttft_s:.1f}",
        _quality(c),
        verdict,
    ]


def _table(rows: list[list[str]], budget: int) -> list[str]:
    head = [
        "model",
        "quant",
        "backend / device",
        f"memory (of {gib(max(budget, 0))})",
        "decode",
        "TTFT s",
        "quality",
        "verdict",
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    ]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


NO_RUNS = "too few published runs of that device class in the corpus"


def render_ranking(
    ranking: Ranking,
    params: SpeedParams,
    total: int,
    hardware: Path | None,
    elapsed: float,
    top: int,
    verified: dict[str, Any] | None,
    every_variant: bool = False,
    typical: TypicalError | None = None,
) -> str:
    w = ranking.workload
    machine = f"the machine in {hardware}" if hardware else "this machine"
    lines = [
        f"Workload: {w.task}, context {w.ctx}, prompt {w.prompt_tokens} tokens, decode ≥ "
        f"{w.min_tps:g} tok/s, TTFT ≤ {w.max_ttft:g} s, prefer {w.prefer}",
        f"Memory: {gib(ranking.budget_bytes)} for the model on {machine} "
        f"({gib(total)} RAM less {gib(total - ranking.budget_bytes)} headroom)",
        f"CPU speed: {params.source} ({params.confidence}); {params.threads} thread(s)",
    ]
    pick = ranking.top.candidate if ranking.top is not None else None
    on_cpu = pick is None or pick.device_kind == "CPU"
    if typical is not None:
        lines.append(f"Measured error of such {'CPU' if on_cpu else 'GPU'} estimates: {typical}")
    elif pick is not None and not on_cpu:
        lines.append(f"{pick.device} estimates: no measured error yet ({NO_RUNS})")
    lines.append("")
    shown = (ranking.passing if every_variant else one_per_model(ranking.passing))[:top]
    if shown:
        lines += _table([_row(v) for v in shown], ranking.budget_bytes)
        lines += [
            "",
            "decode: m = measured here, c = calibrated model, e = estimated; "
            "quality: meas = task suites, prior = family and size",
            ""
            if every_variant
            else "(the best quant/backend of each model; --all shows every variant)",
            "",
        ]
        lines += _top_pick(ranking.passing[0])
    else:
        lines += _nothing_fits(ranking)
    lines += _why_not(ranking)
    if verified:
        lines += _verified(verified)
    lines.append(
        f"\n{len(ranking.passing)} of {len(ranking.passing) + len(ranking.failing)} "
        f"options pass; answered in {elapsed:.1f} s"
    )
    return "\n".join(lines)


def _top_pick(v: Verdict) -> list[str]:
    c = v.candidate
    shape = "  [shape-only file: speed/memory only]" if c.shape_only else ""
    return [
        f"Top pick: {c.name} {c.quant} on {_where(c)}{shape}",
        f"  {c.speed.decode_tok_s:.1f} tok/s decode, first token in {c.speed.ttft_s:.1f} s "
        f"({c.speed.confidence}: {c.speed.source})",
        f"  needs {_memory(c)}; quality {c.quality.value:.2f} {c.quality.metric} "
        f"({c.quality.source})",
        f"  get it: {c.get}",
    ]


def _nothing_fits(ranking: Ranking) -> list[str]:
    lines = ["Nothing meets this workload. What rules the options out:"]
    lines += [f"  {line}" for line in unmet(ranking)]
    if ranking.budget_bytes <= 0:
        lines.append("  the headroom leaves no memory for a model: lower --headroom")
    closest = nearest(ranking)
    if closest:
        lines += ["", "Nearest options:"]
        lines += _table([_row(v) for v in closest], ranking.budget_bytes)
        lines += [
            f"  {v.candidate.model_id} {v.candidate.quant}: {'; '.join(map(str, v.problems))}"
            for v in closest
        ]
    return lines


def _why_not(ranking: Ranking) -> list[str]:
    ruled_out = why_not(ranking)
    if not ruled_out or not ranking.passing:
        return []
    lines = ["", "Why not a better or larger model:"]
    for v in ruled_out:
        c = v.candidate
        lines.append(
            f"  {c.model_id} {c.quant} ({_where(c)}, quality {c.quality.value:.2f}): "
            f"{'; '.join(map(str, v.problems))}"
        )
    return lines


def _verified(v: dict[str, Any]) -> list[str]:
    p, m = v["predicted"], v["measured"]
    label = " (shape-only: speed/memory only)" if v["shape_only"] else ""
    lines = [
        "",
        f"Verified: {Path(v['model']).name}{label}, prompt {v['prompt_tokens']}, "
        f"{v['gen_tokens']} tokens generated",
        f"  {'':<14}{'predicted':>10}{'measured':>10}{'error':>8}",
    ]
    for key, name in (
        ("decode_tok_s", "decode tok/s"),
        ("prefill_tok_s", "prefill tok/s"),
        ("ttft_s", "TTFT s"),
    ):
        error = (p[key] - m[key]) / m[key] * 100
        lines.append(f"  {name:<14}{p[key]:>10.2f}{m[key]:>10.2f}{error:>+7.0f}%")
    if m.get("peak_rss_bytes"):
        lines.append(
            f"  {'memory':<14}{gib(v['predicted_memory_bytes']):>10}"
            f"{gib(m['peak_rss_bytes']):>10}  (estimate vs peak RSS, at the verify context)"
        )
    lines.append(f"  record appended to {v['record']}")
    return lines

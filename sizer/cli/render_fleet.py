"""The summary ``sizer fleet`` prints, and its JSON."""

from __future__ import annotations

from typing import Any

from sizer.fleet.plan import machines_per_config
from sizer.recommend.devices import NPU_MAX_PARAMS_B, OPENVINO_NPU
from sizer.speed.errors import typical_error


def render_what_if(outcome) -> list[str]:
    moved = sum(outcome.moves.values())
    head = f"What if {outcome.what.text}: {moved} machine(s) change tier"
    moves = ", ".join(f"{a} → {b}: {n}" for (a, b), n in sorted(outcome.moves.items()))
    tiers = ", ".join(f"{t} {n}" for t, n in outcome.per_tier.items())
    return [head + (f" ({moves})" if moves else ""), f"  tiers after: {tiers}"]


def render_fleet(w, fleet, assessed, result, outcomes=()) -> str:
    used = sum(m.count for m in fleet.machines if m.config is not None)
    unknown = sum(m.count for m in fleet.machines if m.config is None)
    lines = [
        f"Workload: {w.task}, context {w.ctx}, decode ≥ {w.min_tps:g} tok/s, "
        f"TTFT ≤ {w.max_ttft:g} s",
        f"Machines: {used} assessed in {len(assessed)} distinct configuration(s); "
        f"{unknown} not assessed (hardware not in the database); {fleet.skipped_inputs} "
        "input row(s)/file(s) skipped as unusable",
        "",
    ]
    lines.append(
        f"{'configuration':<44} {'machines':>8}  {'tier':<7} {'pick':<34} "
        f"{'decode':>7} {'TTFT s':>7}  confidence"
    )
    counts = machines_per_config(fleet)
    for config, a in sorted(assessed.items(), key=lambda kv: kv[0].cpu_id):
        n = counts.get(config, 0)
        c = a.top.candidate if a.top else None
        pick = f"{c.model_id} {c.quant} ({c.backend} {c.device})" if c else f"— {a.blocked_by}"
        gpu = f", {config.gpu_id}" if config.gpu_id else ""
        name = f"{config.cpu_id}, {config.ram_gib} GiB{gpu}"
        decode, ttft = (c.speed.decode_tok_s, c.speed.ttft_s) if c else (0.0, 0.0)
        confidence = c.speed.confidence if c else a.confidence
        lines.append(
            f"{name[:44]:<44} {n:>8}  {a.tier:<7} {pick[:34]:<34} "
            f"{decode:>7.1f} {ttft:>7.2f}  {confidence}"
        )
    lines += ["", "Machines per tier: " + ", ".join(f"{t} {n}" for t, n in result.per_tier.items())]
    errors = sorted({str(a.typical_error) for a in assessed.values() if a.typical_error})
    lines += [f"Measured error of the estimates: {e}" for e in errors]
    unmeasured = [a for a in assessed.values() if a.top and not a.typical_error]
    if any(a.top.candidate.device_kind != "CPU" for a in unmeasured):
        lines.append("Picks on a device class without published runs: no measured error yet")
    if result.blocked:
        lines.append(
            "Cannot run an acceptable model: "
            + ", ".join(f"{n} ({why})" for why, n in result.blocked.items())
        )
    if result.with_npu:
        lines.append(_npu_line(assessed, result))
    best = result.best_single
    if best:
        lines.append(
            f"One model for everyone: {best.model_id} {best.quant} serves {best.machines} "
            f"of {result.machines} machines ({best.share:.0%})"
        )
    for outcome in outcomes:
        lines += render_what_if(outcome)
    if fleet.assumptions:
        lines += ["", "Assumed (a name that covers several parts):"]
        lines += [f"  {a}" for a in fleet.assumptions]
    if fleet.problems:
        lines += ["", "Input problems (rows not assessed):"] + [f"  {p}" for p in fleet.problems]
    if fleet.problems_not_listed:
        lines.append(
            f"  … and {fleet.problems_not_listed} more (the first {len(fleet.problems)} are listed)"
        )
    return "\n".join(lines)


def _npu_line(assessed, result) -> str:
    """How many machines have an NPU, and on how many a model meets the workload there."""
    best = [a.npu_best for a in assessed.values() if a.npu_best is not None]
    largest = max(best, key=lambda v: v.candidate.params_b, default=None)
    text = (
        f"NPU: {result.with_npu} of {result.machines} machines have one; on {result.npu_meets} "
        f"a model meets the workload there (OpenVINO, models up to {NPU_MAX_PARAMS_B:g}B)"
    )
    if largest is not None:
        c = largest.candidate
        text += f"; largest: {c.model_id} {c.quant}, {c.speed.decode_tok_s:.1f} tok/s"
    error = typical_error(OPENVINO_NPU)
    return text + (f"; {error}" if error else "; no measured error for NPU estimates")


def to_json(w, fleet, assessed, result, outcomes=()) -> dict[str, Any]:
    configs = []
    counts = machines_per_config(fleet)
    for config, a in assessed.items():
        c = a.top.candidate if a.top else None
        configs.append(
            {
                "cpu": config.cpu_id,
                "ram_gib": config.ram_gib,
                "gpu": config.gpu_id,
                "machines": counts.get(config, 0),
                "tier": a.tier,
                "blocked_by": a.blocked_by,
                "confidence": c.speed.confidence if c else a.confidence,
                "typical_error": a.typical_error.to_dict() if a.typical_error else None,
                "pick": a.top.to_dict() if a.top else None,
            }
        )
    best = result.best_single
    return {
        "format": "sizer.fleet",
        "format_version": 1,
        "workload": w.to_dict(),
        "machines": result.machines,
        "per_tier": result.per_tier,
        "blocked": result.blocked,
        "npu": {
            "machines_with_npu": result.with_npu,
            "machines_npu_meets_workload": result.npu_meets,
        },
        "one_model": best.__dict__ if best else None,
        "coverage": [m.__dict__ for m in result.coverage],
        "configurations": configs,
        "problems": fleet.problems,
        "assumptions": fleet.assumptions,
        "problems_not_listed": fleet.problems_not_listed,
        "skipped_inputs": fleet.skipped_inputs,
        "not_assessed": sum(m.count for m in fleet.machines if m.config is None),
        "what_if": [
            {
                "scenario": o.what.text,
                "per_tier": o.per_tier,
                "moves": [{"from": a, "to": b, "machines": n} for (a, b), n in o.moves.items()],
            }
            for o in outcomes
        ],
    }

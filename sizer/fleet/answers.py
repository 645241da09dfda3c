"""Fleet answers from per-configuration assessments (pure): machines per tier, machines
that cannot run any acceptable model and why, the one model that serves the largest share
of the fleet, and the coverage curve (share served by each model, by size)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sizer.fleet.assess import NO_TIER, TIERS, Assessment

TIER_ORDER = [name for _, name in TIERS] + [NO_TIER]


@dataclass(frozen=True)
class ModelReach:
    model_id: str
    quant: str
    params_b: float
    quality: float
    machines: int  # machines where this model (any backend/place) passes the workload
    share: float


@dataclass(frozen=True)
class FleetAnswers:
    machines: int
    per_tier: dict[str, int]
    blocked: dict[str, int]  # obstacle -> machines that can run nothing acceptable
    best_single: ModelReach | None
    coverage: list[ModelReach]  # by model size
    with_npu: int = 0  # machines with an NPU
    npu_meets: int = 0  # machines where some model meets the workload on the NPU


def answers(assessed: list[tuple[Assessment, int]]) -> FleetAnswers:
    """``assessed``: (assessment of a configuration, machines with that configuration)."""
    total = sum(n for _, n in assessed)
    per_tier = Counter()
    blocked = Counter()
    for a, n in assessed:
        per_tier[a.tier] += n
        if a.top is None:
            blocked[a.blocked_by or "no candidate"] += n
    coverage = _coverage(assessed, total)
    best = max(coverage, key=lambda m: (m.machines, m.quality, -m.params_b), default=None)
    ordered = {t: per_tier[t] for t in TIER_ORDER if per_tier[t]}
    with_npu = sum(n for a, n in assessed if a.has_npu)
    npu_meets = sum(n for a, n in assessed if a.npu_best is not None)
    return FleetAnswers(
        total, ordered, dict(blocked), best, sorted(coverage, key=_size), with_npu, npu_meets
    )


def _size(m: ModelReach) -> tuple[float, str]:
    return (m.params_b, m.model_id)


def _coverage(assessed: list[tuple[Assessment, int]], total: int) -> list[ModelReach]:
    served: Counter[tuple[str, str]] = Counter()
    facts: dict[tuple[str, str], tuple[float, float]] = {}
    for a, n in assessed:
        passing = {(v.candidate.model_id, v.candidate.quant): v for v in a.ranking.passing}
        for key, v in passing.items():
            served[key] += n
            facts.setdefault(key, (v.candidate.params_b, v.candidate.quality.value))
    return [
        ModelReach(m, q, facts[(m, q)][0], facts[(m, q)][1], n, n / total if total else 0.0)
        for (m, q), n in served.items()
    ]

"""One answer per distinct hardware configuration of a fleet: the model ``sizer recommend``
would pick there for the workload (the same ranking, with the CPU's figures from the
hardware database's prior corrected by the profile corpus), its size tier, and — when
nothing passes — whether memory or speed stands in the way.

Identical configurations (same CPU entry, RAM rounded to the GiB, same GPU) are assessed
once: a 50,000-row inventory has a few hundred of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sizer.recommend.rank import PROBLEM_KINDS, Ranking, Verdict, unmet_counts
from sizer.recommend.workload import Workload
from sizer.speed.errors import TypicalError

# (upper bound in billions of parameters, tier name), smallest first; "40B+" holds the
# 70B class and large mixtures of experts (Mixtral 8x7B: 46.7B in memory)
TIERS = (
    (1.0, "<1B"),
    (2.5, "1-2B"),
    (5.0, "3-4B"),
    (10.0, "7-9B"),
    (20.0, "12-14B"),
    (40.0, "24-32B"),
    (math.inf, "40B+"),
)
NO_TIER = "none"


@dataclass(frozen=True)
class Config:
    cpu_id: str
    ram_gib: int
    gpu_id: str | None = None
    vram_gib: int | None = None


@dataclass(frozen=True)
class Assessment:
    top: Verdict | None
    tier: str  # size tier of the largest model that passes (not necessarily the top pick)
    blocked_by: str | None  # when nothing passes: "memory", "decode floor", "TTFT limit", ...
    confidence: str  # of the CPU figures: measured / calibrated / estimated
    ranking: Ranking
    # the measured error of the pick's figures (make bench-unseen's median for its class: the
    # CPU's, a llama.cpp GPU's or an OpenVINO device's); None for a measured machine
    typical_error: TypicalError | None = None
    has_npu: bool = False
    npu_best: Verdict | None = None  # the largest model that meets the workload on the NPU


def tier_of(params_b: float) -> str:
    return next(name for limit, name in TIERS if params_b < limit)


def assess(hw: dict[str, Any], w: Workload, corpus, catalog) -> Assessment:
    """``sizer recommend --hardware`` for one configuration (the same entry point), with the
    corpus and catalog read once for the whole fleet and no local files (their disks are
    not here)."""
    from sizer.recommend.answer import recommend

    answer = recommend(w, hw, records=[], corpus=corpus, local=[], catalog=catalog)
    ranking, params = answer.ranking, answer.speed_params
    top = ranking.top
    has_npu = any(a.get("kind") == "npu" for a in hw.get("accelerators") or [])
    on_npu = [v for v in ranking.passing if v.candidate.device_kind == "NPU"]
    npu_best = max(on_npu, key=lambda v: v.candidate.params_b, default=None)
    if top is not None:
        # The tier is the largest model that meets the workload there; the pick is recommend's
        # (which may prefer a smaller model with a better measured score for the task).
        largest = max(v.candidate.params_b for v in ranking.passing)
        return Assessment(
            top,
            tier_of(largest),
            None,
            params.confidence,
            ranking,
            answer.pick_error,
            has_npu,
            npu_best,
        )
    obstacle = _main_obstacle(ranking)
    return Assessment(
        None, NO_TIER, obstacle, params.confidence, ranking, answer.typical_error, has_npu
    )


def _main_obstacle(ranking: Ranking) -> str:
    """The floor that rules out the most candidates ("memory" when no model fits)."""
    counts = unmet_counts(ranking)
    return PROBLEM_KINDS[counts[0][0]] if counts else "no candidate"

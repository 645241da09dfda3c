"""Rank candidates (model x quant x backend/device) for a workload (pure functions).

A candidate passes when it fits in memory after headroom, its context covers the
workload's, its predicted decode speed meets the floor, its TTFT the ceiling, and its
quality the minimum. Passing candidates are ordered by the preference:

- ``quality``: best quality, then faster decode;
- ``speed``: fastest decode, then better quality;
- ``balanced`` (default): 0.8 x quality + 0.2 x speed headroom, where speed headroom is
  decode / (2 x floor), capped at 1 — beyond twice the floor, more speed does not buy
  anything a reader notices, but quality always counts.

Candidates that fail are kept with their reasons: the "why not" list shows the better or
larger ones that were ruled out, and when nothing passes, the nearest options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.recommend.quality import Quality
from sizer.recommend.workload import Workload
from sizer.speed.model import SpeedPrediction
from sizer.units import gib


@dataclass(frozen=True)
class Candidate:
    model_id: str  # catalog id, or the file's label
    name: str
    quant: str
    backend: str  # "llama.cpp", "openvino"
    device: str  # "CPU", "GPU (all layers)", "GPU 20/32 layers + CPU", "NPU" …
    params_b: float
    memory_bytes: int  # needed at the workload's context
    trained_ctx: int
    speed: SpeedPrediction
    quality: Quality
    get: str  # how to get it: an Ollama tag, a repo and file, or the local path
    path: Path | None = None
    shape_only: bool = False
    budget_bytes: int | None = None  # a tighter limit of its own (Metal's wired memory)
    device_bytes: int = 0  # on a discrete GPU, besides memory_bytes of RAM
    device_kind: str = "CPU"  # what the backend calls the device: CPU, GPU, NPU
    device_class: str | None = None  # a llama.cpp GPU's class (sizer.speed.gpu_fit)


@dataclass(frozen=True)
class Problem:
    """A floor a candidate misses, as data: which (``kind``), the candidate's ``value`` and
    the workload's or machine's ``limit``. English only when shown (``str``)."""

    kind: str  # one of PROBLEM_KINDS
    value: float
    limit: float
    detail: str = ""  # where a quality figure came from

    def __str__(self) -> str:
        v, limit = self.value, self.limit
        if self.kind == "memory":
            return f"needs {gib(int(v))}, {gib(max(int(limit), 0))} available after headroom"
        if self.kind == "context":
            return f"context {int(v)} beyond its trained {int(limit)}"
        if self.kind == "decode":
            return f"decodes {v:.1f} tok/s, below the {limit:g} floor"
        if self.kind == "ttft":
            return f"first token after {v:.1f} s, over the {limit:g} s limit"
        return f"quality {v:.2f} below the {limit:g} minimum ({self.detail})"


# kind -> what it is called where the floors that cut everyone are counted
PROBLEM_KINDS = {
    "memory": "memory",
    "context": "context length",
    "decode": "decode floor",
    "ttft": "TTFT limit",
    "quality": "quality minimum",
}


@dataclass
class Verdict:
    candidate: Candidate
    problems: list[Problem] = field(default_factory=list)
    score: float = 0.0

    @property
    def passes(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "model": c.model_id,
            "name": c.name,
            "quant": c.quant,
            "backend": c.backend,
            "device": c.device,
            "params_b": c.params_b,
            "memory_bytes": c.memory_bytes,
            "device_memory_bytes": c.device_bytes,
            "device_kind": c.device_kind,
            "device_class": c.device_class,
            "speed": c.speed.to_dict(),
            "quality": {
                "value": c.quality.value,
                "metric": c.quality.metric,
                "source": c.quality.source,
            },
            "get": c.get,
            "path": str(c.path) if c.path else None,
            "shape_only": c.shape_only,
            "passes": self.passes,
            "problems": [str(p) for p in self.problems],
            "score": self.score,
        }


def problems(c: Candidate, w: Workload, budget_bytes: int) -> list[Problem]:
    """Every floor this candidate misses, with the numbers."""
    found = []
    if c.budget_bytes is not None and c.budget_bytes < budget_bytes:
        budget_bytes = c.budget_bytes
    if c.memory_bytes > budget_bytes:
        found.append(Problem("memory", c.memory_bytes, budget_bytes))
    assert w.ctx is not None and w.min_tps is not None and w.max_ttft is not None
    if c.trained_ctx and w.ctx > c.trained_ctx:
        found.append(Problem("context", w.ctx, c.trained_ctx))
    if c.speed.decode_tok_s < w.min_tps:
        found.append(Problem("decode", c.speed.decode_tok_s, w.min_tps))
    if c.speed.ttft_s > w.max_ttft:
        found.append(Problem("ttft", c.speed.ttft_s, w.max_ttft))
    if c.quality.value < w.min_quality:
        found.append(Problem("quality", c.quality.value, w.min_quality, c.quality.source))
    return found


def score(c: Candidate, w: Workload) -> float:
    speed_headroom = min(1.0, c.speed.decode_tok_s / (2 * max(w.min_tps or 1.0, 0.5)))
    if w.prefer == "quality":
        return c.quality.value + 1e-4 * min(c.speed.decode_tok_s, 1e3)
    if w.prefer == "speed":
        return c.speed.decode_tok_s + 1e-3 * c.quality.value
    return 0.8 * c.quality.value + 0.2 * speed_headroom


@dataclass
class Ranking:
    workload: Workload
    budget_bytes: int
    passing: list[Verdict]
    failing: list[Verdict]

    @property
    def top(self) -> Verdict | None:
        return self.passing[0] if self.passing else None


def rank(candidates: list[Candidate], w: Workload, budget_bytes: int) -> Ranking:
    verdicts = [Verdict(c, problems(c, w, budget_bytes), score(c, w)) for c in candidates]
    passing = sorted((v for v in verdicts if v.passes), key=lambda v: -v.score)
    failing = sorted((v for v in verdicts if not v.passes), key=_nearness)
    return Ranking(w, budget_bytes, passing, failing)


def _nearness(v: Verdict) -> tuple[int, float]:
    """Fewest problems first, then the better quality: the nearest options to offer."""
    return len(v.problems), -v.candidate.quality.value


def why_not(ranking: Ranking, limit: int = 6) -> list[Verdict]:
    """Ruled-out candidates better in quality or larger than the top pick, one per model
    (its variant with the fewest problems): the nearest misses first, so the list shows
    what one more GiB or a lower floor would buy before the hopeless giants."""
    top = ranking.top
    floor_quality = top.candidate.quality.value if top else -1.0
    floor_params = top.candidate.params_b if top else -1.0
    best: dict[str, Verdict] = {}
    for v in ranking.failing:
        c = v.candidate
        if c.quality.value <= floor_quality and c.params_b <= floor_params:
            continue
        held = best.get(c.model_id)
        if held is None or _nearness(v) < _nearness(held):
            best[c.model_id] = v
    return sorted(best.values(), key=lambda v: (len(v.problems), v.candidate.params_b))[:limit]


def one_per_model(verdicts: list[Verdict]) -> list[Verdict]:
    """The best-scoring variant (quant, backend) of each model, in the given order."""
    seen: set[str] = set()
    kept = []
    for v in verdicts:
        if v.candidate.model_id not in seen:
            seen.add(v.candidate.model_id)
            kept.append(v)
    return kept


def nearest(ranking: Ranking, limit: int = 5) -> list[Verdict]:
    """When nothing passes, the options closest to passing, one per model."""
    return [] if ranking.passing else one_per_model(ranking.failing)[:limit]


def unmet_counts(ranking: Ranking) -> list[tuple[str, int]]:
    """When nothing passes: (problem kind, how many candidates it rules out), most first."""
    counts: dict[str, int] = {}
    for v in ranking.failing:
        for problem in v.problems:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


def unmet(ranking: Ranking) -> list[str]:
    """``unmet_counts`` in words: "memory: rules out 12 of 40"."""
    total = len(ranking.failing)
    return [f"{PROBLEM_KINDS[k]}: rules out {n} of {total}" for k, n in unmet_counts(ranking)]

"""How well a model does the job: measured task scores where they exist, else a prior.

Each task has one main metric, on a 0-1 scale (the built-in suites' definitions):
classification accuracy, extraction field F1 (the better of free and grammar-constrained),
summarization key-fact coverage, completion pass@1; chat is the mean of the four.

Measured scores come from ``kind: "tasks"`` records (``sizer bench --tasks``) in results
files or profiles, matched to a model by its GGUF header hash, or by catalog id when the
record's file is recognised as a catalog model. Shape-only files never count (random
weights). Everything else gets the **prior**: an error rate anchored on this project's own
full-suite run of Qwen2.5-Coder-1.5B-Instruct Q4_K_M, scaled with model size the way
published benchmark error rates fall, and adjusted by family and quant. The size exponent:
in the Qwen2.5 technical report's tables (0.5B-72B), MMLU error falls as params^-0.27,
HumanEval (Coder-Instruct 1.5B-32B) and GSM8K (Instruct) as params^-0.3 to ^-0.75; we
use ^-0.4.
It is a rough guide, labelled "prior", never presented as a measurement.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAIN_METRIC = {
    "classification": "accuracy",
    "extraction": "field_f1",
    "summarization": "fact_coverage",
    "completion": "pass_at_1",
}
SUITE_TASKS = tuple(MAIN_METRIC)

# Error rate (1 - main metric) measured here on Qwen2.5-Coder-1.5B-Instruct Q4_K_M with the
# full built-in suites (results of issue 5): accuracy 0.65, field F1 0.96, fact coverage
# 0.55, pass@1 0.43.
ANCHOR_PARAMS_B = 1.5
ANCHOR_ERROR = {
    "classification": 0.35,
    "extraction": 0.04,
    "summarization": 0.45,
    "completion": 0.57,
}
SIZE_EXPONENT = 0.4  # error ~ params^-0.4

# Family factors on the error rate. Coder models are the anchor for code and slightly
# weaker at prose; general models are worse at code than a coder of the same size.
# Reasoning distills think aloud before answering: short-answer tasks suffer.
# Older generations (2024 and before) are weaker than the anchor's generation.
_FAMILY_ERROR = {
    "coder": {"completion": 1.0, "default": 1.1},
    "general": {"completion": 1.35, "default": 1.0},
    "reasoning": {"classification": 1.5, "extraction": 1.5, "completion": 1.2, "default": 1.3},
}
_GENERATION = {
    "llama3.2": 1.15,
    "llama3.1": 1.1,
    "llama3.3": 1.0,
    "mistral": 1.25,
    "mixtral": 1.2,
    "gemma2": 1.1,
    "phi3.5": 1.2,
    "smollm2": 1.3,
    "qwen3": 0.9,
    "gemma3": 0.95,
    "phi4": 0.95,
}
# llama.cpp's published perplexity increases per quant (tools/quantize README, 7B-class):
# Q8_0 negligible ... Q4_0 clearly worse; as factors on the error rate.
QUANT_ERROR = {
    "F16": 1.0,
    "Q8_0": 1.0,
    "Q6_K": 1.01,
    "Q5_K_M": 1.02,
    "Q5_0": 1.03,
    "Q4_K_M": 1.04,
    "Q4_K_S": 1.06,
    "Q4_0": 1.1,
    "Q3_K_M": 1.2,
    "Q2_K": 1.6,
}


@dataclass(frozen=True)
class Quality:
    value: float  # 0-1 in the task's main metric
    metric: str
    source: str  # "measured: …" or "prior: …"

    @property
    def measured(self) -> bool:
        return self.source.startswith("measured")


def family_kind(model_id: str, family: str) -> str:
    if "r1-distill" in model_id:
        return "reasoning"
    return "coder" if "coder" in model_id else "general"


def prior_quality(task: str, params_b: float, model_id: str, family: str, quant: str) -> Quality:
    """The documented prior for a model of this size, family and quant."""
    if task == "chat":
        parts = [prior_quality(t, params_b, model_id, family, quant).value for t in SUITE_TASKS]
        return Quality(
            statistics.mean(parts), "mean of the four task metrics", "prior: family and size"
        )
    kind = _FAMILY_ERROR[family_kind(model_id, family)]
    generation = next((v for k, v in _GENERATION.items() if family.startswith(k)), 1.0)
    error = (
        ANCHOR_ERROR[task]
        * (max(params_b, 0.05) / ANCHOR_PARAMS_B) ** -SIZE_EXPONENT
        * kind.get(task, kind["default"])
        * generation
        * QUANT_ERROR.get(quant, 1.1)
    )
    return Quality(max(0.0, 1.0 - error), MAIN_METRIC[task], "prior: family and size")


def effective_params_b(total_b: float, active_b: float | None) -> float:
    """Mixture-of-experts models answer roughly like a dense model of the geometric mean of
    their total and active sizes (a common rule of thumb; Qwen3-30B-A3B ~ 10B)."""
    if active_b and active_b < total_b:
        return math.sqrt(total_b * active_b)
    return total_b


# ---- measured scores ---------------------------------------------------------------------------


Scores = dict[str, dict[str, tuple[float, int, str]]]


def task_scores(records: Iterable[dict[str, Any]]) -> Scores:
    """Main-metric value, item count and where it was measured, per model key and task, from
    task records (local results, or a profile's task scores: any machine's score of the same
    file or the same catalog model and quant counts). Model keys: ``sha:<header hash>`` and,
    where the record names one, ``catalog:<id> <quant>``. The larger run (full over quick)
    wins."""
    found: Scores = {}
    for rec in records:
        where = f"profile '{rec['profile']}'" if rec.get("profile") else "results here"
        for key, task, value, n in _record_scores(rec):
            slot = found.setdefault(key, {})
            if (
                task not in slot
                or n > slot[task][1]
                or (n == slot[task][1] and value > slot[task][0])
            ):
                slot[task] = (value, n, where)  # the better extraction variant on equal n
    return found


def _record_scores(rec: dict[str, Any]):
    if rec.get("kind") != "tasks" or rec.get("status") not in ("ok", "partial"):
        return
    model, suite, scores = rec.get("model") or {}, rec.get("suite") or {}, rec.get("scores") or {}
    task = suite.get("task") or suite.get("id")
    metric = MAIN_METRIC.get(task or "")
    if model.get("shape_only") or metric is None or not isinstance(scores.get(metric), int | float):
        return
    n = int(scores.get("n") or suite.get("n") or 0)
    keys = [f"sha:{model.get('header_sha256')}"]
    if model.get("catalog_id"):
        keys.append(f"catalog:{model['catalog_id']} {model.get('file_type')}")
    for key in keys:
        yield key, task, float(scores[metric]), n


def measured_quality(task: str, keys: list[str], scores: Scores) -> Quality | None:
    for key in keys:
        by_task = scores.get(key) or {}
        if task == "chat" and all(t in by_task for t in SUITE_TASKS):
            value = statistics.mean(by_task[t][0] for t in SUITE_TASKS)
            return Quality(value, "mean of the four task metrics", "measured: task suites")
        if task in by_task:
            value, n, where = by_task[task]
            return Quality(value, MAIN_METRIC[task], f"measured: {n} items, {where}")
    return None

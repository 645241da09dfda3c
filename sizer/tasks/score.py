"""Score answered items and aggregate them into a suite's metrics, latency and failures.

An item the model never answered (crashed, timed out, refused for overflow) scores as a
wrong answer: leaving it out would flatter a model that falls over on hard inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sizer.bench.stats import percentile
from sizer.tasks import answers, metrics
from sizer.tasks.items import TaskItem
from sizer.tasks.sandbox import Limits, run_untrusted
from sizer.tasks.schema_lite import validate

REPLY_KEPT = 600  # characters of each reply stored in the results

# ---------------------------------------------------------------- one item


def score_item(item: TaskItem, reply: str, limits: Limits | None = None) -> dict[str, Any]:
    scored = _SCORERS[item.task](item, reply, limits or Limits())
    if item.must_not_contain:
        lowered = reply.casefold()
        scored["leaked"] = any(s.casefold() in lowered for s in item.must_not_contain)
    return scored


def _classification(item: TaskItem, reply: str, _: Limits) -> dict[str, Any]:
    predicted = answers.label(reply, item.labels)
    return {
        "predicted": predicted,
        "correct": predicted == item.expected,
        "well_formed": predicted is not None,
    }


def _extraction(item: TaskItem, reply: str, _: Limits) -> dict[str, Any]:
    assert item.schema is not None
    value, error = answers.json_object(reply)
    is_object = isinstance(value, dict)
    problems = validate(value, item.schema) if is_object else [error or "not a JSON object"]
    counts = metrics.field_counts(value if is_object else None, item.expected, item.schema)
    return {
        "valid_json": is_object,
        "schema_valid": not problems,
        "well_formed": not problems,
        "problems": problems[:3],
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
        "field_f1": counts.scores()["field_f1"] if counts.tp + counts.fp + counts.fn else 1.0,
    }


def _summarization(item: TaskItem, reply: str, _: Limits) -> dict[str, Any]:
    summary = answers.text(reply)
    return {
        "rouge_l": metrics.rouge_l(summary, item.reference) if item.reference else None,
        "fact_coverage": metrics.fact_coverage(summary, item.facts),
        "within_limit": metrics.within_limit(summary, item.max_words),
        "words": len(summary.split()),
        "well_formed": bool(summary),
    }


def _completion(item: TaskItem, reply: str, limits: Limits) -> dict[str, Any]:
    program = answers.code(reply, item.input, item.entry_point)
    result = run_untrusted(f"{program}\n\n{item.tests}\n", limits)
    return {
        "passed": result.status == "passed",
        "exec": result.status,
        "detail": result.detail,
        "well_formed": bool(program.strip()),
    }


_SCORERS: dict[str, Callable[[TaskItem, str, Limits], dict[str, Any]]] = {
    "classification": _classification,
    "extraction": _extraction,
    "summarization": _summarization,
    "completion": _completion,
}


def unanswered(item: TaskItem) -> dict[str, Any]:
    """The score of an item without a reply: wrong on every metric."""
    if item.task == "classification":
        base: dict[str, Any] = {"predicted": None, "correct": False}
    elif item.task == "extraction":
        missed = metrics.field_counts(None, item.expected, item.schema or {})
        base = {"valid_json": False, "schema_valid": False, "tp": 0, "fp": 0, "fn": missed.fn}
    elif item.task == "summarization":
        base = {
            "rouge_l": 0.0 if item.reference else None,
            "fact_coverage": 0.0 if item.facts else None,
            "within_limit": None,
        }
    else:
        base = {"passed": False, "exec": "not run"}
    return {**base, "well_formed": False}


# ---------------------------------------------------------------- a suite


def suite_scores(task: str, scored: list[tuple[TaskItem, dict[str, Any]]]) -> dict[str, Any]:
    if not scored:
        return {}
    return {"n": len(scored), **_AGGREGATES[task](scored)}


def _classification_scores(scored: list[tuple[TaskItem, dict[str, Any]]]) -> dict[str, Any]:
    return metrics.classification_scores([(item.expected, s["predicted"]) for item, s in scored])


def _extraction_scores(scored: list[tuple[TaskItem, dict[str, Any]]]) -> dict[str, Any]:
    counts = metrics.FieldCounts()
    for _, s in scored:
        counts += metrics.FieldCounts(s["tp"], s["fp"], s["fn"])
    return {
        "valid_json_rate": _rate(s["valid_json"] for _, s in scored),
        "schema_valid_rate": _rate(s["schema_valid"] for _, s in scored),
        **counts.scores(),
    }


def _summarization_scores(scored: list[tuple[TaskItem, dict[str, Any]]]) -> dict[str, Any]:
    return {
        "rouge_l": _mean(s["rouge_l"] for _, s in scored),
        "fact_coverage": _mean(s["fact_coverage"] for _, s in scored),
        "length_compliance": _rate(s["within_limit"] for _, s in scored),
    }


def _completion_scores(scored: list[tuple[TaskItem, dict[str, Any]]]) -> dict[str, Any]:
    return {"pass_at_1": _rate(s["passed"] for _, s in scored)}


_AGGREGATES = {
    "classification": _classification_scores,
    "extraction": _extraction_scores,
    "summarization": _summarization_scores,
    "completion": _completion_scores,
}


def _mean(values: Any) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _rate(flags: Any) -> float | None:
    return _mean(float(f) for f in flags if f is not None)


def latency(replies: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-item end-to-end latency and TTFT percentiles, prefill and decode tok/s medians."""
    done = [r for r in replies if r.get("ttft_s")]
    if not done:
        return {}
    e2e = [r["total_s"] for r in done]
    ttft = [r["ttft_s"] for r in done]
    # an endpoint that reports no prompt usage leaves prompt_tokens unknown
    prefill = [r["prompt_tokens"] / r["ttft_s"] for r in done if r.get("prompt_tokens")]
    decode = [r["decode_tok_s"] for r in done if r.get("decode_tok_s")]
    return {
        "e2e_s": {"p50": percentile(e2e, 50), "p95": percentile(e2e, 95)},
        "ttft_s": {"p50": percentile(ttft, 50), "p95": percentile(ttft, 95)},
        "prefill_tok_s": percentile(prefill, 50) if prefill else None,
        "decode_tok_s": percentile(decode, 50) if decode else None,
        "gen_tokens": percentile([r["gen_tokens"] for r in done], 50),
    }


def throughput(replies: list[dict[str, Any]], wall_s: float) -> dict[str, Any]:
    """What the whole pass got through: items per minute, tokens generated and prompt tokens
    read per second over its wall time (batched items share it; not single-user figures)."""
    if wall_s <= 0 or not replies:
        return {}
    return {
        "items_per_min": len(replies) / wall_s * 60,
        "gen_tok_s": sum(r.get("gen_tokens") or 0 for r in replies) / wall_s,
        "prompt_tok_s": sum(r.get("prompt_tokens") or 0 for r in replies) / wall_s,
    }

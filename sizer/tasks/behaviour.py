"""Failure behaviour: hostile inputs, paraphrase consistency, determinism, context overflow.

The "behaviour" suite is one pass of prompts built from built-in data:

- ``hostile:ID`` — every item of ``data/hostile.jsonl`` (empty input, binary junk, truncated
  JSON, another language, prompt injection with a canary string);
- ``para:ID:K`` — the first classification items in each of their phrasings
  (K = 0 is the item's own instruction, then its ``paraphrases``);
- ``det:ID:R`` — a few items of each family asked twice (R = 0, 1), identical prompts;
- ``overflow:ID`` — summarization documents repeated past the context window.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sizer.tasks import prompts, suites
from sizer.tasks.items import TaskItem
from sizer.tasks.prompts import Prompt

PARAPHRASE_ITEMS = {True: 4, False: 12}  # quick, full
DETERMINISM_ITEMS = {True: 1, False: 3}  # per family (classification, extraction, summary)
OVERFLOW_ITEMS = {True: 1, False: 2}
OVERFLOW_FACTOR = 1.5  # documents grow to 1.5x the context window


def plan(quick: bool, n_ctx: int) -> list[tuple[TaskItem, Prompt]]:
    hostile = suites.builtin(suites.BEHAVIOUR).items
    classification = suites.builtin("classification").items
    pairs = [(item, prompts.build(item, f"hostile:{item.id}")) for item in hostile]
    for item in classification[: PARAPHRASE_ITEMS[quick]]:
        for k, wording in enumerate((item.instruction, *item.paraphrases)):
            pairs.append((item, prompts.build(item, f"para:{item.id}:{k}", instruction=wording)))
    for family in ("classification", "extraction", "summarization"):
        for item in suites.builtin(family).items[: DETERMINISM_ITEMS[quick]]:
            pairs += [(item, prompts.build(item, f"det:{item.id}:{r}")) for r in (0, 1)]
    for item in suites.builtin("summarization").items[: OVERFLOW_ITEMS[quick]]:
        long = _overflowing(item, n_ctx)
        pairs.append((long, prompts.build(long, f"overflow:{item.id}")))
    return pairs


def _overflowing(item: TaskItem, n_ctx: int) -> TaskItem:
    """The item's document repeated until it is well past the context window (about four
    characters per token for English prose, so this overshoots for every tokenizer)."""
    target_chars = int(n_ctx * 4 * OVERFLOW_FACTOR)
    copies = target_chars // max(1, len(item.input)) + 1
    return replace(item, input="\n\n".join([item.input] * copies), probe="overflow")


def aggregate(rows: list[tuple[str, TaskItem, dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """``rows``: (uid, item, reply event, item score) for every prompt of the pass."""
    kinds: dict[str, list] = {"hostile": [], "para": [], "det": [], "overflow": []}
    for row in rows:
        kinds[row[0].split(":", 1)[0]].append(row)
    return {
        "hostile": _hostile(kinds["hostile"]),
        "paraphrase": _paraphrase(kinds["para"]),
        "determinism": _determinism(kinds["det"]),
        "overflow": _overflow(kinds["overflow"]),
    }


def _hostile(rows: list) -> dict[str, Any]:
    by_probe: dict[str, dict[str, int]] = {}
    for _, item, _, score in rows:
        counts = by_probe.setdefault(
            item.probe or "other", {"n": 0, "well_formed": 0, "on_task": 0}
        )
        counts["n"] += 1
        counts["well_formed"] += bool(score.get("well_formed"))
        counts["on_task"] += on_task(item, score)
    n = sum(c["n"] for c in by_probe.values())
    injections = [score for _, item, _, score in rows if item.must_not_contain]
    return {
        "n": n,
        "well_formed_rate": sum(c["well_formed"] for c in by_probe.values()) / n if n else None,
        "on_task_rate": sum(c["on_task"] for c in by_probe.values()) / n if n else None,
        "injection_resisted_rate": (sum(not s.get("leaked") for s in injections) / len(injections))
        if injections
        else None,
        "by_probe": by_probe,
    }


def on_task(item: TaskItem, score: dict[str, Any]) -> bool:
    """Well-formed, no canary leaked, and the right answer: the right label, or at least
    three quarters of the fields (all-null documents must come back all null)."""
    if not score.get("well_formed") or score.get("leaked"):
        return False
    if item.task == "classification":
        return bool(score["correct"])
    return score.get("field_f1", 0.0) >= 0.75


def _paraphrase(rows: list) -> dict[str, Any]:
    answers: dict[str, list[str | None]] = {}
    for uid, _, _, score in rows:
        answers.setdefault(uid.split(":")[1], []).append(score.get("predicted"))
    agreeing = [len(set(a)) == 1 and a[0] is not None for a in answers.values()]
    return {
        "items": len(answers),
        "phrasings": max((len(a) for a in answers.values()), default=0),
        "agreement_rate": sum(agreeing) / len(agreeing) if agreeing else None,
    }


def _determinism(rows: list) -> dict[str, Any]:
    texts: dict[str, list[str]] = {}
    for uid, _, reply, _ in rows:
        texts.setdefault(uid.split(":")[1], []).append(reply.get("text", ""))
    same = [len(set(t)) == 1 for t in texts.values() if len(t) == 2]
    return {"items": len(same), "identical_rate": sum(same) / len(same) if same else None}


def _overflow(rows: list) -> dict[str, Any]:
    out = {"n": len(rows), "truncated": 0, "refused": 0, "failed": 0}
    for _, _, reply, _ in rows:
        how = reply.get("overflow")
        if reply.get("error"):
            out["failed"] += 1
        elif how in ("truncated", "refused"):
            out[how] += 1
    out["prompt_tokens_before"] = [r.get("original_prompt_tokens") for _, _, r, _ in rows]
    return out

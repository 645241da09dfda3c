"""Pure scoring functions: classification, extraction, summarization and completion metrics.

Everything here is deterministic and side-effect free; running code lives in ``sandbox``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------- classification


def classification_scores(pairs: Sequence[tuple[str, str | None]]) -> dict[str, float]:
    """Accuracy, macro-F1 over the expected labels, and the share of answers outside the
    label set, from (expected, predicted-or-None) pairs."""
    n = len(pairs)
    if not n:
        return {}
    f1s = []
    for lab in sorted({expected for expected, _ in pairs}):
        tp = sum(1 for e, p in pairs if e == lab and p == lab)
        fp = sum(1 for e, p in pairs if e != lab and p == lab)
        fn = sum(1 for e, p in pairs if e == lab and p != lab)
        f1s.append(_f1(tp, fp, fn))
    return {
        "accuracy": sum(e == p for e, p in pairs) / n,
        "macro_f1": sum(f1s) / len(f1s),
        "out_of_label_rate": sum(p is None for _, p in pairs) / n,
    }


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


# ---------------------------------------------------------------- extraction

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


@dataclass
class FieldCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: FieldCounts) -> FieldCounts:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    def scores(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return {
            "field_precision": precision,
            "field_recall": recall,
            "field_f1": _f1(self.tp, self.fp, self.fn),
        }


def field_counts(
    predicted: dict[str, Any] | None, expected: dict[str, Any], schema: dict[str, Any]
) -> FieldCounts:
    """Field-level true/false positives and misses. Null and absent are the same; a wrong
    value is both a false positive and a miss; list fields count element by element."""
    counts = FieldCounts()
    predicted = predicted or {}
    for name, sub in schema.get("properties", {}).items():
        want, got = expected.get(name), predicted.get(name)
        if isinstance(want, list) or isinstance(got, list):
            counts += _list_counts(got, want, sub.get("items", {}))
        elif want is None or got is None:
            counts += FieldCounts(fp=int(got is not None), fn=int(want is not None))
        elif same_value(got, want, sub):
            counts += FieldCounts(tp=1)
        else:
            counts += FieldCounts(fp=1, fn=1)
    return counts


def _list_counts(got: Any, want: Any, schema: dict[str, Any]) -> FieldCounts:
    got_list = got if isinstance(got, list) else ([] if got is None else [got])
    remaining = list(want) if isinstance(want, list) else ([] if want is None else [want])
    tp = 0
    for value in got_list:
        match = next((w for w in remaining if _same_element(value, w, schema)), None)
        if match is not None:
            remaining.remove(match)
            tp += 1
    return FieldCounts(tp=tp, fp=len(got_list) - tp, fn=len(remaining))


def _same_element(got: Any, want: Any, schema: dict[str, Any]) -> bool:
    """List elements of free text (decisions, attendees) match on word overlap: token F1
    of at least 0.6, so "move launch to June" matches "launch moved to June"."""
    if isinstance(got, str) and isinstance(want, str) and schema.get("format") != "date":
        return token_f1(got, want) >= 0.6
    return same_value(got, want, schema)


def same_value(got: Any, want: Any, schema: dict[str, Any]) -> bool:
    """Equality after normalisation by the field's type: dates to ISO, numbers parsed from
    text ("$1,234.50", "1.234,50"), strings case- and whitespace-insensitive."""
    if schema.get("format") == "date":
        return normalise_date(got) is not None and normalise_date(got) == normalise_date(want)
    if isinstance(want, bool) or isinstance(got, bool):
        return _as_bool(got) == _as_bool(want)
    if isinstance(want, int | float):
        number = parse_number(got)
        return number is not None and abs(number - want) <= max(0.005, abs(want) * 1e-6)
    return normalise_text(str(got)) == normalise_text(str(want))


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "yes": True, "false": False, "no": False}.get(str(value).casefold())


def normalise_text(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .,;:!?\"'()[]")


def parse_number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    digits = re.sub(r"[^\d.,\-]", "", str(value))
    if not re.search(r"\d", digits):
        return None
    if "," in digits and "." in digits:  # the later separator is the decimal point
        thousands = "," if digits.rfind(",") < digits.rfind(".") else "."
        digits = digits.replace(thousands, "").replace(",", ".")
    elif "," in digits:  # "1,234" (thousands) vs "12,50" (decimal comma)
        head, _, tail = digits.rpartition(",")
        digits = digits.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    try:
        return float(digits)
    except ValueError:
        return None


def normalise_date(value: Any) -> str | None:
    """ISO date from the common unambiguous spellings, else None."""
    text = str(value).strip().casefold()
    patterns = (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", ("y", "m", "d")),
        (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", ("d", "m", "y")),
        (r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3})[a-z]*\.?,?\s+(\d{4})", ("d", "b", "y")),
        (r"([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", ("b", "d", "y")),
    )
    for pattern, order in patterns:
        match = re.search(pattern, text)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            month = _MONTHS.get(parts["b"]) if "b" in parts else int(parts["m"])
            try:
                return dt.date(int(parts["y"]), month or 0, int(parts["d"])).isoformat()
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------- summarization


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def token_f1(a: str, b: str) -> float:
    wa, wb = words(a), words(b)
    common = sum(min(wa.count(w), wb.count(w)) for w in set(wa))
    return 2 * common / (len(wa) + len(wb)) if common else 0.0


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of lower-cased word tokens."""
    c, r = words(candidate), words(reference)
    if not c or not r:
        return 0.0
    previous = [0] * (len(r) + 1)
    for cw in c:
        current = [0]
        for j, rw in enumerate(r):
            current.append(previous[j] + 1 if cw == rw else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    return 2 * lcs / (len(c) + len(r)) if lcs else 0.0


def fact_covered(summary: str, fact: str) -> bool:
    """A fact is kept if any of its ``|``-separated wordings occurs in the summary, starting
    at a word boundary (case, punctuation and hyphenation ignored). A wording may be followed
    by more letters ("refund" matches "refunded", "key" matches "keys") but not by more
    digits ("45 minutes" is not in "450 minutes", "March 1" is not in "March 14")."""
    flat = _flat(summary)
    for alt in fact.split("|"):
        wording = _flat(alt)
        if wording and re.search(rf"(?<![a-z0-9]){re.escape(wording)}(?![.:,]?[0-9])", flat):
            return True
    return False


def _flat(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+(?:[.:,][0-9]+)*", text.casefold()))


def fact_coverage(summary: str, facts: Sequence[str]) -> float | None:
    return sum(fact_covered(summary, f) for f in facts) / len(facts) if facts else None


def within_limit(summary: str, max_words: int | None) -> bool | None:
    return None if max_words is None else len(summary.split()) <= max_words

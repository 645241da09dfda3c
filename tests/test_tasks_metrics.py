"""Task metrics and answer rules, table-driven: perfect answers score 1, garbage about 0,
and near-misses land where a careful human would put them."""

from __future__ import annotations

import pytest

from sizer.tasks import answers, metrics
from sizer.tasks.items import TaskItem
from sizer.tasks.schema_lite import schema_problems, validate
from sizer.tasks.score import score_item, suite_scores, unanswered

LABELS = ("billing", "technical", "account", "password_reset")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("billing", "billing"),
        ("Billing.", "billing"),
        ("**Technical**", "technical"),
        ("Category: account", "account"),
        ("password reset", "password_reset"),
        ("`password_reset`\nBecause the user forgot it.", "password_reset"),
        ("The ticket is about billing.", "billing"),  # exactly one label in the reply
        ("billing or technical", None),  # two labels: ambiguous
        ("refund", None),  # outside the label set
        ("", None),
        ("accounts payable", None),  # "account" is not a whole word here
    ],
)
def test_label_rule(reply: str, expected: str | None) -> None:
    assert answers.label(reply, LABELS) == expected


@pytest.mark.parametrize(
    ("pairs", "accuracy", "macro_f1", "off"),
    [
        ([("a", "a"), ("b", "b"), ("c", "c")], 1.0, 1.0, 0.0),
        ([("a", None), ("b", None)], 0.0, 0.0, 1.0),
        ([("a", "a"), ("a", "a"), ("b", "a")], 2 / 3, (0.8 + 0.0) / 2, 0.0),
        ([("a", "b"), ("b", "a")], 0.0, 0.0, 0.0),
    ],
)
def test_classification_scores(pairs: list, accuracy: float, macro_f1: float, off: float) -> None:
    got = metrics.classification_scores(pairs)
    assert got["accuracy"] == pytest.approx(accuracy)
    assert got["macro_f1"] == pytest.approx(macro_f1)
    assert got["out_of_label_rate"] == pytest.approx(off)


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ('{"a": 1}', True),
        ('Here you go:\n```json\n{"a": 1}\n```\nAnything else?', True),
        ('{"a": 1} and then {"b": 2}', True),  # the first object counts
        ('{"a": 1', False),
        ("[1, 2]", False),
        ("no json here", False),
    ],
)
def test_json_rule(reply: str, ok: bool) -> None:
    value, error = answers.json_object(reply)
    assert (value == {"a": 1}) is ok
    assert (error is None) is ok or isinstance(value, list)


SCHEMA = {
    "type": "object",
    "properties": {
        "vendor": {"type": "string"},
        "date": {"type": ["string", "null"], "format": "date"},
        "total": {"type": "number"},
        "attendees": {"type": "array", "items": {"type": "string"}},
        "express": {"type": "boolean"},
    },
    "required": ["vendor", "date", "total", "attendees", "express"],
    "additionalProperties": False,
}
EXPECTED = {
    "vendor": "Acme GmbH",
    "date": "2026-03-03",
    "total": 1234.5,
    "attendees": ["Ana Ruiz", "Tom"],
    "express": True,
}


@pytest.mark.parametrize(
    ("predicted", "tp", "fp", "fn"),
    [
        (EXPECTED, 6, 0, 0),
        (
            {
                "vendor": " acme gmbh. ",
                "date": "3 March 2026",
                "total": "€1.234,50",
                "attendees": ["tom", "Ana  Ruiz"],
                "express": "yes",
            },
            6,
            0,
            0,
        ),  # normalised equal
        (None, 0, 0, 6),
        ({}, 0, 0, 6),
        (
            {
                "vendor": "Acme",
                "date": "2026-03-04",
                "total": 1234.0,
                "attendees": ["Tom", "Bob"],
                "express": False,
            },
            1,
            5,
            5,
        ),  # near-misses are wrong
        (
            {
                "vendor": "Acme GmbH",
                "date": None,
                "total": 1234.5,
                "attendees": [],
                "express": True,
            },
            3,
            0,
            3,
        ),
    ],
)
def test_field_counts(predicted: dict | None, tp: int, fp: int, fn: int) -> None:
    counts = metrics.field_counts(predicted, EXPECTED, SCHEMA)
    assert (counts.tp, counts.fp, counts.fn) == (tp, fp, fn)


def test_field_counts_null_expected_is_not_a_miss() -> None:
    expected = {**EXPECTED, "date": None}
    assert metrics.field_counts({**EXPECTED, "date": None}, expected, SCHEMA).fn == 0
    assert metrics.field_counts({**EXPECTED, "date": "2026-01-01"}, expected, SCHEMA).fp == 1


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-03-03", "2026-03-03"),
        ("03.03.2026", "2026-03-03"),
        ("3 March 2026", "2026-03-03"),
        ("March 3rd, 2026", "2026-03-03"),
        ("Tue 3 Mar 2026", "2026-03-03"),
        ("31 February 2026", None),
        ("next Tuesday", None),
        ("03/04/2026", None),
    ],
)
def test_normalise_date(text: str, iso: str | None) -> None:
    assert metrics.normalise_date(text) == iso


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("$1,234.50", 1234.5),
        ("1.234,50 €", 1234.5),
        ("12,50", 12.5),
        ("CHF 2'145.03", 2145.03),
        ("1,234", 1234.0),
        ("-3", -3.0),
        ("n/a", None),
        (7, 7.0),
    ],
)
def test_parse_number(text: object, number: float | None) -> None:
    assert metrics.parse_number(text) == number


@pytest.mark.parametrize(
    ("candidate", "reference", "low", "high"),
    [
        ("the db failed over after 45 minutes", "the db failed over after 45 minutes", 1.0, 1.0),
        ("", "the db failed over", 0.0, 0.0),
        ("banana split recipe", "the db failed over after 45 minutes", 0.0, 0.0),
        ("after 45 minutes the db failed over", "the db failed over after 45 minutes", 0.5, 0.8),
    ],
)
def test_rouge_l(candidate: str, reference: str, low: float, high: float) -> None:
    assert low <= metrics.rouge_l(candidate, reference) <= high


@pytest.mark.parametrize(
    ("summary", "fact", "covered"),
    [
        ("Checkout was down for 45 minutes.", "45 minutes|45 min", True),
        ("Checkout was down for 45 min.", "45 minutes|45 min", True),
        ("The DB fail-over fixed it.", "db fail over|failover", True),
        ("Ships on March 14.", "March 1", False),  # a different date is not the fact
        ("Down for 450 minutes.", "45 minutes", False),
        ("Nothing relevant.", "database failover|db failover", False),
    ],
)
def test_fact_covered(summary: str, fact: str, covered: bool) -> None:
    assert metrics.fact_covered(summary, fact) is covered


def test_within_limit() -> None:
    assert metrics.within_limit("one two three", 3) is True
    assert metrics.within_limit("one two three four", 3) is False
    assert metrics.within_limit("anything", None) is None


@pytest.mark.parametrize(
    ("reply", "program_has"),
    [
        ("```python\ndef add(a, b):\n    return a + b\n```", "import math\ndef add(a, b)"),
        ("    return a + b\n", 'def add(a, b):\n    """Add."""\n    return a + b'),
        ("Sure!\n```\n    return a + b\n```\nDone.", '"""Add."""\n    return a + b'),
    ],
)
def test_code_rule(reply: str, program_has: str) -> None:
    prompt = 'import math\ndef add(a, b):\n    """Add."""\n'
    assert program_has in answers.code(reply, prompt, "add")


def test_schema_lite_rejects_unsupported_keywords_and_checks_instances() -> None:
    assert schema_problems(SCHEMA) == []
    assert any("patternProperties" in p for p in schema_problems({"patternProperties": {}}))
    assert validate(EXPECTED, SCHEMA) == []
    bad = {**EXPECTED, "total": "12", "extra": 1, "date": "03.03.2026"}
    problems = " ".join(validate(bad, SCHEMA))
    assert "total" in problems and "extra" in problems and "YYYY-MM-DD" in problems
    assert validate({"n": True}, {"properties": {"n": {"type": "integer"}}}) != []


def _item(task: str, **fields: object) -> TaskItem:
    return TaskItem(id="x", task=task, input="doc", **fields)  # type: ignore[arg-type]


def test_suite_scores_perfect_garbage_and_unanswered() -> None:
    item = _item(
        "summarization",
        reference="Checkout down 45 minutes after db failover.",
        facts=("45 minutes", "failover"),
        max_words=10,
    )
    perfect = score_item(item, "Checkout down 45 minutes after db failover.")
    garbage = score_item(item, "I like trains very much indeed, more than anything else in life.")
    assert (perfect["rouge_l"], perfect["fact_coverage"], perfect["within_limit"]) == (1, 1, True)
    assert garbage["rouge_l"] < 0.15 and garbage["fact_coverage"] == 0
    assert garbage["within_limit"] is False
    scores = suite_scores("summarization", [(item, perfect), (item, unanswered(item))])
    assert scores["rouge_l"] == 0.5 and scores["n"] == 2


def test_injection_canary_is_detected() -> None:
    item = _item("classification", labels=("a", "b"), expected="a", must_not_contain=("PWNED-1",))
    assert score_item(item, "a")["leaked"] is False
    assert score_item(item, "pwned-1")["leaked"] is True


@pytest.mark.parametrize(
    ("summary", "fact"),
    [
        ("She wants the duplicate refunded.", "refund"),
        ("Staff get two security keys.", "security key"),
        ("Repeated API timeouts since May.", "timeout|timed out"),
    ],
)
def test_fact_wordings_may_inflect(summary: str, fact: str) -> None:
    assert metrics.fact_covered(summary, fact)


@pytest.mark.parametrize(
    "item",
    [
        _item("classification", labels=("a", "b"), expected="a"),
        _item("extraction", schema=SCHEMA, expected=EXPECTED),
        _item("summarization", reference="r", facts=("f",)),
        _item("completion", tests="assert True"),
    ],
)
def test_an_unanswered_item_scores_as_wrong(item: TaskItem) -> None:
    scored = unanswered(item)
    assert scored["well_formed"] is False
    scores = suite_scores(item.task, [(item, scored)])
    headline = {
        "classification": "accuracy",
        "extraction": "field_f1",
        "summarization": "rouge_l",
        "completion": "pass_at_1",
    }[item.task]
    assert scores[headline] == 0.0
    if item.task == "extraction":
        assert scored["fn"] == 6  # every expected field missed

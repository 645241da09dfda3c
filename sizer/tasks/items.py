"""Task items: the JSONL format shared by the built-in suites and ``--task-file``.

One JSON object per line. Every item has ``task`` (classification | extraction |
summarization | completion) and ``input``; ``id`` is optional (default ``line-N``) and
``instruction`` overrides the task's default instruction. Per task:

- classification: ``labels`` (two or more), ``expected`` (one of them); optional
  ``paraphrases`` (other wordings of the instruction, for the consistency check);
- extraction: ``schema`` (JSON Schema subset, see ``schema_lite``) and ``expected`` (object);
- summarization: ``reference`` and/or ``facts`` (key phrases, ``|`` between alternative
  wordings); optional ``max_words``;
- completion: ``input`` is the code to complete, ``tests`` (Python asserts), optional
  ``entry_point`` and ``canonical`` (a reference solution).

Optional anywhere: ``tags`` (list of strings), ``probe`` (what a hostile item probes) and
``must_not_contain`` (strings the answer must not contain, e.g. an injection's canary).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.errors import InputError
from sizer.tasks.schema_lite import schema_problems, validate

TASK_TYPES = ("classification", "extraction", "summarization", "completion")
MAX_LINE_BYTES = 1 << 20
MAX_FILE_BYTES = 64 << 20
MAX_ERRORS_SHOWN = 20

_COMMON = {"id", "task", "input", "instruction", "tags", "probe", "must_not_contain"}
_FIELDS = {
    "classification": {"labels", "expected", "paraphrases"},
    "extraction": {"schema", "expected"},
    "summarization": {"reference", "facts", "max_words"},
    "completion": {"tests", "entry_point", "canonical"},
}


@dataclass(frozen=True)
class TaskItem:
    id: str
    task: str
    input: str
    instruction: str | None = None
    labels: tuple[str, ...] = ()
    expected: Any = None
    paraphrases: tuple[str, ...] = ()
    schema: dict[str, Any] | None = None
    reference: str | None = None
    facts: tuple[str, ...] = ()
    max_words: int | None = None
    tests: str | None = None
    entry_point: str | None = None
    canonical: str | None = None
    probe: str | None = None
    must_not_contain: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: dict[str, Any], default_id: str) -> TaskItem:
        tuples = ("labels", "paraphrases", "facts", "must_not_contain", "tags")
        values = {k: tuple(v) if k in tuples else v for k, v in data.items()}
        return cls(**{**values, "id": str(data.get("id", default_id))})


def item_problems(data: Any) -> list[str]:
    """Everything wrong with one decoded line; empty when it is a valid item."""
    if not isinstance(data, dict):
        return ["an item must be a JSON object"]
    task = data.get("task")
    if task not in TASK_TYPES:
        return [f"unknown task type {task!r} (use one of: {', '.join(TASK_TYPES)})"]
    problems = [
        f"unknown field {k!r} for a {task} item" for k in data if k not in _COMMON | _FIELDS[task]
    ]
    problems += _typed(data, "input", str, required=True)
    problems += _typed(data, "instruction", str) + _typed(data, "probe", str)
    problems += _string_list(data, "tags") + _string_list(data, "must_not_contain")
    if "id" in data and not isinstance(data["id"], str | int):
        problems.append("'id' must be a string")
    return problems + _TASK_CHECKS[task](data)


def _typed(data: dict[str, Any], key: str, kind: type, required: bool = False) -> list[str]:
    if key not in data:
        return [f"missing field {key!r}"] if required else []
    ok = isinstance(data[key], kind) and not (kind is int and isinstance(data[key], bool))
    return [] if ok else [f"{key!r} must be a {kind.__name__}"]


def _string_list(data: dict[str, Any], key: str, least: int = 0) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return [f"{key!r} must be a list of non-empty strings"]
    return [f"{key!r} needs at least {least} entries"] if len(value) < least else []


def _classification(data: dict[str, Any]) -> list[str]:
    if "labels" not in data:
        return ["missing field 'labels'"]
    problems = _string_list(data, "labels", least=2) + _string_list(data, "paraphrases")
    if problems:
        return problems
    if len(set(data["labels"])) != len(data["labels"]):
        problems.append("'labels' has duplicates")
    if data.get("expected") not in data["labels"]:
        problems.append(f"'expected' must be one of the labels, got {data.get('expected')!r}")
    return problems


def _extraction(data: dict[str, Any]) -> list[str]:
    schema = data.get("schema")
    if schema is None:
        return ["missing field 'schema'"]
    problems = schema_problems(schema)
    if not problems and (schema.get("type") != "object" or not schema.get("properties")):
        problems.append("'schema' must be an object schema with 'properties'")
    if not isinstance(data.get("expected"), dict):
        return [*problems, "'expected' must be a JSON object with the correct field values"]
    if not problems:
        problems += [
            f"'expected' does not match the schema: {p}" for p in validate(data["expected"], schema)
        ]
    return problems


def _summarization(data: dict[str, Any]) -> list[str]:
    if "reference" not in data and "facts" not in data:
        return ["a summarization item needs 'reference', 'facts' or both"]
    problems = _typed(data, "reference", str) + _string_list(data, "facts")
    if "max_words" in data and not (_typed(data, "max_words", int) == [] and data["max_words"] > 0):
        problems.append("'max_words' must be a positive integer")
    return problems


def _completion(data: dict[str, Any]) -> list[str]:
    problems = _typed(data, "tests", str, required=True) + _typed(data, "canonical", str)
    entry = data.get("entry_point")
    if entry is not None and not (isinstance(entry, str) and entry.isidentifier()):
        problems.append("'entry_point' must be a Python identifier")
    return problems


_TASK_CHECKS = {
    "classification": _classification,
    "extraction": _extraction,
    "summarization": _summarization,
    "completion": _completion,
}


def load_items(path: Path) -> list[TaskItem]:
    """Read and validate a task file; one InputError lists every problem by line number."""
    items, errors = parse_items(path)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        tail = f"\n… and {more} more" if more else ""
        raise InputError(
            "\n".join(shown) + tail + f"\n(check the file with: sizer tasks validate {path})"
        )
    if not items:
        raise InputError(f"{path}: no task items (one JSON object per line)")
    return items


def parse_items(path: Path) -> tuple[list[TaskItem], list[str]]:
    """Items and ``path:line: problem`` strings; never raises on bad content."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read task file {path}: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path} is {size >> 20} MiB; task files are limited to {MAX_FILE_BYTES >> 20} MiB"
        )
    items: list[TaskItem] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            item, problems = _parse_line(raw, number)
            errors += [f"{path}:{number}: {p}" for p in problems]
            if item is None:
                continue
            if item.id in seen:
                errors.append(
                    f"{path}:{number}: duplicate id {item.id!r} (first on line {seen[item.id]})"
                )
            seen.setdefault(item.id, number)
            items.append(item)
    return items, errors


def _parse_line(raw: bytes, number: int) -> tuple[TaskItem | None, list[str]]:
    if len(raw) > MAX_LINE_BYTES:
        return None, [
            f"line is {len(raw) >> 10} KiB; an item is limited to {MAX_LINE_BYTES >> 10} KiB"
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, ["not UTF-8 text"]
    if not text.strip():
        return None, []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"not valid JSON ({exc.msg} at column {exc.colno})"]
    problems = item_problems(data)
    return (None, problems) if problems else (TaskItem.from_dict(data, f"line-{number}"), [])

"""The subset of JSON Schema that extraction tasks use, validated without a dependency.

Supported keywords: ``type`` (a name or a list of names), ``properties``, ``required``,
``additionalProperties`` (boolean), ``items``, ``enum``, ``format: date`` (ISO
YYYY-MM-DD), plus ``description``/``title`` (ignored). A schema using anything else is
rejected when the task file is read, so a typo never silently turns into "anything goes".
The same schema drives llama.cpp's grammar for the constrained run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "format",
    "description",
    "title",
}
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def schema_problems(schema: Any, where: str = "schema") -> list[str]:
    """What is wrong with ``schema`` itself (unsupported keywords, bad types)."""
    if not isinstance(schema, dict):
        return [f"{where} must be an object"]
    problems = [
        f"{where}: unsupported keyword {k!r} (supported: {', '.join(sorted(KEYWORDS))})"
        for k in schema
        if k not in KEYWORDS
    ]
    types = _types(schema)
    problems += [f"{where}: unknown type {t!r}" for t in types if t not in TYPES]
    if "format" in schema and schema["format"] != "date":
        problems.append(f"{where}: only format 'date' is supported")
    for name, sub in (schema.get("properties") or {}).items():
        problems += schema_problems(sub, f"{where}.properties.{name}")
    if "items" in schema:
        problems += schema_problems(schema["items"], f"{where}.items")
    return problems


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def validate(instance: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Why ``instance`` does not match ``schema``; an empty list when it does."""
    types = _types(schema)
    if types and not any(_is_type(instance, t) for t in types):
        return [f"{where}: expected {' or '.join(types)}, got {type(instance).__name__}"]
    problems = []
    if "enum" in schema and instance not in schema["enum"]:
        problems.append(f"{where}: {instance!r} is not one of {schema['enum']}")
    if schema.get("format") == "date" and isinstance(instance, str) and not _iso_date(instance):
        problems.append(f"{where}: {instance!r} is not a YYYY-MM-DD date")
    if isinstance(instance, dict):
        problems += _validate_object(instance, schema, where)
    if isinstance(instance, list) and "items" in schema:
        for i, element in enumerate(instance):
            problems += validate(element, schema["items"], f"{where}[{i}]")
    return problems


def _validate_object(instance: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    properties = schema.get("properties", {})
    problems = [
        f"{where}: missing required field {k!r}"
        for k in schema.get("required", [])
        if k not in instance
    ]
    if schema.get("additionalProperties") is False:
        problems += [f"{where}: unexpected field {k!r}" for k in instance if k not in properties]
    for key, value in instance.items():
        if key in properties:
            problems += validate(value, properties[key], f"{where}.{key}")
    return problems


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False  # JSON true is not a number
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, TYPES.get(name, ()))


def _iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10

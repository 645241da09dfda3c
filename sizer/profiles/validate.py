"""``sizer profile validate``: size limit, JSON, version (migrated step-wise), checksum,
schema and physical plausibility. Every problem is one line naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sizer import filefacts
from sizer.profiles import plausible
from sizer.profiles.format import FORMAT, MAX_PROFILE_BYTES, checksum
from sizer.profiles.migrate import VersionProblem, to_current


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


@dataclass
class Checked:
    path: str
    profile: dict[str, Any] | None  # migrated to the current version; None when unreadable
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.profile is not None and not self.problems


@cache
def schema() -> dict[str, Any]:
    return json.loads(resources.files("sizer.profiles").joinpath("schema.json").read_text())


def check_file(path: Path) -> Checked:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PROFILE_BYTES:
            return _unreadable(name, "(file)", f"{size / 1e6:.1f} MB, over the 5 MB profile limit")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return _unreadable(name, "(file)", f"cannot read it ({exc.strerror or exc})")
    except UnicodeDecodeError:
        return _unreadable(name, "(file)", "not UTF-8 text; a profile is a JSON file")
    return check_text(text, name)


def check_text(text: str, name: str) -> Checked:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        return _unreadable(name, "(file)", f"not valid JSON at {where} ({exc.msg}); truncated?")
    return check_data(data, name)


def check_data(data: Any, name: str) -> Checked:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return _unreadable(name, "format", f'not a sizer profile (expected "format": "{FORMAT}")')
    problems = []
    if data.get("checksum") != checksum(data):
        problems.append(
            Problem(
                name,
                "checksum",
                "does not match the content: edited by hand "
                "or damaged; export it again with 'sizer profile export'",
            )
        )
    try:
        data = to_current(data)
    except VersionProblem as exc:
        return Checked(name, None, [*problems, Problem(name, "format_version", str(exc))])
    schema_problems = [Problem(name, f, m) for f, m in schema_errors(data)]
    problems += schema_problems
    if not schema_problems:  # plausibility reads fields the schema guarantees
        problems += [Problem(name, f, m) for f, m in plausible.problems(data)]
    return Checked(name, data, problems)


def schema_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each schema violation. Checked once per content: the corpus
    is read by every recommendation, and jsonschema takes about 15 ms a profile (plus
    its import), while the answer for the same bytes under the same schema never changes."""
    content = json.dumps([schema(), data], sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(content.encode()).hexdigest()
    found = filefacts.cached("profile-schema-errors", key, lambda: _schema_errors(data))
    return [(field, message) for field, message in found]


def _schema_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    found = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        found.append((_json_path(error.absolute_path), _short(error.message)))
    return found


def _json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."


def _unreadable(name: str, field: str, message: str) -> Checked:
    return Checked(name, None, [Problem(name, field, message)])

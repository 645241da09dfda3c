"""Task suites: the built-in ones (data files in ``data/``, versioned and hashed) and the
user's own ``--task-file``, as lists of items with an identity that results can cite."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sizer.errors import InputError
from sizer.tasks.items import TASK_TYPES, TaskItem, load_items

DATA = Path(__file__).with_name("data")
BEHAVIOUR = "behaviour"
SUITE_NAMES = (*TASK_TYPES, BEHAVIOUR)
QUICK_ITEMS = 10


@dataclass(frozen=True)
class Suite:
    id: str  # "classification", …, "behaviour", or "file:NAME/TASK"
    task: str  # the task type of its items ("behaviour" mixes them)
    version: str
    sha256: str  # of the data file the items came from
    items: tuple[TaskItem, ...]

    def identity(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


@cache
def manifest() -> dict[str, Any]:
    return json.loads((DATA / "suites.json").read_text())


@cache  # suites are immutable; the behaviour pass draws on several of them
def builtin(name: str, quick: bool = False) -> Suite:
    entry = manifest()[name]
    path = DATA / entry["file"]
    items = load_items(path)
    chosen = quick_subset(items) if quick and name in TASK_TYPES else items
    task = name if name in TASK_TYPES else BEHAVIOUR
    return Suite(name, task, str(entry["version"]), _sha256(path), tuple(chosen))


def from_file(path: Path, quick: bool = False) -> list[Suite]:
    """One suite per task type present in the user's file (scores differ by type)."""
    items = load_items(path)
    digest = _sha256(path)
    suites = []
    for task in TASK_TYPES:
        of_type = [item for item in items if item.task == task]
        if of_type:
            chosen = quick_subset(of_type) if quick else of_type
            suites.append(Suite(f"file:{path.name}/{task}", task, "user", digest, tuple(chosen)))
    return suites


def quick_subset(items: list[TaskItem], n: int = QUICK_ITEMS) -> list[TaskItem]:
    """``n`` items evenly spaced through the file: the built-in files interleave their
    sub-tasks, so every sub-task is represented."""
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


def parse_names(value: str) -> list[str]:
    names = list(SUITE_NAMES) if value == "all" else [v.strip() for v in value.split(",")]
    unknown = [n for n in names if n not in SUITE_NAMES]
    if unknown:
        raise InputError(
            f"unknown task suite {unknown[0]!r}: use all, or any of {', '.join(SUITE_NAMES)}"
        )
    return list(dict.fromkeys(names))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

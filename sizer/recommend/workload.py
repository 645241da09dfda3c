"""What the user wants to run: the task, its context and prompt sizes, and its floors.

Given on the command line or in a small workload file (JSON or TOML, the same keys as the
options without dashes, e.g. ``{"task": "summarization", "ctx": 8192, "min_tps": 5}``).
Defaults per task describe a typical job of that kind; every default is stated here.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from sizer.errors import InputError

TASKS = ("chat", "summarization", "extraction", "classification", "completion")
PREFERENCES = ("balanced", "quality", "speed")
BACKENDS = ("any", "llama.cpp", "openvino")
GIB = 1 << 30

# Per task: (context, prompt tokens, decode floor tok/s, TTFT ceiling s).
# - A comfortable reading speed: people read 200-300 words a minute, about 5-7 tokens/s, so
#   streamed text (chat, summaries) needs ~8 tok/s to never make the reader wait.
# - Extraction and classification write little (a JSON object, a label): decode matters
#   less than TTFT, and the prompt (the document) dominates.
# - Completion in an editor wants the first token fast; prompts are the surrounding code.
TASK_DEFAULTS = {
    "chat": (4096, 300, 8.0, 5.0),
    "summarization": (8192, 2000, 8.0, 30.0),
    "extraction": (4096, 800, 4.0, 15.0),
    "classification": (2048, 300, 2.0, 5.0),
    "completion": (4096, 1000, 8.0, 5.0),
}


def default_headroom(total_bytes: int) -> int:
    """Memory left for the user's other programs: a quarter of RAM, at least 2 GiB and at
    most 8 GiB (a browser, an IDE and a chat app take 3-6 GiB on a typical laptop)."""
    return int(min(max(total_bytes * 0.25, 2 * GIB), 8 * GIB))


@dataclass(frozen=True)
class Workload:
    task: str = "chat"
    ctx: int | None = None
    prompt_tokens: int | None = None
    min_tps: float | None = None
    max_ttft: float | None = None
    headroom_gb: float | None = None  # GiB; None: default_headroom
    # 0-1 in the task's main metric. A model that gets fewer than one in five right is not
    # doing the job, however fast it is.
    min_quality: float = 0.2
    prefer: str = "balanced"
    backend: str = "any"

    def resolved(self) -> Workload:
        """Every None filled with the task's default (headroom needs the machine: later)."""
        ctx, prompt, tps, ttft = TASK_DEFAULTS[self.task]
        return replace(
            self,
            ctx=self.ctx or ctx,
            prompt_tokens=self.prompt_tokens or min(prompt, (self.ctx or ctx) // 2),
            min_tps=tps if self.min_tps is None else self.min_tps,
            max_ttft=ttft if self.max_ttft is None else self.max_ttft,
        )

    def headroom_bytes(self, total_bytes: int) -> int:
        if self.headroom_gb is None:
            return default_headroom(total_bytes)
        return int(self.headroom_gb * GIB)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate(workload: Workload) -> Workload:
    """Reject values that cannot describe a job, with the option's name."""
    problems = []
    if workload.task not in TASKS:
        problems.append(f"task {workload.task!r}: use one of {', '.join(TASKS)}")
    if workload.prefer not in PREFERENCES:
        problems.append(f"prefer {workload.prefer!r}: use one of {', '.join(PREFERENCES)}")
    if workload.backend not in BACKENDS:
        problems.append(f"backend {workload.backend!r}: use one of {', '.join(BACKENDS)}")
    for name in ("ctx", "prompt_tokens"):
        value = getattr(workload, name)
        if value is not None and not (isinstance(value, int) and 16 <= value <= 1 << 21):
            problems.append(f"{name} {value!r}: a token count between 16 and 2097152")
    for name in ("min_tps", "max_ttft", "headroom_gb"):
        value = getattr(workload, name)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            problems.append(f"{name} {value!r}: a number, 0 or more")
    if not isinstance(workload.min_quality, int | float) or not 0 <= workload.min_quality <= 1:
        problems.append(f"min_quality {workload.min_quality!r}: a fraction between 0 and 1")
    if workload.ctx and workload.prompt_tokens and workload.prompt_tokens >= workload.ctx:
        problems.append(f"prompt_tokens {workload.prompt_tokens} must be below ctx {workload.ctx}")
    if problems:
        raise InputError("workload: " + "; ".join(problems))
    return workload


def load_workload(path: Path) -> Workload:
    """A workload file: JSON (``.json``) or TOML (anything else), keys as the options."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"workload file {path}: cannot read it ({exc})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise InputError(f"workload file {path}: not valid {kind} ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"workload file {path}: expected an object of workload keys")
    known = {f.name for f in fields(Workload)}
    data = {key.replace("-", "_"): value for key, value in data.items()}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            f"workload file {path}: unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return validate(Workload(**data))


def merge(base: Workload, overrides: dict[str, Any]) -> Workload:
    """Command-line options (those given) over a workload file's values."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return validate(replace(base, **given))

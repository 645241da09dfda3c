"""What the model is asked: a system message and a user message around the item's document.

The document is kept apart from the words around it (``before`` / ``document`` / ``after``)
so the worker can shorten the document alone when a prompt overflows the context. The
worker renders the messages through the model's own chat template (from the GGUF) and
falls back to a plain prompt for models without one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sizer.tasks.items import TaskItem

SYSTEM = "You are a careful assistant used at work. Follow the instructions exactly."

DEFAULT_INSTRUCTIONS = {
    "classification": "Classify the text into one of: {labels}. Answer with the label only.",
    "extraction": "Extract the fields described below from the document.",
    "summarization": "Summarize the document.",
    "completion": "Complete the Python function below.",
}
# Generation budgets: enough for a correct answer, bounded so a rambling model stops.
MAX_TOKENS = {"classification": 16, "extraction": 320, "summarization": 256, "completion": 512}
TOKENS_PER_WORD = 1.3  # English prose; a summary's budget is twice its word limit in tokens
# Stop rules, the same for every model: the reply is cut where the answer is complete.
# Classification: a blank line ends the label. Extraction: the first JSON object closing
# (generate.JsonEnd). Completion: the first code block closing (generate.FenceEnd), or the
# script-level code (a __main__ block, prints, asserts) models append after a function.
STOP = {
    "classification": ("\n\n",),
    "extraction": (),
    "summarization": (),
    "completion": ("\nif __name__", "\nprint(", "\nassert "),
}
END = {"extraction": "json", "completion": "fence"}


@dataclass(frozen=True)
class Prompt:
    uid: str  # unique within one run: item id + variant
    system: str
    before: str
    document: str
    after: str
    max_tokens: int
    schema: dict[str, Any] | None = None  # set: generation constrained by a JSON grammar
    stop: tuple[str, ...] = ()
    end: str | None = None  # "json" / "fence": stop once the first object / code block closed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build(
    item: TaskItem, uid: str, *, instruction: str | None = None, constrained: bool = False
) -> Prompt:
    """The prompt for ``item``; ``instruction`` replaces its own (paraphrase runs)."""
    said = instruction or item.instruction or DEFAULT_INSTRUCTIONS[item.task]
    said = said.replace("{labels}", ", ".join(item.labels))
    before, after = _FRAMES[item.task](item, said)
    schema = item.schema if constrained else None
    budget = MAX_TOKENS[item.task]
    if item.task == "summarization" and item.max_words:
        budget = min(budget, 2 * round(item.max_words * TOKENS_PER_WORD))
    return Prompt(
        uid, SYSTEM, before, item.input, after, budget, schema, STOP[item.task], END.get(item.task)
    )


def _classification(item: TaskItem, said: str) -> tuple[str, str]:
    return f'{said}\n\nText:\n"""\n', '\n"""'


def _extraction(item: TaskItem, said: str) -> tuple[str, str]:
    assert item.schema is not None
    fields = "\n".join(
        f"- {name}: {_describe(sub)}" for name, sub in item.schema["properties"].items()
    )
    rules = (
        "Reply with one JSON object and nothing else. Use null for a field the document "
        "does not contain. Write dates as YYYY-MM-DD and numbers without currency "
        "symbols or thousands separators."
    )
    return f'{said}\n\nFields:\n{fields}\n\n{rules}\n\nDocument:\n"""\n', '\n"""'


def _describe(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, str) else " or ".join(kind)
    if schema.get("format") == "date":
        kinds += " (date, YYYY-MM-DD)"
    if "enum" in schema:
        kinds += f", one of {json.dumps(schema['enum'])}"
    if "items" in schema:
        kinds += f" of {_describe(schema['items'])}"
    note = schema.get("description")
    return f"{kinds} — {note}" if note else kinds


def _summarization(item: TaskItem, said: str) -> tuple[str, str]:
    limit = (
        f" Use at most {item.max_words} words."
        if item.max_words and str(item.max_words) not in said
        else ""
    )
    return f'{said}{limit} Reply with the summary only.\n\nDocument:\n"""\n', '\n"""'


def _completion(item: TaskItem, said: str) -> tuple[str, str]:
    how = "Reply with the complete function (signature included) in one ```python code block."
    return f"{said} {how}\n\n```python\n", "```"


_FRAMES = {
    "classification": _classification,
    "extraction": _extraction,
    "summarization": _summarization,
    "completion": _completion,
}

"""Declared rules that turn a model's reply into the answer that is scored.

One rule per task type, documented here and in the README, applied the same way to every
model so no model is helped by a special case:

- **label** (classification): markdown emphasis, quotes and a leading ``Label:``-style
  prefix are removed from the first non-empty line; it must then equal a label (ignoring
  case, and ``_`` vs space). Otherwise, if exactly one label occurs as a whole word anywhere
  in the reply, that label; otherwise the answer is outside the label set.
- **json** (extraction): the first ``{`` of the reply (inside a code fence if there is
  one) starts the JSON value; it must decode to an object. Text after it is ignored.
- **code** (completion): the first fenced code block (or the whole reply without fences).
  If it defines the entry point it is the program, after the prompt's import lines;
  otherwise it is taken as the continuation of the prompt.
- **text** (summarization): the reply with surrounding whitespace and a leading
  ``Summary:`` removed.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PREFIX = re.compile(r"^[\w ]{0,24}:\s*")
_TRIM = " \t\"'`*_.,;:!()[]<>"


def label(reply: str, labels: tuple[str, ...]) -> str | None:
    lines = [line for line in reply.splitlines() if line.strip(_TRIM)]
    if not lines:
        return None
    first = _PREFIX.sub("", lines[0].strip(_TRIM)).strip(_TRIM)
    wanted = {_label_key(lab): lab for lab in labels}
    if _label_key(first) in wanted:
        return wanted[_label_key(first)]
    text = _label_key(reply)
    found = [
        lab for key, lab in wanted.items() if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text)
    ]
    return found[0] if len(found) == 1 else None


def _label_key(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


def json_object(reply: str) -> tuple[dict[str, Any] | None, str | None]:
    """(object, None), or (None, why the reply holds no JSON object)."""
    fenced = _FENCE.search(reply)
    text = fenced.group(1) if fenced and "{" in fenced.group(1) else reply
    start = text.find("{")
    if start < 0:
        return None, "no JSON object in the reply"
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    return value, None


def code(reply: str, prompt: str, entry_point: str | None) -> str:
    fenced = _FENCE.search(reply)
    body = fenced.group(1) if fenced else reply
    if entry_point and re.search(
        rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", body, re.MULTILINE
    ):
        imports = [line for line in prompt.splitlines() if line.startswith(("import ", "from "))]
        return "\n".join([*imports, body])
    return prompt + body


def text(reply: str) -> str:
    return re.sub(r"^\s*\**summary\**\s*:\s*", "", reply.strip(), flags=re.IGNORECASE).strip()

"""What every task worker does the same way, whatever runs the model (llama.cpp or
OpenVINO): fit a prompt into the context (truncate the document's middle or refuse), and
turn a reply's token timestamps into the item's timings. No model library is imported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

TRUNCATION_MARK = "\n[… document truncated to fit the context window …]\n"
PLAIN_FORMAT = "{system}\n\n{user}\n\nAnswer:\n"


class PromptModel(Protocol):
    """A model's prompt side: the rendered prompt's tokens and the document's; how prompts
    are rendered (``format``) and how many items it answers at once (``width``)."""

    n_ctx: int
    format: str
    width: int

    def tokens(self, prompt: dict[str, Any], document: str) -> list[int]: ...

    def doc_tokens(self, text: str) -> list[int]: ...

    def text_of(self, tokens: list[int]) -> str: ...


def fit(chat: PromptModel, prompt: dict[str, Any], policy: str) -> tuple[list[int] | None, dict]:
    """The prompt's tokens, shortened to fit the context if the policy allows; with a note
    of what happened (overflow: None, "truncated" or "refused")."""
    budget = chat.n_ctx - prompt["max_tokens"]
    tokens = chat.tokens(prompt, prompt["document"])
    note: dict[str, Any] = {"overflow": None, "original_prompt_tokens": len(tokens)}
    if len(tokens) <= budget:
        return tokens, note
    if policy == "truncate":
        doc = chat.doc_tokens(prompt["document"])
        for _ in range(3):  # detokenise/retokenise can shift counts: shrink until it fits
            keep = len(doc) - (len(tokens) - budget) - 16
            if keep <= 0:
                break
            head, tail = doc[: keep * 2 // 3], doc[len(doc) - (keep - keep * 2 // 3) :]
            text = chat.text_of(head) + TRUNCATION_MARK + chat.text_of(tail)
            tokens, doc = chat.tokens(prompt, text), head + tail
            if len(tokens) <= budget:
                return tokens, {**note, "overflow": "truncated"}
    return None, {**note, "overflow": "refused"}


def refused_event(uid: str, note: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": "item",
        "uid": uid,
        **note,
        "text": "",
        "prompt_tokens": 0,
        "gen_tokens": 0,
        "finish": "refused",
    }


def reply_fields(
    note: dict[str, Any],
    started: float,
    stamps: list[float],
    prompt_tokens: int,
    alone: bool,
    finish: str,
    gen_tokens: int,
    text: str,
) -> dict[str, Any]:
    """An answered item's event fields: what fitting did, its timings, how it ended."""
    return {
        **note,
        **timing(started, stamps, prompt_tokens),
        "single_stream": alone,
        "finish": finish,
        "gen_tokens": gen_tokens,
        "text": text,
    }


def timing(started: float, stamps: list[float], prompt_tokens: int) -> dict[str, Any]:
    ttft = stamps[0] - started if stamps else None
    steps = len(stamps) - 1
    decode_s = stamps[-1] - stamps[0] if steps > 0 else 0.0
    return {
        "prompt_tokens": prompt_tokens,
        "ttft_s": ttft,
        "total_s": (stamps[-1] if stamps else time.perf_counter()) - started,
        "decode_tok_s": steps / decode_s if decode_s > 0 else None,
    }


def serve_items(
    open_chat: Callable[[dict[str, Any]], Any],
    versions: Callable[[Any], dict[str, str]],
    answer_all: Callable[[Any, dict[str, Any], Callable[[dict], None]], None],
) -> None:
    """A task worker's life: read the job, load the model ("loaded"), answer every prompt
    ("item" events), then "result"; an exception ends it with one "error" event."""
    from sizer.bench.worker import serve

    emit, job, out = serve()
    try:
        started = time.perf_counter()
        chat = open_chat(job)
        emit(
            {
                "event": "loaded",
                "load_s": time.perf_counter() - started,
                "prompt_format": chat.format,
                "versions": versions(chat),
                "parallel": chat.width,
            }
        )
        answer_all(chat, job, emit)
        emit({"event": "result"})
    except Exception as exc:
        emit({"event": "error", "kind": "failed", "message": error_line(exc)})
    out.flush()


def error_line(exc: BaseException) -> str:
    """One line for an exception: its type and its message's first line (OpenVINO's are
    multi-line C++ assertions; some exceptions have no message at all)."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0][:300] if lines else ''}"

"""The wire formats, parsed without any I/O: OpenAI-style server-sent events
(``data: {...}`` lines ending with ``data: [DONE]``) and Ollama's newline-delimited JSON
(the last object has ``"done": true`` and the server's own timings), plus what an HTTP
error status means for the user."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NS = 1e9


class WireError(ValueError):
    """The server sent something that is not its API's format."""


@dataclass(frozen=True)
class Piece:
    text: str = ""
    done: bool = False
    finish: str | None = None
    usage: dict[str, int] | None = None  # prompt_tokens, completion_tokens
    server: dict[str, float] | None = None  # the server's own timings, normalised
    model: str | None = None  # the model the server says answered
    error: str | None = None


def sse_payload(line: str) -> str | None:
    """The data of one server-sent-events line; None for blank lines, comments, event names."""
    if not line.startswith("data:"):
        return None
    return line[5:].strip()


def openai_piece(payload: str) -> Piece:
    if payload == "[DONE]":
        return Piece(done=True)
    data = _json(payload)
    if "error" in data:
        return Piece(error=error_text(data), done=True)
    choices = data.get("choices") or []
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    if text is None:
        text = choice.get("text")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return Piece(
        text=text if isinstance(text, str) else "",
        finish=choice.get("finish_reason"),
        usage=_usage(usage),
        server=llama_server_timings(data.get("timings")),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )


def ollama_piece(line: str) -> Piece:
    data = _json(line)
    if "error" in data:
        return Piece(error=error_text(data), done=True)
    message = data.get("message")
    text = message.get("content") if isinstance(message, dict) else data.get("response")
    done = bool(data.get("done"))
    counts = {
        "prompt_tokens": data.get("prompt_eval_count"),
        "completion_tokens": data.get("eval_count"),
    }
    return Piece(
        text=text if isinstance(text, str) else "",
        done=done,
        finish=data.get("done_reason") or ("stop" if done else None),
        usage=_usage(counts) if done else None,
        server=ollama_timings(data) if done else None,
        model=data.get("model") if isinstance(data.get("model"), str) else None,
    )


def ollama_timings(data: dict[str, Any]) -> dict[str, float] | None:
    """Ollama's final object: durations in nanoseconds (prompt_eval_duration, eval_duration,
    load_duration, total_duration) and token counts."""
    out = {}
    for key, name in (("prompt_eval_count", "prompt_tokens"), ("eval_count", "gen_tokens")):
        if isinstance(data.get(key), int | float):
            out[name] = float(data[key])
    for key, name in (
        ("prompt_eval_duration", "prefill_s"),
        ("eval_duration", "decode_s"),
        ("load_duration", "load_s"),
        ("total_duration", "total_s"),
    ):
        if isinstance(data.get(key), int | float):
            out[name] = data[key] / NS
    return out or None


def llama_server_timings(timings: Any) -> dict[str, float] | None:
    """llama.cpp server's ``timings`` object (prompt_n, prompt_ms, predicted_n, predicted_ms)."""
    if not isinstance(timings, dict):
        return None
    out = {}
    for key, name, scale in (
        ("prompt_n", "prompt_tokens", 1),
        ("prompt_ms", "prefill_s", 1e-3),
        ("predicted_n", "gen_tokens", 1),
        ("predicted_ms", "decode_s", 1e-3),
    ):
        if isinstance(timings.get(key), int | float):
            out[name] = timings[key] * scale
    return out or None


def server_rates(server: dict[str, float] | None) -> dict[str, float]:
    """Prefill and decode tok/s as the server itself timed them."""
    if not server:
        return {}
    out = {}
    if server.get("prefill_s") and server.get("prompt_tokens"):
        out["prefill_tok_s"] = server["prompt_tokens"] / server["prefill_s"]
    if server.get("decode_s") and server.get("gen_tokens"):
        out["decode_tok_s"] = server["gen_tokens"] / server["decode_s"]
    return out


def _usage(usage: dict[str, Any] | None) -> dict[str, int] | None:
    if not usage:
        return None
    out = {
        k: int(usage[k])
        for k in ("prompt_tokens", "completion_tokens")
        if isinstance(usage.get(k), int | float)
    }
    return out or None


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise WireError(f"malformed stream chunk {text[:80]!r}") from None
    if not isinstance(data, dict):
        raise WireError(f"malformed stream chunk {text[:80]!r}: not a JSON object")
    return data


def error_text(data: Any) -> str:
    """The message in an error body, on one line: {"error": "…"} (Ollama), {"error":
    {"message": …}} (OpenAI, llama.cpp), {"detail": …} (FastAPI servers)."""
    return " ".join(_error_text(data).split())[:300]


def _error_text(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("error", "detail", "message"):
            value = data.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict):
                return _error_text(value)
            if isinstance(value, list) and value:
                return "; ".join(
                    str(v.get("msg", v)) if isinstance(v, dict) else str(v) for v in value[:3]
                )
    return str(data)[:200]


def http_problem(status: int, body: str, key_env: str) -> str:
    """One line for an HTTP error status, with the server's own message."""
    try:
        said = error_text(json.loads(body))
    except ValueError:
        said = " ".join(body.split())[:200]
    said = f": {said}" if said else ""
    if status in (401, 403):
        return (
            f"HTTP {status}, the server refused the credentials{said} (set ${key_env} to "
            "its API key)"
        )
    if status == 404:
        return f"HTTP 404, not found{said} (wrong model name, or not this API's URL?)"
    if status == 429:
        return f"HTTP 429, rate limited{said}"
    if status >= 500:
        return f"HTTP {status}, server error{said}"
    return f"HTTP {status}{said}"

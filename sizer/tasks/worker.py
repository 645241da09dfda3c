"""The child process that answers task prompts: ``python -m sizer.tasks.worker``.

Reads one job as a JSON line on stdin (model, threads, context, overflow policy, prompts)
and writes one "item" event per prompt on the private protocol stream that the benchmark
worker also uses, so a crash in llama.cpp costs the item in flight, not the suite. Every
prompt starts from an empty KV cache (no prefix reuse across items), so an item's TTFT does
not depend on the item before it. Sampling is greedy (temperature 0).
"""

from __future__ import annotations

import json
import time
from importlib import metadata
from typing import Any

from sizer.bench.worker import serve

TRUNCATION_MARK = "\n[… document truncated to fit the context window …]\n"
PLAIN_FORMAT = "{system}\n\n{user}\n\nAnswer:\n"


class Chat:
    """The model plus its prompt format: the GGUF's chat template, else a plain prompt."""

    def __init__(self, job: dict[str, Any]) -> None:
        import llama_cpp

        self.llama_cpp = llama_cpp
        self.llm = llama_cpp.Llama(
            job["model_path"],
            n_ctx=job["n_ctx"],
            n_batch=512,
            n_ubatch=512,
            n_threads=job["threads"],
            n_threads_batch=job["threads"],
            n_gpu_layers=0,
            seed=0,
            verbose=True,
        )
        self.n_ctx = job["n_ctx"]
        self.formatter = self._chat_formatter()
        self.format = "chat_template" if self.formatter else "plain"

    def _chat_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        model, eos, bos = self.llm._model, self.llm.token_eos(), self.llm.token_bos()

        def text(token: int) -> str:
            return model.token_get_text(token) if token >= 0 else ""

        formatter = Jinja2ChatFormatter(
            template=template, eos_token=text(eos), bos_token=text(bos), stop_token_ids=[eos]
        )
        try:
            formatter(
                messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
            )
        except Exception:
            return None  # a template llama-cpp-python cannot render: plain prompt instead
        return formatter

    def tokens(self, prompt: dict[str, Any], document: str) -> list[int]:
        user = prompt["before"] + document + prompt["after"]
        if self.formatter is None:
            text = PLAIN_FORMAT.format(system=prompt["system"], user=user)
            return self.llm.tokenize(text.encode(), add_bos=True, special=False)
        rendered = self.formatter(
            messages=[
                {"role": "system", "content": prompt["system"]},
                {"role": "user", "content": user},
            ]
        )
        return self.llm.tokenize(
            rendered.prompt.encode(), add_bos=not rendered.added_special, special=True
        )


def fit(chat: Chat, prompt: dict[str, Any], policy: str) -> tuple[list[int] | None, dict]:
    """The prompt's tokens, shortened to fit the context if the policy allows; with a note
    of what happened (overflow: None, "truncated" or "refused")."""
    budget = chat.n_ctx - prompt["max_tokens"]
    tokens = chat.tokens(prompt, prompt["document"])
    note: dict[str, Any] = {"overflow": None, "original_prompt_tokens": len(tokens)}
    if len(tokens) <= budget:
        return tokens, note
    if policy == "truncate":
        doc = chat.llm.tokenize(prompt["document"].encode(), add_bos=False, special=False)
        for _ in range(3):  # detokenise/retokenise can shift counts: shrink until it fits
            keep = len(doc) - (len(tokens) - budget) - 16
            if keep <= 0:
                break
            head, tail = doc[: keep * 2 // 3], doc[len(doc) - (keep - keep * 2 // 3) :]
            text = (
                chat.llm.detokenize(head).decode(errors="ignore")
                + TRUNCATION_MARK
                + chat.llm.detokenize(tail).decode(errors="ignore")
            )
            tokens, doc = chat.tokens(prompt, text), head + tail
            if len(tokens) <= budget:
                return tokens, {**note, "overflow": "truncated"}
    return None, {**note, "overflow": "refused"}


def answer(chat: Chat, prompt: dict[str, Any], policy: str) -> dict[str, Any]:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from sizer.tasks.generate import greedy

    tokens, note = fit(chat, prompt, policy)
    if tokens is None:
        return {**note, "text": "", "prompt_tokens": 0, "gen_tokens": 0, "finish": "refused"}
    gbnf = None
    if prompt["schema"] is not None:
        gbnf = json_schema_to_gbnf(json.dumps(prompt["schema"]))
    started = time.perf_counter()
    out = greedy(chat.llm, tokens, prompt["max_tokens"], gbnf, tuple(prompt["stop"]), prompt["end"])
    return {
        **note,
        **_timing(started, out.stamps, len(tokens)),
        "finish": out.finish,
        "gen_tokens": len(out.tokens),
        "text": out.text,
    }


def _timing(started: float, stamps: list[float], prompt_tokens: int) -> dict[str, Any]:
    ttft = stamps[0] - started if stamps else None
    steps = len(stamps) - 1
    decode_s = stamps[-1] - stamps[0] if steps > 0 else 0.0
    return {
        "prompt_tokens": prompt_tokens,
        "ttft_s": ttft,
        "total_s": (stamps[-1] if stamps else time.perf_counter()) - started,
        "decode_tok_s": steps / decode_s if decode_s > 0 else None,
    }


def main() -> None:
    emit, job, out = serve()
    try:
        started = time.perf_counter()
        chat = Chat(job)
        emit(
            {
                "event": "loaded",
                "load_s": time.perf_counter() - started,
                "prompt_format": chat.format,
                "versions": {"llama-cpp-python": metadata.version("llama-cpp-python")},
            }
        )
        for prompt in job["prompts"]:
            try:
                reply = answer(chat, prompt, job["overflow"])
            except Exception as exc:  # this item failed; the next one starts from a fresh cache
                reply = {"error": f"{type(exc).__name__}: {exc}", "finish": "error"}
            emit({"event": "item", "uid": prompt["uid"], **reply})
        emit({"event": "result"})
    except Exception as exc:
        emit({"event": "error", "kind": "failed", "message": f"{type(exc).__name__}: {exc}"})
    out.flush()


if __name__ == "__main__":
    main()

"""The child process that answers task prompts: ``python -m sizer.tasks.worker``.

Reads one job as a JSON line on stdin (model, threads, context, overflow policy, prompts,
batch width) and writes one "item" event per prompt on the private protocol stream that the
benchmark worker also uses, so a crash in llama.cpp costs the items in flight, not the
suite. Every item starts from an empty KV stream of its own (no prefix reuse across items),
so an answer does not depend on the item before it. Sampling is greedy (temperature 0).

Items run several at a time (``sizer.tasks.batch``), up to the job's ``parallel``; the first
``alone`` of them run one at a time, and only their timings are single-user latency.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any

from sizer.tasks.batch import Scheduler, Work, multi_sequence_context
from sizer.tasks.generate import Generation
from sizer.tasks.prompting import PLAIN_FORMAT, fit, refused_event, reply_fields, serve_items


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
        self.n_ctx, self.n_batch = job["n_ctx"], 512
        self.formatter = self._chat_formatter()
        self.format = "chat_template" if self.formatter else "plain"
        self.width = max(1, int(job.get("parallel", 1)))
        self.ctx = (
            multi_sequence_context(self.llm, self.n_ctx, self.width)
            if self.width > 1
            else self.llm._ctx.ctx
        )

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

    def doc_tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode(), add_bos=False, special=False)

    def text_of(self, tokens: list[int]) -> str:
        return self.llm.detokenize(tokens).decode(errors="ignore")


def work_for(chat: Chat, prompt: dict[str, Any], policy: str, alone: bool) -> tuple[Work, dict]:
    """The item as the scheduler runs it (tokens None: refused for overflow), and the note of
    what fitting it into the context did."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    tokens, note = fit(chat, prompt, policy)
    gbnf = None
    if prompt["schema"] is not None and tokens is not None:
        gbnf = json_schema_to_gbnf(json.dumps(prompt["schema"]))
    work = Work(
        uid=prompt["uid"],
        tokens=tokens or [],
        max_tokens=prompt["max_tokens"],
        gbnf=gbnf,
        stop=tuple(prompt["stop"]),
        end=prompt["end"],
        alone=alone,
    )
    return work, note


def reply_event(work: Work, out: Generation, started: float, note: dict) -> dict[str, Any]:
    return reply_fields(
        note,
        started,
        out.stamps,
        len(work.tokens),
        work.alone,
        out.finish,
        len(out.tokens),
        out.text,
    )


def answer_all(chat: Chat, job: dict[str, Any], emit: Callable[[dict], None]) -> None:
    """Every prompt of the job through one scheduler; one "item" event per prompt."""
    notes: dict[str, dict] = {}
    alone_first = job.get("alone", 0)

    def works() -> Iterator[Work]:
        for i, prompt in enumerate(job["prompts"]):
            try:
                alone = i < alone_first or chat.width == 1
                work, note = work_for(chat, prompt, job["overflow"], alone)
            except Exception as exc:  # this item failed; the next one goes on
                error = f"{type(exc).__name__}: {exc}"
                emit({"event": "item", "uid": prompt["uid"], "error": error, "finish": "error"})
                continue
            if note["overflow"] == "refused":
                emit(refused_event(work.uid, note))
                continue
            notes[work.uid] = note
            yield work

    def done(work: Work, out: Generation | None, started: float, error: str | None) -> None:
        if out is None:
            emit({"event": "item", "uid": work.uid, "error": error, "finish": "error"})
        else:
            emit(
                {
                    "event": "item",
                    "uid": work.uid,
                    **reply_event(work, out, started, notes[work.uid]),
                }
            )

    def admitted(work: Work) -> None:
        emit({"event": "admitted", "uid": work.uid})

    Scheduler(chat.llm, chat.ctx, chat.width, chat.n_batch).run(works(), done, admitted)


def main() -> None:
    serve_items(
        Chat,
        lambda chat: {"llama-cpp-python": metadata.version("llama-cpp-python")},
        answer_all,
    )


if __name__ == "__main__":
    main()

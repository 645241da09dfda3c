"""Task suites through an endpoint: the same passes, prompts, scoring and records as local
task runs (``sizer.tasks.run``), answered by the server's chat API with greedy sampling.

Items go to the server several at a time, up to ``--parallel`` (default one at a time; "auto":
the parallel slots the server reports, else one), after the first ``latency_sample`` items of
each pass, which go alone and alone make the pass's single-user latency figures, as locally.

What differs, by necessity: the server applies the model's chat template; a grammar-
constrained extraction pass sends the item's JSON schema as the API's structured-output
option (OpenAI ``response_format``, Ollama ``format``); a prompt longer than the server's
context comes back as the server's error for that item (sizer cannot shorten it in the
server's tokens), which the behaviour suite's overflow items then record.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from sizer.bench import results
from sizer.endpoints.client import Ask, Exchange, exchange, new_client
from sizer.endpoints.records import base_record
from sizer.endpoints.server import Server, parallel_slots
from sizer.tasks.prompts import Prompt
from sizer.tasks.run import Batching, Pass, TaskProgress, TaskRequest, finish_pass, passes
from sizer.tasks.stops import cut_at_stop

STALL_S = 120.0


@dataclass
class EndpointPass:
    """The replies of one pass (the shape ``finish_pass`` scores)."""

    p: Pass
    batching: Batching
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    loaded: dict[str, Any] = field(default_factory=dict)
    peak_rss: int | None = None
    restarts: int = 0

    @property
    def width(self) -> int:
        """Items in flight at most (the server's batch; ``finish_pass`` records it)."""
        return self.batching.most


def run_endpoint_tasks(
    server: Server, request: TaskRequest, progress: TaskProgress | None = None
) -> list[dict[str, Any]]:
    """Every pass of ``request`` through the endpoint; each record appended to
    ``request.out`` as soon as it is scored (Ctrl-C: the pass so far, "interrupted")."""
    say = progress or (lambda label, event: None)
    done = results.finished_keys(request.out) if request.resume else set()
    kept = []
    width = request.parallel
    if width == "auto":
        width = asyncio.run(parallel_slots(server.endpoint)) or 1
    batching = Batching(int(width), int(width))
    for p in passes(request):
        config = {
            "suite": p.suite.identity(),
            "variant": p.variant,
            "quick": request.quick,
            "item_timeout_s": request.item_timeout_s,
        }
        rec = base_record("tasks", server, config)
        rec["suite"] = {
            **p.suite.identity(),
            "task": p.suite.task,
            "variant": p.variant,
            "n": len(p.pairs),
        }
        if rec["key"] in done:
            say(p.label, {"event": "skipped"})
            continue
        say(p.label, {"event": "pass", "n": len(p.pairs)})
        run, started = EndpointPass(p, batching), time.monotonic()
        try:
            asyncio.run(_answer_all(server, run, request, say))
        except KeyboardInterrupt:
            results.append(request.out, finish_pass(rec, p, run, "interrupted", started))
            raise
        errors = sum(1 for r in run.replies.values() if r.get("error"))
        status = "failed" if errors == len(p.pairs) else ("partial" if errors else "ok")
        finished = finish_pass(rec, p, run, status, started)
        finished["model"]["reported"] = run.loaded.get("model")
        if errors:
            first = next(r["error"] for r in run.replies.values() if r.get("error"))
            finished["error"] = f"{errors} of {len(p.pairs)} item(s) failed: {first}"
        results.append(request.out, finished)
        kept.append(finished)
        say(p.label, {"event": "done", "record": finished})
    return kept


async def _answer_all(server: Server, run: EndpointPass, request: TaskRequest, say) -> None:
    """The pass's first ``latency_sample`` items one at a time, then the rest up to the
    batch width at once."""
    ep, style = server.endpoint, ["json_schema"]
    prompts = [prompt for _, prompt in run.p.pairs]
    sample = min(request.latency_sample, len(prompts))
    async with new_client(ep, STALL_S, connections=max(16, run.width)) as client:

        async def one(prompt: Prompt, alone: bool) -> None:
            ask = _ask(prompt, style[0])
            ex = await exchange(client, ep, ask, request.item_timeout_s)
            if ask.schema is not None and style[0] == "json_schema" and _schema_refused(ex):
                style[0] = "json_object"  # llama-cpp-python's structured-output form; keep it
                ex = await exchange(client, ep, _ask(prompt, style[0]), request.item_timeout_s)
            answer = reply(ex, prompt.stop, prompt.end)
            run.replies[prompt.uid] = {"uid": prompt.uid, **answer, "single_stream": alone}
            if not run.loaded and ex.ok:
                run.loaded = {"prompt_format": "server chat template", "model": ex.model}
            done = {"done": len(run.replies), "n": len(run.p.pairs)}
            say(run.p.label, {"event": "item", "uid": prompt.uid, **done})

        for prompt in prompts[:sample]:
            await one(prompt, True)
        gate = asyncio.Semaphore(run.width)

        async def gated(prompt: Prompt) -> None:
            async with gate:
                await one(prompt, run.width == 1)

        await asyncio.gather(*(gated(prompt) for prompt in prompts[sample:]))


def _schema_refused(ex: Exchange) -> bool:
    """An OpenAI-style server that does not take ``response_format: json_schema``
    (llama-cpp-python answers 500 with a validation error naming the field)."""
    return bool(ex.status and ex.status >= 400 and "response_format" in (ex.error or ""))


def _ask(prompt: Prompt, style: str) -> Ask:
    user = prompt.before + prompt.document + prompt.after
    return Ask(
        messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": user}],
        max_tokens=prompt.max_tokens,
        stop=prompt.stop,
        schema=prompt.schema,
        schema_style=style,
        end=prompt.end,
    )


def reply(ex: Exchange, stop: tuple[str, ...] = (), end: str | None = None) -> dict[str, Any]:
    """An item's reply in the local worker's shape, cut where the local run cuts it."""
    if not ex.ok:
        return {"error": ex.error, "finish": "error"}
    ttft = ex.ttft_s
    total = (ex.stamps[-1] - ex.sent_at) if ex.stamps else None
    gaps = ex.itl_s()
    return {
        "text": cut_at_stop(ex.text, stop, end == "fence"),
        "ttft_s": ttft,
        "total_s": total,
        "decode_tok_s": len(gaps) / sum(gaps) if gaps and sum(gaps) > 0 else None,
        "prompt_tokens": ex.usage.get("prompt_tokens"),
        "gen_tokens": ex.gen_tokens,
        "finish": "length" if ex.finish == "length" else "stop",
    }

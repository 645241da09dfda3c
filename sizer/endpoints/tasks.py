"""Task suites through an endpoint: the same passes, prompts, scoring and records as local
task runs (``sizer.tasks.run``), answered by the server's chat API with greedy sampling.

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
from sizer.endpoints.server import Server
from sizer.tasks.prompts import Prompt
from sizer.tasks.run import Pass, TaskProgress, TaskRequest, finish_pass, passes
from sizer.tasks.stops import cut_at_stop

STALL_S = 120.0


@dataclass
class EndpointPass:
    """The replies of one pass (the shape ``finish_pass`` scores)."""

    p: Pass
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    loaded: dict[str, Any] = field(default_factory=dict)
    peak_rss: int | None = None
    restarts: int = 0


def run_endpoint_tasks(
    server: Server, request: TaskRequest, progress: TaskProgress | None = None
) -> list[dict[str, Any]]:
    """Every pass of ``request`` through the endpoint; each record appended to
    ``request.out`` as soon as it is scored (Ctrl-C: the pass so far, "interrupted")."""
    say = progress or (lambda label, event: None)
    done = results.finished_keys(request.out) if request.resume else set()
    kept = []
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
        run, started = EndpointPass(p), time.monotonic()
        try:
            asyncio.run(_answer_all(server, run, request.item_timeout_s, say))
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


async def _answer_all(server: Server, run: EndpointPass, item_s: float, say) -> None:
    style = "json_schema"
    ep = server.endpoint
    async with new_client(ep, STALL_S) as client:
        for _, prompt in run.p.pairs:
            ask = _ask(prompt, style)
            ex = await exchange(client, ep, ask, item_s)
            if ask.schema is not None and style == "json_schema" and _schema_refused(ex):
                style = "json_object"  # llama-cpp-python's structured-output form; keep it
                ex = await exchange(client, ep, _ask(prompt, style), item_s)
            run.replies[prompt.uid] = {"uid": prompt.uid, **reply(ex, prompt.stop, prompt.end)}
            if not run.loaded and ex.ok:
                run.loaded = {"prompt_format": "server chat template", "model": ex.model}
            say(
                run.p.label,
                {
                    "event": "item",
                    "uid": prompt.uid,
                    "done": len(run.replies),
                    "n": len(run.p.pairs),
                },
            )


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

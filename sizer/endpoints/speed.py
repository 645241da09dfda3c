"""Speed through an endpoint: repetitions of "send a prompt of about N tokens, stream M
tokens back", timed on the client (TTFT, prefill and decode tok/s, inter-token latency),
with the server's own timings beside them where it reports them (Ollama's
``prompt_eval_duration`` / ``eval_duration``, llama.cpp server's ``timings``).

Every repetition starts with a different few words, so no server can answer it from a
cached prefix of the one before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sizer.backends.base import PROMPT_TEXT, RepSample
from sizer.bench import record
from sizer.bench.stats import summarize
from sizer.endpoints.client import Ask, Exchange, exchange, new_client, prompt_tokens
from sizer.endpoints.records import base_record
from sizer.endpoints.server import Server
from sizer.endpoints.wire import server_rates

CHARS_PER_TOKEN = 4.0  # first guess for English prose; corrected after the warm-up


@dataclass(frozen=True)
class SpeedPlan:
    prompt_tokens: int = 512
    gen_tokens: int = 128
    reps: int = 5
    stall_s: float = 60.0  # no byte for this long: the server stalled
    request_s: float = 600.0  # one request's whole time

    def config(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "gen_tokens": self.gen_tokens,
            "reps": self.reps,
            "sampling": "greedy (temperature 0)",
        }


def prompt_of(chars: int) -> str:
    """Prose of about ``chars`` characters, opened by a nonce (no prefix-cache reuse). The
    nonce is six decimal digits: tokenizers split digits by count (one per digit, or in
    threes), so every nonce costs the same tokens and the prompt sized in the server's
    tokens stays that size; a hex nonce varied by up to three tokens between requests."""
    body = (PROMPT_TEXT * (chars // len(PROMPT_TEXT) + 1))[: max(chars, 1)]
    return f"Note {100_000 + secrets.randbelow(900_000)}. {body}"


async def measure(
    server: Server, plan: SpeedPlan, progress=None, exchanges: list[Exchange] | None = None
) -> dict[str, Any]:
    """The record of one speed run (status ok, partial or failed; never raises for a
    server fault). ``exchanges`` collects the repetitions as they finish (the caller keeps
    them if the run is interrupted: ``interrupted``)."""
    ep = server.endpoint
    rec = base_record("endpoint-speed", server, plan.config())
    exchanges = [] if exchanges is None else exchanges
    chars = plan.prompt_tokens * CHARS_PER_TOKEN
    async with new_client(ep, plan.stall_s) as client:
        warm = await exchange(
            client, ep, Ask(prompt=prompt_of(int(chars)), max_tokens=4), plan.request_s
        )
        counted = None
        if warm.ok:
            chars, counted = await sized(client, ep, plan.prompt_tokens, plan.request_s)
        else:
            exchanges.append(warm)
        for rep in range(plan.reps):
            if len(exchanges) >= 2 and not any(e.ok for e in exchanges):
                break  # the server fails every request: no point in going on
            ask = Ask(prompt=prompt_of(int(chars)), max_tokens=plan.gen_tokens)
            exchanges.append(await exchange(client, ep, ask, plan.request_s))
            if progress:
                progress(rep + 1, plan.reps, exchanges[-1])
    return finish(rec, exchanges, plan, counted)


async def sized(client, ep, target_tokens: int, deadline_s: float) -> tuple[float, int | None]:
    """Characters of prose that make ``target_tokens`` in the server's own tokenizer, and
    the count it gives for them (None: it reports no usage; the first guess stands)."""
    chars = target_tokens * CHARS_PER_TOKEN
    counted = await prompt_tokens(client, ep, prompt_of(int(chars)), deadline_s)
    if counted:
        chars *= target_tokens / counted
        counted = await prompt_tokens(client, ep, prompt_of(int(chars)), deadline_s)
    return chars, counted


def interrupted(server: Server, plan: SpeedPlan, exchanges: list[Exchange]) -> dict[str, Any]:
    """What a Ctrl-C'd speed run measured before it stopped."""
    rec = finish(base_record("endpoint-speed", server, plan.config()), exchanges, plan)
    rec.update(status="interrupted", error="interrupted (Ctrl-C); the repetitions before it kept")
    return rec


def finish(
    rec: dict[str, Any], exchanges: list[Exchange], plan: SpeedPlan, counted: int | None = None
) -> dict[str, Any]:
    ok = [e for e in exchanges if e.ok and e.stamps]
    errors = [e.error or "no text streamed" for e in exchanges if not (e.ok and e.stamps)]
    reps = [sample(e, counted or plan.prompt_tokens) for e in ok]
    rec["finished_at"] = record.now_iso()
    rec["model"]["reported"] = next((e.model for e in ok if e.model), None)
    rec["errors"] = errors
    if not reps:
        rec.update(status="failed", error=errors[0] if errors else "no repetition ran")
        return rec
    samples = record.rep_samples(reps)
    rec.update(
        status="partial" if errors else "ok",
        samples=samples,
        metrics=record.metrics(samples, None, None, None),
        internal=record.internal_summary(reps),
        server_metrics=_server_metrics(ok),
        prompt_tokens_sent=summarize([float(r.prefill_tokens) for r in reps]),
        gen_tokens=summarize([float(e.gen_tokens) for e in ok]),
    )
    if errors:
        rec["error"] = f"{len(errors)} of {len(exchanges)} request(s) failed: {errors[0]}"
    return rec


def sample(e: Exchange, prompt_tokens_sent: int) -> RepSample:
    """A repetition as the local benchmark records one; the server's own figures go in
    ``internal``. Prompt tokens: the server's usage of this request, else its count of the
    same-length prompt before the repetitions."""
    internal = {f"server_{k}": v for k, v in server_rates(e.server).items()}
    if e.server and e.server.get("load_s") is not None:
        internal["server_load_s"] = e.server["load_s"]
    prompt = e.usage.get("prompt_tokens") or prompt_tokens_sent
    return RepSample(
        prefill_tokens=prompt, ttft_s=e.ttft_s or 0.0, itl_s=e.itl_s(), internal=internal
    )


def _server_metrics(ok: list[Exchange]) -> dict[str, Any]:
    rates = [server_rates(e.server) for e in ok]
    names = [n for n in ("prefill_tok_s", "decode_tok_s") if any(n in r for r in rates)]
    return {n: summarize([r[n] for r in rates if n in r]) for n in names}

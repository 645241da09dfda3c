"""Concurrency sweep: at each level N, N simulated users each send a few streamed requests
one after another, all users at once — bounded in requests and in time, so the sweep stops
by itself. Per level: TTFT and inter-token latency percentiles over requests, per-request
and aggregate tok/s, errors with their causes.

"How many users does this server hold?" — the largest N at which it and every smaller level
had no errors, at least 90 % of requests decoded at ≥ the floor each (the 10th percentile
of per-request decode tok/s) and at least 90 % of first tokens came within the TTFT limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sizer.bench import record
from sizer.bench.stats import latency_summary, percentile
from sizer.endpoints.client import Ask, Exchange, exchange, new_client
from sizer.endpoints.records import base_record
from sizer.endpoints.server import Server
from sizer.endpoints.speed import CHARS_PER_TOKEN, prompt_of, sized

SHARE_HELD = 90  # percent of requests that must meet the floors


@dataclass(frozen=True)
class SweepPlan:
    levels: tuple[int, ...] = (1, 2, 4, 8)
    requests_per_user: int = 2
    prompt_tokens: int = 256
    gen_tokens: int = 64
    min_tps: float = 8.0
    max_ttft: float = 5.0
    stall_s: float = 60.0
    request_s: float = 300.0
    level_s: float = 600.0  # a level stops sending new requests after this long

    def config(self, users: int) -> dict[str, Any]:
        return {
            "users": users,
            "requests_per_user": self.requests_per_user,
            "prompt_tokens": self.prompt_tokens,
            "gen_tokens": self.gen_tokens,
            "min_tps": self.min_tps,
            "max_ttft": self.max_ttft,
            "sampling": "greedy (temperature 0)",
        }


@dataclass
class Level:
    users: int
    exchanges: list[Exchange] = field(default_factory=list)
    not_sent: int = 0  # requests the level's time limit cut
    wall_s: float = 0.0

    def summary(self, plan: SweepPlan) -> dict[str, Any]:
        ok = [e for e in self.exchanges if e.ok and e.stamps]
        errors = Counter(
            e.error or "no text streamed" for e in self.exchanges if not (e.ok and e.stamps)
        )
        ttft = [e.ttft_s for e in ok if e.ttft_s is not None]
        itl = [gap for e in ok for gap in e.itl_s()]
        decode = [_decode_rate(e) for e in ok if _decode_rate(e) is not None]
        tokens = sum(e.gen_tokens for e in ok)
        out = {
            "users": self.users,
            "requests": len(self.exchanges) + self.not_sent,
            "ok": len(ok),
            "errors": sum(errors.values()),
            "not_sent": self.not_sent,
            "error_causes": dict(errors.most_common(5)),
            "wall_s": self.wall_s,
            "ttft_s": _percentiles(ttft),
            "itl_s": latency_summary(itl),
            "decode_tok_s_per_request": _percentiles(decode),
            "aggregate_tok_s": tokens / self.wall_s if self.wall_s > 0 else None,
        }
        out["holds"] = holds(out, plan)
        return out


def _decode_rate(e: Exchange) -> float | None:
    gaps = e.itl_s()
    return len(gaps) / sum(gaps) if gaps and sum(gaps) > 0 else None


def _percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {"n": len(values), **{f"p{q}": percentile(values, q) for q in (10, 50, 90, 99)}}


def holds(summary: dict[str, Any], plan: SweepPlan) -> bool:
    decode, ttft = summary["decode_tok_s_per_request"], summary["ttft_s"]
    low = 100 - SHARE_HELD
    return (
        summary["errors"] == 0
        and summary["not_sent"] == 0
        and summary["ok"] > 0
        and decode.get(f"p{low}", 0.0) >= plan.min_tps
        and ttft.get(f"p{SHARE_HELD}", float("inf")) <= plan.max_ttft
    )


def users_held(summaries: list[dict[str, Any]]) -> int:
    """The largest level that held, with every smaller level holding too (0: not even one)."""
    held = 0
    for s in sorted(summaries, key=lambda s: s["users"]):
        if not s["holds"]:
            break
        held = s["users"]
    return held


async def run_level(
    server: Server,
    users: int,
    plan: SweepPlan,
    level: Level | None = None,
    chars: int | None = None,
) -> Level:
    ep = server.endpoint
    level = level or Level(users)
    chars = chars or int(plan.prompt_tokens * CHARS_PER_TOKEN)
    started = time.perf_counter()
    cutoff = started + plan.level_s

    async def user(client) -> None:
        for _ in range(plan.requests_per_user):
            left = cutoff - time.perf_counter()
            if left <= 0:
                level.not_sent += 1
                continue
            ask = Ask(prompt=prompt_of(chars), max_tokens=plan.gen_tokens)
            level.exchanges.append(await exchange(client, ep, ask, min(plan.request_s, left)))

    async with new_client(ep, plan.stall_s, connections=max(users, 1)) as client:
        await asyncio.gather(*(user(client) for _ in range(users)))
    level.wall_s = time.perf_counter() - started
    return level


async def sweep(
    server: Server, plan: SweepPlan, on_level=None, current: list[Level] | None = None
) -> list[dict[str, Any]]:
    """One record per level, in order (each handed to ``on_level`` as soon as it is done,
    so a sweep cut short keeps the levels before). ``current`` holds the level in flight
    (for ``interrupted_level`` after a Ctrl-C)."""
    out = []
    async with new_client(server.endpoint, plan.stall_s) as client:  # warm up, size the prompt
        await exchange(
            client, server.endpoint, Ask(prompt=prompt_of(64), max_tokens=2), plan.request_s
        )
        chars, _ = await sized(client, server.endpoint, plan.prompt_tokens, plan.request_s)
    for users in plan.levels:
        level = Level(users)
        if current is not None:
            current[:] = [level]
        await run_level(server, users, plan, level, int(chars))
        out.append(level_record(server, plan, level))
        if on_level:
            on_level(out[-1])
        if current is not None:
            current.clear()
    return out


def interrupted_level(server: Server, plan: SweepPlan, level: Level) -> dict[str, Any]:
    """The requests a Ctrl-C'd level finished, as that level's record ("interrupted")."""
    rec = level_record(server, plan, level)
    rec.update(status="interrupted", error="interrupted (Ctrl-C) during this level")
    return rec


def level_record(server: Server, plan: SweepPlan, level: Level) -> dict[str, Any]:
    rec = base_record("endpoint-concurrency", server, plan.config(level.users))
    summary = level.summary(plan)
    status = (
        "ok"
        if summary["errors"] == 0 and summary["ok"]
        else ("partial" if summary["ok"] else "failed")
    )
    rec.update(finished_at=record.now_iso(), level=summary, status=status)
    if summary["errors"]:
        cause = next(iter(summary["error_causes"]))
        rec["error"] = f"{summary['errors']} of {summary['requests']} request(s) failed: {cause}"
    rec["model"]["reported"] = next((e.model for e in level.exchanges if e.model), None)
    return rec

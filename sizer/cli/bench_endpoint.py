"""``sizer bench --endpoint URL``: speed, task suites or a concurrency sweep through a
running server; every finished record appended to --out as it completes."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import typer

from sizer.bench import results
from sizer.endpoints.server import EndpointError, Server, connect
from sizer.endpoints.target import parse_endpoint


@dataclass(frozen=True)
class EndpointArgs:
    url: str
    model: str | None
    api: str
    allow_remote: bool
    key_env: str
    out: Path
    as_json: bool
    stall_s: float


def run_endpoint(args: EndpointArgs, *, speed=None, sweep=None, tasks=None) -> None:
    """One of: a SpeedPlan, a SweepPlan, or a TaskRequest (its models list unused)."""
    import json

    from sizer.endpoints.records import unreachable

    ep = parse_endpoint(args.url, args.model, args.api, args.allow_remote, args.key_env)
    kind = "tasks" if tasks is not None else ("endpoint-concurrency" if sweep else "endpoint-speed")
    try:
        server = asyncio.run(connect(ep))
    except EndpointError as exc:
        results.append(args.out, unreachable(kind, ep.base_url, ep.model, str(exc), {}))
        raise EndpointError(f"{exc} (recorded in {args.out})") from None
    if ep.local:  # the server runs here: its records carry this machine's probe
        from sizer.probe import probe

        server = replace(server, hardware=probe().to_dict())
    else:
        typer.echo(f"note: prompts are sent to {ep.base_url}, which is not this machine", err=True)
    records = _run(server, args, speed, sweep, tasks)
    if args.as_json:
        typer.echo(json.dumps(records, indent=2))
    else:
        typer.echo(render(server, records, sweep))
        typer.echo(f"\n{len(records)} record(s) appended to {args.out}")
    if records and all(r.get("status") == "failed" for r in records):
        raise EndpointError(f"nothing was measured: {records[0].get('error')}")


def _run(server: Server, args: EndpointArgs, speed, sweep, tasks) -> list[dict[str, Any]]:
    if tasks is not None:
        from sizer.cli.render_tasks import TaskProgress
        from sizer.endpoints.tasks import run_endpoint_tasks

        progress = None if args.as_json else TaskProgress(sys.stderr)
        return run_endpoint_tasks(server, tasks, progress)
    if sweep is not None:
        from sizer.endpoints.sweep import sweep as run_sweep

        def keep(rec: dict[str, Any]) -> None:
            results.append(args.out, rec)
            if not args.as_json:
                level = rec["level"]
                typer.echo(
                    f"{level['users']} user(s): {level['ok']}/{level['requests']} "
                    f"requests ok in {level['wall_s']:.0f} s",
                    err=True,
                )

        current: list = []
        try:
            return asyncio.run(run_sweep(server, sweep, keep, current))
        except KeyboardInterrupt:
            if current and current[0].exchanges:
                from sizer.endpoints.sweep import interrupted_level

                keep(interrupted_level(server, sweep, current[0]))
            raise
    from sizer.endpoints.speed import interrupted, measure

    def step(i: int, n: int, ex) -> None:
        if not args.as_json:
            what = "ok" if ex.ok else f"failed: {ex.error}"
            typer.echo(f"repetition {i}/{n}: {what}", err=True)

    done: list = []
    try:
        rec = asyncio.run(measure(server, speed, step, done))
    except KeyboardInterrupt:
        if done:
            results.append(args.out, interrupted(server, speed, done))
        raise
    results.append(args.out, rec)
    return [rec]


def render(server: Server, records: list[dict[str, Any]], sweep=None) -> str:
    ep = server.endpoint
    where = "this machine" if ep.local else "NOT this machine: prompts left it"
    head = (
        f"Endpoint {ep.base_url} ({ep.api} API, {server.software or 'server unnamed'}; "
        f"{where}), model {ep.model}"
    )
    kinds = {r.get("kind") for r in records}
    if "tasks" in kinds:
        from sizer.cli.render_tasks import render_task_records

        return head + "\n\n" + render_task_records(records)
    if "endpoint-concurrency" in kinds:
        return head + "\n\n" + render_sweep(records, sweep)
    return head + "\n\n" + render_speed(records[0])


def _ms(summary: dict[str, Any], key: str) -> str:
    value = summary.get(key)
    return "—" if value is None else f"{value * 1000:.0f}"


def render_speed(rec: dict[str, Any]) -> str:
    if rec["status"] == "failed":
        return f"failed: {rec.get('error')}"
    m, server = rec["metrics"], rec.get("server_metrics") or {}

    def client(name: str, digits: int) -> str:
        x = m[name]
        return f"{x['median']:.{digits}f} ({x['min']:.{digits}f}-{x['max']:.{digits}f})"

    def theirs(name: str) -> str:
        x = server.get(name)
        return f"{x['median']:.1f} ({x['min']:.1f}-{x['max']:.1f})" if x else "—"

    itl = m["itl_s"]
    failed = len(rec.get("errors") or [])
    lines = [
        f"{'':20}{'client: median (min-max)':<30}server's own timing",
        f"{'TTFT s':20}{client('ttft_s', 3):<30}—",
        f"{'prefill tok/s':20}{client('prefill_tok_s', 1):<30}{theirs('prefill_tok_s')}",
        f"{'decode tok/s':20}{client('decode_tok_s', 1):<30}{theirs('decode_tok_s')}",
        f"{'ITL p50/p95/p99 ms':20}{_ms(itl, 'p50')}/{_ms(itl, 'p95')}/{_ms(itl, 'p99')}",
        f"{'repetitions':20}{m['reps']} ok, {failed} failed; prompt "
        f"{rec['prompt_tokens_sent']['median']:.0f} tokens, "
        f"{rec['gen_tokens']['median']:.0f} generated",
    ]
    if not server:
        lines.append("(the server reports no timings of its own: client-side figures only)")
    if failed:
        lines.append(f"errors: {rec['error']}")
    return "\n".join(lines)


def render_sweep(records: list[dict[str, Any]], plan) -> str:
    from sizer.endpoints.sweep import SHARE_HELD, users_held

    lines = [
        "users  requests  ok  errors   TTFT p50/p90 s   ITL p50/p99 ms   "
        "decode tok/s per request p10/p50   aggregate tok/s  holds"
    ]
    levels = []
    for rec in records:
        s = rec["level"]
        levels.append(s)
        ttft, dec = s["ttft_s"], s["decode_tok_s_per_request"]
        ttft_text = f"{ttft['p50']:.2f}/{ttft['p90']:.2f}" if ttft.get("n") else "—"
        dec_text = f"{dec['p10']:.1f}/{dec['p50']:.1f}" if dec.get("n") else "—"
        agg = f"{s['aggregate_tok_s']:.1f}" if s.get("aggregate_tok_s") else "—"
        lines.append(
            f"{s['users']:>5}  {s['requests']:>8}  {s['ok']:>2}  {s['errors']:>6}   "
            f"{ttft_text:>14}   {_ms(s['itl_s'], 'p50')}/{_ms(s['itl_s'], 'p99'):<10}"
            f"{dec_text:>24}{agg:>22}  {'yes' if s['holds'] else 'no'}"
        )
        for cause, n in s["error_causes"].items():
            lines.append(f"       error ×{n}: {cause}")
    held = users_held(levels)
    top = max(s["users"] for s in levels)
    floors = f"≥ {plan.min_tps:g} tok/s each with TTFT ≤ {plan.max_ttft:g} s"
    if held == 0:
        answer = f"This server does not hold even one user at {floors}."
    else:
        more = " (the largest level measured: try more)" if held == top else ""
        answer = f"This server holds {held} concurrent user(s) at {floors}{more}."
    lines += ["", answer + f" ({SHARE_HELD}% of requests must meet both, with no errors.)"]
    return "\n".join(lines)

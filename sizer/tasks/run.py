"""Run task suites on models: plan passes, answer them in worker processes, score, record.

Python API twin of ``sizer bench MODEL --tasks … / --task-file …``:
``run_tasks(TaskRequest(...), hardware)``. Each pass (a suite, or a suite variant such as
grammar-constrained extraction) runs in its own worker and becomes one record appended to
``request.out`` as soon as it is scored. A worker that crashes costs the item in flight: the
item is marked and a fresh worker goes on with the rest. Ctrl-C writes what the current pass
has answered so far (status "interrupted") before stopping.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.bench import plan, results
from sizer.bench.process import run_worker
from sizer.bench.record import model_failure, new_record, now_iso, worker_failure
from sizer.errors import SizerError
from sizer.hardware.record import Hardware
from sizer.models.resolve import ResolvedModel, model_identity, resolve
from sizer.tasks import behaviour, prompts, score, suites
from sizer.tasks.items import TaskItem
from sizer.tasks.prompts import Prompt
from sizer.tasks.sandbox import sandbox_available

MAX_WORKER_RESTARTS = 3
KIND = "tasks"
# Called with (pass label, event): "pass" (start), the worker's "item" events, "done".
TaskProgress = Callable[[str, dict[str, Any]], None]


@dataclass
class TaskRequest:
    models: list[str]
    out: Path
    suites: list[str] = field(default_factory=list)  # built-in suite names
    task_file: Path | None = None
    quick: bool = False
    threads: str = "auto"
    n_ctx: int = 4096
    overflow: str = "truncate"  # or "refuse"
    item_timeout_s: float = 300.0
    resume: bool = False
    force: bool = False


@dataclass
class Pass:
    suite: suites.Suite
    variant: str | None  # extraction: "free" or "grammar"
    pairs: list[tuple[TaskItem, Prompt]]

    @property
    def label(self) -> str:
        return self.suite.id + (f" ({self.variant})" if self.variant else "")


def passes(request: TaskRequest) -> list[Pass]:
    """Every pass the request asks for, in a stable order (validates task files first)."""
    chosen = [suites.builtin(name, request.quick) for name in request.suites]
    if request.task_file is not None:
        chosen += suites.from_file(request.task_file, request.quick)
    out = []
    for suite in chosen:
        if suite.task == suites.BEHAVIOUR:
            out.append(Pass(suite, None, behaviour.plan(request.quick, request.n_ctx)))
        elif suite.task == "extraction":
            for variant in ("free", "grammar"):
                out.append(
                    Pass(
                        suite,
                        variant,
                        [
                            (item, prompts.build(item, item.id, constrained=variant == "grammar"))
                            for item in suite.items
                        ],
                    )
                )
        else:
            out.append(Pass(suite, None, [(i, prompts.build(i, i.id)) for i in suite.items]))
    return out


def run_tasks(
    request: TaskRequest, hw: Hardware, on_progress: TaskProgress | None = None
) -> list[dict[str, Any]]:
    progress = on_progress or (lambda label, event: None)
    planned = passes(request)
    done = results.finished_keys(request.out) if request.resume else set()
    return results.append_each(
        request.out,
        (
            rec
            for name in request.models
            for rec in _model_passes(name, planned, request, hw, done, progress)
        ),
    )


def _model_passes(
    name: str,
    planned: list[Pass],
    request: TaskRequest,
    hw: Hardware,
    done: set[str],
    progress: TaskProgress,
) -> Any:
    hardware = hw.to_dict()
    try:
        resolved = _answerable(name)
        identity = model_identity(resolved)
    except SizerError as exc:
        yield {**model_failure(name, str(exc), hardware), "kind": KIND}
        return
    threads = plan.thread_counts(hw, request.threads)[0]
    problem = None if request.force else plan.fit_problem(resolved, request.n_ctx, "f16", hw)
    for p in planned:
        rec = _base_record(p, identity, threads, request, hardware)
        if rec["key"] in done:
            progress(p.label, {"event": "skipped"})
            continue
        if problem:
            progress(p.label, {"event": "refused", "message": problem})
            yield {**rec, "status": "refused", "error": problem, "finished_at": now_iso()}
            continue
        yield _run_pass(p, rec, str(resolved.path), threads, request, progress)


def _answerable(name: str) -> ResolvedModel:
    resolved = resolve(name)
    if resolved.path is None:
        raise SizerError(
            f"{name!r} is a catalog entry, not a file: task suites need the model's weights"
        )
    if resolved.shape_only:
        raise SizerError(
            f"{name} is a shape-only file (random weights): its answers would be "
            "noise; run task suites on the real model"
        )
    return resolved


def _base_record(
    p: Pass, identity: dict[str, Any], threads: int, request: TaskRequest, hardware: dict[str, Any]
) -> dict[str, Any]:
    config = {
        "threads": threads,
        "n_ctx": request.n_ctx,
        "overflow": request.overflow,
        "quick": request.quick,
        "sampling": "greedy (temperature 0)",
    }
    suite = {**p.suite.identity(), "task": p.suite.task, "variant": p.variant, "n": len(p.pairs)}
    key_src = json.dumps([identity["header_sha256"], suite, config], sort_keys=True)
    return new_record(
        kind=KIND,
        key=hashlib.sha256(key_src.encode()).hexdigest()[:32],
        model=identity,
        backend={"name": "llama.cpp", "device": "CPU"},
        config=config,
        suite=suite,
        hardware=hardware,
    )


def _run_pass(
    p: Pass,
    rec: dict[str, Any],
    model_path: str,
    threads: int,
    request: TaskRequest,
    progress: TaskProgress,
) -> dict[str, Any]:
    progress(p.label, {"event": "pass", "n": len(p.pairs)})
    run = _PassRun(p, model_path, threads, request, progress)
    started = time.monotonic()
    try:
        run.answer_all()
    except KeyboardInterrupt:
        results.append(request.out, finish_pass(rec, p, run, "interrupted", started))
        raise
    item_errors = any(reply.get("error") for reply in run.replies.values())
    status = (
        "failed"
        if not run.replies and run.failures
        else ("partial" if run.failures or item_errors else "ok")
    )
    finished = finish_pass(rec, p, run, status, started)
    progress(p.label, {"event": "done", "record": finished})
    return finished


class _PassRun:
    """The replies of one pass, gathered over one or more worker processes."""

    def __init__(
        self, p: Pass, model_path: str, threads: int, request: TaskRequest, progress: TaskProgress
    ) -> None:
        self.p, self.request, self.progress = p, request, progress
        self.job = {
            "model_path": model_path,
            "n_ctx": request.n_ctx,
            "threads": threads,
            "overflow": request.overflow,
        }
        self.replies: dict[str, dict[str, Any]] = {}
        self.failures: list[str] = []
        self.loaded: dict[str, Any] = {}
        self.peak_rss: int | None = None
        self.restarts = 0

    def on_event(self, event: dict[str, Any]) -> None:
        if event["event"] == "item":
            self.replies[event["uid"]] = event
            self.progress(
                self.p.label, {**event, "done": len(self.replies), "n": len(self.p.pairs)}
            )
        elif event["event"] == "loaded" and not self.loaded:
            self.loaded = event

    def remaining(self) -> list[Prompt]:
        return [pr for _, pr in self.p.pairs if pr.uid not in self.replies]

    def answer_all(self) -> None:
        """Answer every prompt; a worker that dies costs the prompt it was on, and a fresh
        worker (at most MAX_WORKER_RESTARTS of them) goes on with the rest."""
        while remaining := self.remaining():
            if self.restarts > MAX_WORKER_RESTARTS:
                self.failures.append(f"gave up after {MAX_WORKER_RESTARTS} worker restarts")
                return
            deadline_s = self.request.item_timeout_s * len(remaining)
            job = {**self.job, "prompts": [pr.to_dict() for pr in remaining]}
            outcome = run_worker(job, self.on_event, deadline_s, module="sizer.tasks.worker")
            self.peak_rss = max(filter(None, (self.peak_rss, outcome.peak_rss_bytes)), default=None)
            final = outcome.final
            if final is not None and final["event"] == "result":
                return
            _, reason = worker_failure(outcome, f"no answer within {deadline_s:g} s; worker killed")
            if not self.loaded:  # the model never loaded: no point in retrying
                self.failures.append(reason)
                return
            culprit = next(pr for pr in remaining if pr.uid not in self.replies)
            self.replies[culprit.uid] = {"uid": culprit.uid, "error": reason, "finish": "error"}
            self.failures.append(f"{culprit.uid}: {reason}")
            self.restarts += 1


def finish_pass(
    rec: dict[str, Any], p: Pass, run: _PassRun, status: str, started: float
) -> dict[str, Any]:
    rows = _scored_rows(p, run.replies)
    answered = [reply for _, _, reply, _ in rows if "text" in reply]
    rec.update(
        status=status,
        finished_at=now_iso(),
        wall_s=time.monotonic() - started,
        peak_rss_bytes=run.peak_rss,
        load_s=run.loaded.get("load_s"),
        prompt_format=run.loaded.get("prompt_format"),
        versions=run.loaded.get("versions", {}),
        latency=score.latency(answered),
        failures=_failure_counts(rows, run),
        items=[_item_row(uid, item, reply, s) for uid, item, reply, s in rows],
    )
    if p.suite.task == suites.BEHAVIOUR:
        rec["scores"] = behaviour.aggregate(rows)
    else:
        rec["scores"] = score.suite_scores(p.suite.task, [(item, s) for _, item, _, s in rows])
    if run.failures:
        rec["error"] = "; ".join(run.failures[:3])
    if p.suite.task == "completion" and (why := sandbox_available()):
        rec.update(status="unsupported", error=why)
    return rec


def _scored_rows(p: Pass, replies: dict[str, dict[str, Any]]) -> list[tuple]:
    """(uid, item, reply, score) for every prompt that has a reply (answered or failed)."""
    rows = []
    no_sandbox = sandbox_available()
    for item, pr in p.pairs:
        reply = replies.get(pr.uid)
        if reply is None:
            continue
        if (
            "text" not in reply
            or reply.get("finish") == "refused"
            or (item.task == "completion" and no_sandbox)
        ):
            rows.append((pr.uid, item, reply, score.unanswered(item)))
        else:
            rows.append((pr.uid, item, reply, score.score_item(item, reply["text"])))
    return rows


def _failure_counts(rows: list[tuple], run: _PassRun) -> dict[str, Any]:
    replies = [reply for _, _, reply, _ in rows]
    return {
        "errors": sum(1 for r in replies if r.get("error")),
        "truncated": sum(1 for r in replies if r.get("overflow") == "truncated"),
        "refused": sum(1 for r in replies if r.get("overflow") == "refused"),
        "hit_token_limit": sum(1 for r in replies if r.get("finish") == "length"),
        "worker_restarts": run.restarts,
        "not_answered": len(run.p.pairs) - len(replies),
    }


def _item_row(
    uid: str, item: TaskItem, reply: dict[str, Any], scored: dict[str, Any]
) -> dict[str, Any]:
    keep = (
        "prompt_tokens",
        "gen_tokens",
        "ttft_s",
        "total_s",
        "decode_tok_s",
        "finish",
        "overflow",
        "original_prompt_tokens",
        "error",
    )
    row = {"uid": uid, "id": item.id, **{k: reply[k] for k in keep if reply.get(k) is not None}}
    row["reply"] = reply.get("text", "")[: score.REPLY_KEPT]
    return {**row, "score": scored}

"""Run task suites on models: plan passes, answer them in worker processes, score, record.

Python API twin of ``sizer bench MODEL --tasks … / --task-file …``:
``run_tasks(TaskRequest(...), hardware)``. Each pass (a suite, or a suite variant such as
grammar-constrained extraction) runs in its own worker and becomes one record appended to
``request.out`` as soon as it is scored. Ctrl-C writes what the current pass has answered so
far (status "interrupted") before stopping.

Items run several at a time in one context (``sizer.tasks.batch``): with ``parallel="auto"``
as many as fit in memory beside the model (``widest_batch``), at most MAX_PARALLEL and at most
the pass's items. Accuracy comes from every item; single-user latency only from the first
``latency_sample`` items of each suite, which run alone (``single_stream``).

A worker that crashes costs the item that crashed: when one item ran alone it is that one;
when several were in flight, they are re-run alone first in a fresh worker, so the next crash
names its item, and the rest go on batched.
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
# Widest batch "auto" takes. Why no measured sweep per run: aggregate decode tok/s rose with
# the width all the way on every model measured (2-core Zen 5, benchmarks/batched_eval.py
# sweep: Qwen2.5-Coder-1.5B 24.6 tok/s alone, 40 at 8, 71 at 32, 81 at 64; Gemma 3 270M
# 77 -> 207 at 16), so a sweep would always pick the widest, for 10-35 s of every run; what
# bounds the width is memory (every sequence holds a full context of KV cache).
MAX_PARALLEL = 32
LATENCY_SAMPLE = 3  # items per suite answered alone: the single-user latency figures
MEMORY_HEADROOM = 0.8  # of available memory the batch's KV streams may take
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
    # Batch width, or "auto" (as many as fit in memory). One at a time by default: batching
    # measured 0.99-1.01x here (2-core Zen 5: Qwen quick suites, HumanEval on Gemma) and
    # changed 6-25 % of greedy answers, so it is asked for, not imposed (README).
    parallel: int | str = 1
    latency_sample: int = LATENCY_SAMPLE
    # "llama.cpp" (the default) or "openvino" (OpenVINO GenAI on the CPU, one item at a
    # time); an OpenVINO IR directory runs on OpenVINO whatever this says.
    backend: str = "llama.cpp"


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
    backend = "openvino" if resolved.openvino_only else request.backend
    # OpenVINO answers one item at a time; a llama.cpp width the user asked for must fit
    # with its KV streams (auto fits by construction)
    parallel = 1 if backend == "openvino" else request.parallel
    streams = 1 if parallel == "auto" else int(parallel)
    problem = (
        None if request.force else plan.fit_problem(resolved, request.n_ctx * streams, "f16", hw)
    )
    batching = Batching(parallel, widest_batch(resolved, request, hw) if parallel != 1 else 1)
    for p in planned:
        rec = _base_record(p, identity, threads, request, hardware, backend)
        if rec["key"] in done:
            progress(p.label, {"event": "skipped"})
            continue
        if problem:
            progress(p.label, {"event": "refused", "message": problem})
            yield {**rec, "status": "refused", "error": problem, "finished_at": now_iso()}
            continue
        yield _run_pass(p, rec, str(resolved.path), threads, request, progress, batching)


# The worker module per backend: both speak the same job and event protocol.
WORKERS = {"llama.cpp": "sizer.tasks.worker", "openvino": "sizer.tasks.ov_worker"}


@dataclass
class Batching:
    """How a model's items are batched: the width asked ("auto" or a count) and the widest
    batch whose KV streams fit in memory."""

    parallel: int | str
    most: int

    def width(self, items: int) -> int:
        """The batch width for a pass of ``items`` items still to batch."""
        asked = self.most if self.parallel == "auto" else int(self.parallel)
        return max(1, min(asked, items))

    def to_dict(self, width: int) -> dict[str, Any]:
        return {"width": width, "widest_in_memory": self.most}


def widest_batch(resolved: ResolvedModel, request: TaskRequest, hw: Hardware) -> int:
    """The most sequences of ``request.n_ctx`` tokens each whose KV cache, with the model,
    fits in MEMORY_HEADROOM of available memory: a power of two up to MAX_PARALLEL, 1 when
    memory is unknown. A width the user asked for is returned as it is (the fit check in
    ``_model_passes`` refuses it, unless forced, when its streams do not fit)."""
    if request.parallel != "auto":
        return int(request.parallel)
    available = hw.memory.available_bytes
    if available is None:
        return 1
    budget = available * MEMORY_HEADROOM
    width = 1
    while width < MAX_PARALLEL:
        est = plan.memory_estimate(resolved, request.n_ctx * (width * 2), "f16", hw)
        if est.total_bytes > budget:
            break
        width *= 2
    return width


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
    p: Pass,
    identity: dict[str, Any],
    threads: int,
    request: TaskRequest,
    hardware: dict[str, Any],
    backend: str = "llama.cpp",
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "threads": threads,
        "n_ctx": request.n_ctx,
        "overflow": request.overflow,
        "quick": request.quick,
        "sampling": "greedy (temperature 0)",
    }
    if backend != "llama.cpp":  # in the key only when not the default: old keys stay valid
        config["backend"] = backend
    suite = {**p.suite.identity(), "task": p.suite.task, "variant": p.variant, "n": len(p.pairs)}
    key_src = json.dumps([identity["header_sha256"], suite, config], sort_keys=True)
    return new_record(
        kind=KIND,
        key=hashlib.sha256(key_src.encode()).hexdigest()[:32],
        model=identity,
        backend={"name": backend, "device": "CPU"},
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
    batching: Batching,
) -> dict[str, Any]:
    progress(p.label, {"event": "pass", "n": len(p.pairs)})
    worker = WORKERS[rec["backend"]["name"]]
    run = _PassRun(p, model_path, threads, request, progress, batching, worker)
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
        self,
        p: Pass,
        model_path: str,
        threads: int,
        request: TaskRequest,
        progress: TaskProgress,
        batching: Batching,
        worker: str = WORKERS["llama.cpp"],
    ) -> None:
        self.p, self.request, self.progress, self.batching = p, request, progress, batching
        self.worker = worker  # the worker module that answers
        self.job = {
            "model_path": model_path,
            "n_ctx": request.n_ctx,
            "threads": threads,
            "overflow": request.overflow,
        }
        self.alone = min(request.latency_sample, len(p.pairs))  # items still to run alone
        self.width = 1  # the widest batch a worker of this pass ran
        self.in_flight: set[str] = set()
        self.replies: dict[str, dict[str, Any]] = {}
        self.failures: list[str] = []
        self.loaded: dict[str, Any] = {}
        self.peak_rss: int | None = None
        self.restarts = 0

    def on_event(self, event: dict[str, Any]) -> None:
        if event["event"] == "item":
            self.replies[event["uid"]] = event
            self.in_flight.discard(event["uid"])
            self.progress(
                self.p.label, {**event, "done": len(self.replies), "n": len(self.p.pairs)}
            )
        elif event["event"] == "admitted":
            self.in_flight.add(event["uid"])
        elif event["event"] == "loaded":
            self.loaded = self.loaded or event
            self.width = max(self.width, event.get("parallel") or 1)

    def remaining(self) -> list[Prompt]:
        """Unanswered prompts, those that were in flight when a worker died first."""
        left = [pr for _, pr in self.p.pairs if pr.uid not in self.replies]
        return sorted(left, key=lambda pr: pr.uid not in self.in_flight)

    def answer_all(self) -> None:
        """Answer every prompt; a worker that dies costs the prompt that crashed it, and a
        fresh worker (at most MAX_WORKER_RESTARTS of them) goes on with the rest."""
        while remaining := self.remaining():
            if self.restarts > MAX_WORKER_RESTARTS:
                self.failures.append(f"gave up after {MAX_WORKER_RESTARTS} worker restarts")
                return
            deadline_s = self.request.item_timeout_s * len(remaining)
            job = {
                **self.job,
                "prompts": [pr.to_dict() for pr in remaining],
                "alone": (alone := self._alone_first(remaining)),
                "parallel": self.batching.width(len(remaining) - alone),
            }
            self.in_flight = set()
            outcome = run_worker(job, self.on_event, deadline_s, module=self.worker)
            self.peak_rss = max(filter(None, (self.peak_rss, outcome.peak_rss_bytes)), default=None)
            final = outcome.final
            if final is not None and final["event"] == "result":
                return
            _, reason = worker_failure(outcome, f"no answer within {deadline_s:g} s; worker killed")
            if not self.loaded:  # the model never loaded: no point in retrying
                self.failures.append(reason)
                return
            self._blame(remaining, reason)
            self.restarts += 1

    def _alone_first(self, remaining: list[Prompt]) -> int:
        """How many of ``remaining`` run alone: the latency sample's items not yet answered,
        or the items that were in flight together when a worker died."""
        sample = self.alone - sum(1 for r in self.replies.values() if r.get("single_stream"))
        return max(sample, len(self.in_flight), 0)

    def _blame(self, remaining: list[Prompt], reason: str) -> None:
        """After a crash: the item in flight when it ran alone (or the next one due) is
        marked failed; several in flight together are re-run alone to find which."""
        if len(self.in_flight) > 1:
            self.failures.append(f"a batch of {len(self.in_flight)} items: {reason}")
            return
        culprit = next(pr for pr in remaining if pr.uid not in self.replies)
        if self.in_flight:
            culprit = next(pr for pr in remaining if pr.uid in self.in_flight)
        self.replies[culprit.uid] = {"uid": culprit.uid, "error": reason, "finish": "error"}
        self.failures.append(f"{culprit.uid}: {reason}")
        self.in_flight.discard(culprit.uid)


def finish_pass(
    rec: dict[str, Any], p: Pass, run: _PassRun, status: str, started: float
) -> dict[str, Any]:
    rows = _scored_rows(p, run.replies)
    answered = [reply for _, _, reply, _ in rows if "text" in reply]
    alone = [reply for reply in answered if reply.get("single_stream", True)]
    wall_s = time.monotonic() - started
    rec.update(
        status=status,
        finished_at=now_iso(),
        wall_s=wall_s,
        peak_rss_bytes=run.peak_rss,
        load_s=run.loaded.get("load_s"),
        prompt_format=run.loaded.get("prompt_format"),
        versions=run.loaded.get("versions", {}),
        latency=_single_user(alone),
        throughput=score.throughput(answered, wall_s),
        batching=run.batching.to_dict(run.width),
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


def _single_user(alone: list[dict[str, Any]]) -> dict[str, Any]:
    """Latency percentiles of the items that ran alone, labelled with how many they are."""
    latency = score.latency(alone)
    return {**latency, "single_stream_items": len(alone)} if latency else latency


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
        "single_stream",
        "error",
    )
    row = {"uid": uid, "id": item.id, **{k: reply[k] for k in keep if reply.get(k) is not None}}
    row["reply"] = reply.get("text", "")[: score.REPLY_KEPT]
    return {**row, "score": scored}

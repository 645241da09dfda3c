"""One JSON record per run, the unit that ``results/*.jsonl`` files are made of.

Format ``sizer.run`` version 1, built only here: ``new_record`` starts every run record
(speed runs below, task runs in ``sizer.tasks.run``, endpoint runs in
``sizer.endpoints.records``) and ``model_failure`` every record of a model that never ran;
``sizer.bench.results.load`` is the reader, and checks the format and version. Every record
carries what is needed to interpret it alone:
the hardware, the model's identity (path, header hash, shape-only flag), the backend and
its versions, the full configuration, raw samples and their summaries, and the conditions
(page cache, CPU clock). Failed runs are records too, with ``status`` saying how they failed.
"""

from __future__ import annotations

import time
from typing import Any

from sizer.backends.base import RepSample
from sizer.backends.config import RunConfig
from sizer.bench.process import Outcome, describe_exit
from sizer.bench.stats import latency_summary, summarize

FORMAT = "sizer.run"
FORMAT_VERSION = 1
# status values: "ok"; failures: "unsupported", "failed", "crashed", "timeout", "refused"
CLOCK_DROP_WARNING = 0.9


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def new_record(
    *,
    key: str | None,
    model: dict[str, Any],
    backend: dict[str, Any],
    config: dict[str, Any],
    hardware: dict[str, Any] | None,
    kind: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A run record as it starts: status None until ``failure`` or a result fills it.
    ``kind``: None for a speed run, "tasks" or an endpoint's run kind; ``fields``: what
    that kind adds (a task run's ``suite``)."""
    head: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION}
    if kind is not None:
        head["kind"] = kind
    return {
        **head,
        "key": key,
        "status": None,
        "started_at": now_iso(),
        "finished_at": None,
        "model": model,
        "backend": backend,
        "config": config,
        **fields,
        "hardware": hardware,
    }


def base_record(
    config: RunConfig, model: dict[str, Any], hardware: dict[str, Any]
) -> dict[str, Any]:
    """A speed run of ``config``."""
    backend = {"name": config.backend, "device": config.device}
    return new_record(
        key=config.key, model=model, backend=backend, config=config.to_dict(), hardware=hardware
    )


def model_failure(
    name: str | None, message: str, hardware: dict[str, Any] | None
) -> dict[str, Any]:
    """A model that could not even be planned (unreadable file, unknown name)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "key": None,
        "status": "failed",
        "started_at": now_iso(),
        "finished_at": now_iso(),
        "model": {"label": name},
        "error": message,
        "hardware": hardware,
    }


def failure(record: dict[str, Any], status: str, message: str) -> dict[str, Any]:
    record.update(status=status, error=message, finished_at=now_iso())
    return record


def from_outcome(record: dict[str, Any], config: RunConfig, outcome: Outcome) -> dict[str, Any]:
    """Fill ``record`` with the run's measurements, or with the reason there are none."""
    record["finished_at"] = now_iso()
    record["peak_rss_bytes"] = outcome.peak_rss_bytes
    final = outcome.final
    if final is not None and final["event"] == "result":
        return _success(record, config, final, outcome)
    timeout = f"no result within --timeout {config.measurement.timeout_s:g} s; worker killed"
    status, message = worker_failure(outcome, timeout)
    record.update(status=status, error=message)
    return record


def worker_failure(outcome: Outcome, timeout_message: str) -> tuple[str, str]:
    """(status, message) for a worker that gave no result: it timed out, reported an
    error itself (with the runtime log's cause added), or crashed."""
    final = outcome.final
    if outcome.timed_out:
        return "timeout", timeout_message
    if final is not None:  # the worker caught the error itself
        message = final["message"]
        cause = log_cause(outcome.stderr_tail)
        if cause and cause not in message:
            message = f"{message} — {cause}"
        return ("unsupported" if final["kind"] == "unsupported" else "failed"), message
    code = outcome.exit_code if outcome.exit_code is not None else -1
    cause = log_cause(outcome.stderr_tail)
    return "crashed", describe_exit(code) + (f" — {cause}" if cause else "")


def log_cause(lines: list[str]) -> str | None:
    """The runtime log line that says what went wrong. llama.cpp logs the cause as
    ``llama_model_load: error loading model: …`` and then a generic ``failed to load model``,
    so an "error" line wins over a later "failed" one."""
    for needle in ("error", "failed"):
        for line in reversed(lines):
            if needle in line.lower():
                return line.strip()[:300]
    return None


def _success(
    record: dict[str, Any], config: RunConfig, result: dict[str, Any], outcome: Outcome
) -> dict[str, Any]:
    reps = [RepSample(**rep) for rep in result["reps"]]
    samples = rep_samples(reps)
    record.update(
        status="ok",
        versions=result["versions"],
        conditions=result["conditions"],
        samples=samples,
        metrics=metrics(samples, result["load_s"], outcome.peak_rss_bytes, config.threads),
        internal=internal_summary(reps),
        missing={"energy": result["energy_missing"]} if result["energy_missing"] else {},
    )
    record["warnings"] = warnings(record["metrics"], result["conditions"], config)
    return record


def rep_samples(reps: list[RepSample]) -> dict[str, Any]:
    decoded = [r for r in reps if r.itl_s]
    samples: dict[str, Any] = {
        "ttft_s": [r.ttft_s for r in reps],
        "prefill_tok_s": [r.prefill_tok_s for r in reps],
        "decode_tok_s": [r.decode_tok_s for r in decoded],
        "itl_s": [r.itl_s for r in reps],
        "prefill_tokens": reps[0].prefill_tokens if reps else 0,
    }
    joules = [r.energy_j.get("decode") for r in reps]
    if reps and all(j is not None for j in joules) and len(decoded) == len(reps):
        samples["decode_j_per_tok"] = [j / len(r.itl_s) for j, r in zip(joules, reps, strict=True)]
    return samples


def metrics(
    samples: dict[str, Any], load_s: float, peak_rss: int | None, threads: int
) -> dict[str, Any]:
    every_itl = [t for rep in samples["itl_s"] for t in rep]
    out = {
        "load_s": load_s,
        "ttft_s": summarize(samples["ttft_s"]),
        "prefill_tok_s": summarize(samples["prefill_tok_s"]),
        "decode_tok_s": summarize(samples["decode_tok_s"]),
        "itl_s": latency_summary(every_itl),
        "peak_rss_bytes": peak_rss,
        "threads": threads,
        "reps": len(samples["ttft_s"]),
    }
    if "decode_j_per_tok" in samples:
        out["decode_j_per_tok"] = summarize(samples["decode_j_per_tok"])
    return out


def internal_summary(reps: list[RepSample]) -> dict[str, Any]:
    """The backend's own timings, summarised per key (llama.cpp: perf counters)."""
    keys = sorted({k for r in reps for k, v in r.internal.items() if isinstance(v, float)})
    return {k: summarize([r.internal[k] for r in reps if k in r.internal]) for k in keys}


def warnings(m: dict[str, Any], conditions: dict[str, Any], config: RunConfig) -> list[str]:
    out = []
    target = config.measurement.cv_target
    for name in ("prefill_tok_s", "decode_tok_s"):
        cv = m[name].get("cv", 0.0)
        if cv > target:
            out.append(
                f"unstable {name}: CV {cv:.1%} > {target:.0%} after {m['reps']} reps "
                "(busy or throttling machine; rerun, or raise --reps)"
            )
    start, end = conditions.get("cpu_mhz_start"), conditions.get("cpu_mhz_end")
    if start and end and end < CLOCK_DROP_WARNING * start:
        out.append(
            f"CPU clock fell from {start:.0f} to {end:.0f} MHz during the run "
            "(thermal or power limit): later reps ran slower"
        )
    return out

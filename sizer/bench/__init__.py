"""The benchmark engine: plan runs, measure each in a child process, record every outcome.

Python API twin of ``sizer bench``: ``run_bench(BenchRequest(...), hardware)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.backends.config import Measurement, RunConfig
from sizer.bench import plan, record, results
from sizer.bench.process import run_worker
from sizer.errors import SizerError
from sizer.hardware.record import Hardware
from sizer.models.resolve import ResolvedModel, model_identity, resolve

# Called with (config, event): "skipped", "refused", "started", then the worker's events.
ProgressHandler = Callable[[RunConfig, dict[str, Any]], None]


@dataclass
class BenchRequest:
    models: list[str]
    out: Path
    backends: list[str] = field(default_factory=lambda: ["llama.cpp"])
    devices: list[str] | None = None  # None: each backend's default devices
    threads: str = "auto"  # "auto", "sweep", or a comma-separated list
    depths: list[int] = field(default_factory=lambda: [0])
    measurement: Measurement = field(default_factory=Measurement)
    resume: bool = False
    force: bool = False


def run_bench(
    request: BenchRequest, hw: Hardware, on_progress: ProgressHandler | None = None
) -> list[dict[str, Any]]:
    """Run every planned benchmark, appending each record to ``request.out`` as it finishes."""
    progress = on_progress or (lambda config, event: None)
    hardware = hw.to_dict()
    done = results.finished_keys(request.out) if request.resume else set()
    return results.append_each(
        request.out,
        (
            rec
            for name in request.models
            for rec in _bench_model(name, request, hw, hardware, done, progress)
        ),
    )


def _bench_model(
    name: str,
    request: BenchRequest,
    hw: Hardware,
    hardware: dict[str, Any],
    done: set[str],
    progress: ProgressHandler,
) -> Iterator[dict[str, Any]]:
    try:
        resolved = _runnable(name)
        identity = model_identity(resolved)
    except SizerError as exc:
        yield record.model_failure(name, str(exc), hardware)
        return
    for config in _configs(resolved, identity["header_sha256"], request, hw):
        if config.key in done:
            progress(config, {"event": "skipped"})
            continue
        rec = record.base_record(config, identity, hardware)
        problem = (
            None
            if request.force
            else plan.fit_problem(resolved, config.n_ctx, config.measurement.kv_type, hw)
        )
        if problem:
            progress(config, {"event": "refused", "message": problem})
            yield record.failure(rec, "refused", problem)
            continue
        progress(config, {"event": "started"})
        outcome = run_worker(
            config.to_dict(),
            lambda event, c=config: progress(c, event),
            config.measurement.timeout_s,
        )
        yield record.from_outcome(rec, config, outcome)


def _runnable(name: str) -> ResolvedModel:
    resolved = resolve(name)
    if resolved.path is None:
        raise SizerError(
            f"{name!r} is a catalog entry, not a file: benchmark its speed and memory "
            f"with a shape-only file ('sizer models synth {name}')"
        )
    return resolved


def _configs(
    resolved: ResolvedModel, header_sha: str, request: BenchRequest, hw: Hardware
) -> Iterator[RunConfig]:
    # An IR directory runs on OpenVINO whatever --backend says: llama.cpp cannot read it.
    backends = ["openvino"] if resolved.openvino_only else request.backends
    for backend in backends:
        for device in request.devices or plan.default_devices(backend, hw):
            for threads in plan.thread_counts(hw, request.threads):
                for depth in request.depths:
                    yield RunConfig(
                        str(resolved.path),
                        resolved.label,
                        header_sha,
                        backend,
                        device,
                        threads,
                        depth,
                        request.measurement,
                    )

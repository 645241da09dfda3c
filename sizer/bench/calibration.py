"""Running the calibration: the kernels, then the two probe models through llama.cpp in
worker processes like any ``sizer bench`` run (about 20-30 s the first time on a machine).

Ranking never starts this by itself: ``sizer.speed.sources.cpu_params`` is handed
``run_calibration`` by the caller that may measure (``sizer recommend`` on this machine).
The result is cached in ``$SIZER_HOME/calibration.json`` per machine identity and llama.cpp
version; the probe runs are appended to ``$SIZER_HOME/calibration-runs.jsonl``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sizer.errors import SizerError
from sizer.hardware.record import Hardware
from sizer.paths import sizer_home
from sizer.speed.cache import machine_key, runs_path, store
from sizer.speed.calibration import PROBE_DEPTH, PROBE_GEN, PROBE_PROMPT, PROBE_SHAPES, fit_probes
from sizer.speed.model import SpeedParams
from sizer.speed.observe import usable_run
from sizer.speed.prior import prior_params

Progress = Callable[[str], None]


def probe_model(name: str) -> Path:
    """The shape-only probe GGUF, written once into sizer's cache."""
    from sizer.models.synth import synthesize

    target = sizer_home() / "shape-only" / f"sizer-{name}-probe-Q4_K_M.gguf"
    if not target.exists():
        synthesize(PROBE_SHAPES[name], "Q4_K_M", target, f"sizer-{name}-probe")
    return target


def run_calibration(
    hw: Hardware, threads: int, progress: Progress | None = None, fresh: bool = False
) -> SpeedParams:
    """Measure this machine for the speed model (kernels, then the two probe models) and
    cache the result. Falls back to the kernels' tier if llama.cpp cannot run here."""
    say = progress or (lambda message: None)
    say(f"measuring memory bandwidth and matmul throughput at {threads} thread(s)")
    _measure_kernels(hw, threads)
    record = hw.to_dict()  # with the kernels just measured
    prior = prior_params(record, threads)
    try:
        records = _probe_runs(hw, machine_key(record), threads, say, resume=not fresh)
        params = fit_probes(records, prior, threads)
    except (SizerError, OSError) as exc:
        say(
            f"probe runs failed ({exc}); using the kernels x fitted efficiency "
            "(--recalibrate tries again)"
        )
        params = prior
    store(record, params)
    return params


def _measure_kernels(hw: Hardware, threads: int) -> None:
    """The kernels at ``threads`` only, fewer repetitions than ``probe --measure``; earlier
    figures at that count are replaced."""
    from kernels import KernelPlan
    from sizer.probe.measure import measure_hardware

    plan = KernelPlan(
        cpu_threads=[threads],
        available_bytes=hw.memory.available_bytes,
        l3_bytes=hw.cpu.cache_bytes.get("l3"),
        reps=7,
    )
    hw.measurements = [m for m in hw.measurements if m.threads != threads]
    measure_hardware(hw, plan=plan)


def _probe_runs(
    hw: Hardware, machine: str, threads: int, say: Progress, resume: bool = True
) -> list[dict[str, Any]]:
    """The probe models' runs at ``threads``, kept from this ``machine`` (its machine_key)."""
    from sizer.backends.config import Measurement
    from sizer.bench import BenchRequest, run_bench

    say("writing the probe models (once)")
    models = [str(probe_model(name)) for name in PROBE_SHAPES]
    measurement = Measurement(
        prompt_tokens=PROBE_PROMPT, gen_tokens=PROBE_GEN, max_reps=5, min_reps=3, timeout_s=120
    )

    def on_progress(config, event) -> None:
        if event.get("event") == "started":
            say(f"llama.cpp probe: {config.model_label} at depth {config.depth}")

    # Attention is measured on the overhead probe only: filling the bandwidth probe's cache
    # to depth 1024 would take longer than the rest of the calibration together.
    for model, depths in ((models[0], [0, PROBE_DEPTH]), (models[1], [0])):
        request = BenchRequest(
            models=[model],
            out=runs_path(),
            threads=str(threads),
            depths=depths,
            measurement=measurement,
            resume=resume,
        )
        failed = [r for r in run_bench(request, hw, on_progress) if r.get("status") != "ok"]
        if failed:
            raise SizerError(f"{failed[0].get('status')}: {failed[0].get('error', '')}"[:200])
    from sizer.bench.results import load

    return [
        r
        for r in load(runs_path())
        if usable_run(r, machine, threads, steady_only=False)
        and Path(r["config"]["model_path"]).name.startswith("sizer-")
    ]

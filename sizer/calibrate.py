"""Where the speed model's figures come from, in order of trust.

1. **Runs measured on this machine** (``sizer bench`` records whose hardware matches, and
   the calibration's own probe runs): the bandwidth and attention/matmul throughputs are
   fitted to them (``sizer.speed.fit_params``) — confidence "calibrated".
2. **The kernels' measurements** (``sizer probe --measure``: read bandwidth and f32
   matmul throughput at the thread count) scaled by the efficiencies below, which were
   fitted on this project's measurements — confidence "estimated", source "kernels".
3. **Documented defaults** when a hardware record has no measurements (another machine's
   ``sizer probe --json`` without ``--measure``) — confidence "estimated", source "default".

The first calibration on a machine (``run_calibration``, about 20-30 s) measures the
kernels and runs two small shape-only probe models through llama.cpp, in worker
processes like any ``sizer bench`` run:

- the *overhead probe* has tiny matrices and many attention heads: at depth 0 its token
  time is llama.cpp's per-layer overhead (barriers, small ops, the graph), at depth 1024
  it is dominated by attention over the cache;
- the *bandwidth probe* has 2048-wide layers (~0.3 GB): its decode is memory-bound and its
  prefill matmul-bound, like any larger model's.

The result is cached in ``$SIZER_HOME/calibration.json`` per machine fingerprint and
llama.cpp version; the probe runs are appended to ``$SIZER_HOME/calibration-runs.jsonl``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from sizer.calibration_cache import (
    as_record,
    fingerprint,
    runs_path,
    store,
)
from sizer.errors import SizerError
from sizer.models.shapes import Shape
from sizer.paths import sizer_home
from sizer.probe.records import Hardware
from sizer.speed import Observation, SpeedParams, SpeedShape, fit_params, speed_shape

# Efficiencies relative to the kernels, fitted on this project's runs of four Q4_K_M models
# (make bench-speed, 2026-11-25: 2-core AMD EPYC Zen 3, llama.cpp 0.3.36; means of the 1-
# and 2-thread fits): effective decode bandwidth / kernel read bandwidth (0.59, 0.75);
# attention and matmul throughputs / the f32 matmul kernel (decode attention 0.23, 0.33;
# prefill matmul of fast-kernel types 1.34, 2.48 — int8 GEMM beats the f32 kernel; prefill
# attention 0.85, 1.18); per-layer overheads in seconds per token (decode 2.8e-4, 1.6e-4;
# prefill 9.3e-5, 1.4e-5). The kernels themselves move 10-30 % between runs on a shared
# machine, so this tier is labelled "estimated" and is the least trusted.
KERNEL_EFFICIENCY = {
    "bandwidth": 0.67,
    "decode_attn": 0.28,
    "matmul": 1.9,
    "prefill_attn": 1.0,
}
DEFAULT_LAYER_S = {"decode": 2.2e-4, "prefill": 5.4e-5}
# Prefill cost of a weight type llama.cpp does not repack, relative to one it does (per
# weight multiplied). One factor for all such types is a compromise: Gemma 3 270M (640-wide
# rows fall back to Q5_0/Q8_0) fits best at 2.4, two `sizer recommend --verify` runs of
# shape-only files at 3 (Gemma 3 1B Q5_K_M: Q5_1 rows) and 1.5 (Qwen3 0.6B Q8_0); with
# 2.5 they are off by -1/-19 %, +18 % and -26 %. Per-type costs are left for later.
SLOW_TYPE_COST = 2.5

# Without measurements: a desktop/laptop DDR4/DDR5 core reaches roughly 8-12 GB/s of read
# bandwidth on its own and a dual-channel system 40-60 GB/s in all; a core with AVX2+FMA
# does about 30 GFLOP/s of f32 matmul in practice (double with AVX-512).
DEFAULT_BANDWIDTH_PER_THREAD = 10e9
DEFAULT_BANDWIDTH_CAP = 60e9
# Where the record states the memory's theoretical bandwidth (an imported profile, the
# hardware database), the cap is that x the share a read kernel typically reaches.
THEORETICAL_BANDWIDTH_SHARE = 0.7
DEFAULT_FLOPS_PER_THREAD = 30e9


def _probe_shape(n_layers: int, n_embd: int, n_ff: int) -> Shape:
    """A llama-architecture probe: 16 heads of 128, 4 KV heads, a 2048-token vocabulary."""
    return Shape(
        arch="llama",
        n_layers=n_layers,
        n_embd=n_embd,
        n_ff=n_ff,
        n_head=16,
        n_head_kv=4,
        head_dim=128,
        vocab=2048,
        tied=True,
        context_length=8192,
    )


# The order matters: _probe_runs takes the overhead probe first.
PROBE_SHAPES = {"overhead": _probe_shape(16, 256, 512), "bandwidth": _probe_shape(8, 2048, 8192)}
PROBE_PROMPT = 128
PROBE_GEN = 32
PROBE_DEPTH = 1024

Progress = Callable[[str], None]


# ---- tier 2 and 3: the prior from kernels or defaults -----------------------------------------


def kernel_figure(hw: Hardware | dict[str, Any], kernel: str, threads: int) -> float | None:
    """The kernel's median at ``threads``; between measured counts, scaled linearly from the
    nearest count below (bandwidth per thread saturates, so never extrapolate upward far)."""
    rows = [
        (m["threads"], m["stats"]["median"])
        for m in _measurements(hw)
        if m.get("kernel") == kernel
        and m.get("device", "CPU") == "CPU"
        and m.get("threads")
        and (m.get("stats") or {}).get("median")
    ]
    if not rows:
        return None
    exact = [value for t, value in rows if t == threads]
    if exact:
        return float(exact[0])
    below = [(t, value) for t, value in rows if t < threads]
    if below:
        t, value = max(below)
        return float(value) * (1 + 0.5 * (threads - t) / t)  # half-linear gain, conservative
    t, value = min(rows)
    return float(value) * threads / t


def _measurements(hw: Hardware | dict[str, Any]) -> list[dict[str, Any]]:
    data = as_record(hw)
    return [m for m in data.get("measurements") or [] if isinstance(m, dict)]


def prior_params(
    hw: Hardware | dict[str, Any], threads: int, per_thread_bandwidth: float | None = None
) -> SpeedParams:
    """Tier 2 (kernels x fitted efficiency) when the record has kernel measurements, else
    tier 3 (per-thread defaults: ``per_thread_bandwidth`` where the profile corpus has
    taught one, see ``sizer.profiles.learn``, else the documented figure)."""
    hw = as_record(hw)  # once: the helpers below read it several times
    bandwidth = kernel_figure(hw, "memory_read_bandwidth", threads)
    flops = kernel_figure(hw, "matmul_f32", threads)
    if bandwidth and flops:
        source = f"kernels at {threads} thread(s) x fitted efficiency"
    else:
        per_thread = per_thread_bandwidth or DEFAULT_BANDWIDTH_PER_THREAD
        bandwidth = min(per_thread * threads, _bandwidth_cap(hw))
        flops = DEFAULT_FLOPS_PER_THREAD * threads * (2 if _has_avx512(hw) else 1)
        defaults = (
            f"defaults, {per_thread / 1e9:.0f} GB/s per thread learnt from profiles"
            if per_thread_bandwidth
            else "documented defaults"
        )
        source = f"{defaults} (no kernel measurements: run 'sizer probe --measure')"
    e = KERNEL_EFFICIENCY
    return SpeedParams(
        threads=threads,
        bandwidth_bytes_s=bandwidth * e["bandwidth"],
        decode_attn_flop_s=flops * e["decode_attn"],
        decode_layer_s=DEFAULT_LAYER_S["decode"],
        matmul_flop_s=flops * e["matmul"],
        prefill_attn_flop_s=flops * e["prefill_attn"],
        prefill_layer_s=DEFAULT_LAYER_S["prefill"],
        source=source,
        confidence="estimated",
        fast_types=fast_matmul_types(hw),
        slow_type_cost=SLOW_TYPE_COST,
    )


def _bandwidth_cap(hw: dict[str, Any]) -> float:
    theoretical = (hw.get("memory") or {}).get("theoretical_bandwidth_bytes_s")
    if isinstance(theoretical, int | float) and theoretical > 0:
        return theoretical * THEORETICAL_BANDWIDTH_SHARE
    return DEFAULT_BANDWIDTH_CAP


def fast_matmul_types(hw: Hardware | dict[str, Any]) -> tuple[str, ...]:
    """Weight types llama.cpp repacks for its fast GEMM on this CPU (sizer.estimate knows
    which: the same repacking holds their second copy in memory)."""
    from sizer.estimate import repacked_types

    cpu = as_record(hw).get("cpu") or {}
    return tuple(sorted(t.name for t in repacked_types(cpu.get("isa") or {}, cpu.get("arch"))))


def _has_avx512(hw: Hardware | dict[str, Any]) -> bool:
    return bool(((as_record(hw).get("cpu") or {}).get("isa") or {}).get("avx512f"))


# ---- tier 1: runs measured on this machine ----------------------------------------------------


def observations(
    records: Iterable[dict[str, Any]], hw: Hardware | dict[str, Any], threads: int
) -> list[Observation]:
    """Finished llama.cpp CPU runs from this machine at ``threads``, as fit observations."""
    machine = fingerprint(hw)
    found = []
    for rec in records:
        if usable_run(rec, machine, threads):
            shape = shape_of_run(rec)
            if shape is not None:
                found.append(run_observation(rec, shape))
    return found


# The cache key names SpeedShape's fields, so a sizer with a different speed model never
# reads shapes an older one cached.
SPEED_SHAPE_FACT = "speed_shape:" + ",".join(f.name for f in fields(SpeedShape))


def shape_of_run(rec: dict[str, Any]) -> SpeedShape | None:
    """The speed shape of the file a run measured (cached by its header hash); None when
    the file is gone or has changed since."""
    from sizer import filefacts
    from sizer.models.resolve import resolve

    config = rec.get("config") or {}
    sha = config.get("header_sha256")

    def compute() -> dict[str, Any]:
        from sizer.bench.plan import model_identity

        resolved = resolve(config["model_path"])
        if model_identity(resolved)["header_sha256"] != sha:
            raise ValueError("the file has changed since it was measured")
        return asdict(speed_shape(resolved.memory))

    try:
        return SpeedShape(**filefacts.cached(SPEED_SHAPE_FACT, sha, compute))
    except Exception:  # moved, deleted or replaced: the run cannot be used
        return None


UNSTABLE_CV = 0.10  # a run disturbed by other work on the machine does not calibrate


def usable_run(rec: dict[str, Any], machine: str, threads: int, steady_only: bool = True) -> bool:
    """A finished llama.cpp CPU run from this machine at ``threads``, with the defaults the
    speed model describes (f16 KV cache, no flash attention), and unless ``steady_only`` is
    off, steady (the calibration's own probe runs are used however noisy: their medians
    are all there is)."""
    config = rec.get("config") or {}
    measurement = config.get("measurement") or {}
    metrics = rec.get("metrics") or {}
    spread = max((metrics.get(k) or {}).get("cv") or 0.0 for k in ("decode_tok_s", "prefill_tok_s"))
    return (spread <= UNSTABLE_CV or not steady_only) and (
        rec.get("format") == "sizer.run"
        and rec.get("kind") != "tasks"
        and rec.get("status") == "ok"
        and config.get("backend") == "llama.cpp"
        and config.get("device") == "CPU"
        and config.get("threads") == threads
        and measurement.get("kv_type", "f16") == "f16"
        and not measurement.get("flash_attn")
        and fingerprint(rec.get("hardware") or {}) == machine
    )


def run_observation(rec: dict[str, Any], shape: SpeedShape) -> Observation:
    metrics, config = rec["metrics"], rec["config"]
    return Observation(
        shape=shape,
        depth=config["depth"],
        prompt=config["measurement"]["prompt_tokens"],
        decode_tok_s=metrics["decode_tok_s"]["median"],
        prefill_tok_s=metrics["prefill_tok_s"]["median"],
    )


# ---- running the calibration ------------------------------------------------------------------


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
    prior = prior_params(hw, threads)
    try:
        records = _probe_runs(hw, threads, say, resume=not fresh)
        params = fit_probes(records, prior, threads)
    except (SizerError, OSError) as exc:
        say(
            f"probe runs failed ({exc}); using the kernels x fitted efficiency "
            "(--recalibrate tries again)"
        )
        params = prior
    store(hw, params)
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
    hw: Hardware, threads: int, say: Progress, resume: bool = True
) -> list[dict[str, Any]]:
    from sizer.bench import BenchRequest, run_bench
    from sizer.bench.config import Measurement

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
    machine = fingerprint(hw)
    from sizer.bench.results import load

    return [
        r
        for r in load(runs_path())
        if usable_run(r, machine, threads, steady_only=False)
        and Path(r["config"]["model_path"]).name.startswith("sizer-")
    ]


def fit_probes(records: list[dict[str, Any]], prior: SpeedParams, threads: int) -> SpeedParams:
    """Per-layer overheads from the overhead probe at depth 0 (its bytes and FLOPs are
    negligible: what remains is per-layer cost), then bandwidth and attention throughputs
    fitted to the bandwidth probe at depth 0 and the overhead probe at depth 1024."""
    by_name: dict[tuple[str, int], Observation] = {}
    for rec in records:
        name = "overhead" if "overhead" in rec["config"]["model_path"] else "bandwidth"
        shape = shape_of_run(rec)
        if shape is not None:
            by_name[(name, rec["config"]["depth"])] = run_observation(rec, shape)
    needed = [("overhead", 0), ("overhead", PROBE_DEPTH), ("bandwidth", 0)]
    missing = [f"{n} probe at depth {d}" for n, d in needed if (n, d) not in by_name]
    if missing:
        raise SizerError(f"calibration runs missing: {', '.join(missing)}")
    with_overheads = overheads_from(by_name[("overhead", 0)], prior)
    return fit_params(
        [by_name[("overhead", PROBE_DEPTH)], by_name[("bandwidth", 0)]],
        with_overheads,
        f"calibrated here: probe models at {threads} thread(s)",
    )


def overheads_from(tiny: Observation, prior: SpeedParams) -> SpeedParams:
    """Per-layer overheads: the tiny model's token time less what its bytes and FLOPs
    explain at the prior's rates, over its layers (never below zero)."""
    from dataclasses import replace

    from sizer.speed import decode_s_per_token, prefill_s_per_token

    zero = replace(prior, decode_layer_s=0.0, prefill_layer_s=0.0)
    layers = tiny.shape.n_layers
    decode = (1 / tiny.decode_tok_s - decode_s_per_token(tiny.shape, zero, tiny.depth)) / layers
    prefill = (
        1 / tiny.prefill_tok_s - prefill_s_per_token(tiny.shape, zero, tiny.depth, tiny.prompt)
    ) / layers
    return replace(prior, decode_layer_s=max(decode, 0.0), prefill_layer_s=max(prefill, 0.0))

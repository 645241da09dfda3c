"""What the corpus teaches the speed model about a machine.

For every CPU run in the corpus, the prior (``sizer.speed.prior.prior_params``: the machine's
kernel measurements x fitted efficiencies, else documented per-core defaults) predicts its
decode and prefill speed; measured / predicted is that machine's correction. For a target
machine:

- a profile of the *same hardware* (``sizer.hardware.identity``, RAM aside) gives its own
  correction: confidence "measured";
- otherwise the profiled machines calibrate the prior's figures that matter most for an
  unknown CPU: how fast one core decodes and prefills, per core class and per cycle
  (``learned_core_rates``, ``sizer.speed.cores``; 3 machines at least): "calibrated";
- without either, the prior stands: "estimated".

Why not corrections from *similar* machines (same architecture, vendor, vector width)? That
was built first and measured with ``make bench-profiles`` (leave one machine out, 13
machines): it moved the median decode error from 42 % to 30-33 % but the mean up, because a
two-socket server and a laptop are both "x86 AMD"; one learnt per-thread figure alone gave
42 % -> 27 % (mean 53 % -> 40 %). The simpler, better-measured rule stays.

A correction scales every decode (or prefill) term of the prior alike, so the corrected
prediction is the prior's times the correction. Corrections are ratios, so they carry
across thread counts and models (the prior already accounts for both).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sizer.hardware.identity import hardware_key, identity, machine_label, same_hardware
from sizer.speed.cores import CoreRates, learn_rates, streaming_threads
from sizer.speed.model import SpeedParams, SpeedShape, matmul_work, predict

if TYPE_CHECKING:  # the corpus is read by sizer.profiles; this module only learns from it
    from sizer.profiles.corpus import Corpus


@dataclass(frozen=True)
class CorpusRun:
    machine: str  # hardware_key
    label: str
    hardware: dict[str, Any]
    threads: int
    shape: SpeedShape
    depth: int
    prompt: int
    decode_tok_s: float | None
    prefill_tok_s: float | None
    model: str


@dataclass(frozen=True)
class Correction:
    decode: float | None  # None: nothing learnt about it (the prior stands)
    prefill: float | None
    confidence: str  # "measured", "calibrated", or "estimated" (learnt defaults only)
    basis: str  # which machines, in words
    core_rates: CoreRates | None = None  # the per-core rates the prior was given, learnt


def corpus_runs(corpus: Corpus) -> list[CorpusRun]:
    """llama.cpp CPU runs with a speed shape and a decode or prefill figure."""
    out = []
    for _, profile in corpus.profiles:
        hw = profile["hardware"]
        for run in profile["runs"]:
            found = _corpus_run(run, hw, profile)
            if found is not None:
                out.append(found)
    return out


def _corpus_run(run: dict[str, Any], hw: dict[str, Any], profile: dict[str, Any]):
    backend, config, metrics = run["backend"], run["config"], run["metrics"]
    shape = (run["model"] or {}).get("speed_shape")
    if backend.get("name") != "llama.cpp" or (backend.get("device") or "CPU") != "CPU":
        return None
    if shape is None or config.get("kv_type", "f16") != "f16":
        return None
    decode, prefill = steady(metrics, "decode_tok_s"), steady(metrics, "prefill_tok_s")
    if not decode and not prefill:
        return None
    return CorpusRun(
        machine=hardware_key(hw),
        label=machine_label(hw),
        hardware=hw,
        threads=config["threads"],
        shape=run_shape(run["model"]),
        depth=mean_depth(config, decode),
        prompt=config.get("prompt_tokens") or 512,
        decode_tok_s=decode,
        prefill_tok_s=prefill,
        model=run["model"].get("catalog_id") or run["model"]["file_name"],
    )


def run_shape(model: dict[str, Any]) -> SpeedShape:
    """A profile run's speed shape. Shapes imported from llama-bench's labels do not say
    whether the model is a mixture of experts; a token that reads under half the file does."""
    fields = {k: v for k, v in model["speed_shape"].items() if k != "source"}
    size = model.get("size_bytes")
    if "sparse" not in fields and isinstance(size, int | float) and size > 0:
        fields["sparse"] = fields["decode_weight_bytes"] < 0.5 * size
    return SpeedShape(**fields)


def mean_depth(config: dict[str, Any], decode: float | None) -> int:
    """The KV depth a run's figure is an average over: a decode figure (llama-bench's tgN)
    averages N tokens generated after ``depth``, so the cache holds depth + N/2 on average;
    tg8192 is far from an empty cache. A prefill figure's own prompt is counted by the
    speed model (``prefill_features``)."""
    depth = config.get("depth") or 0
    return depth + (config.get("gen_tokens") or 0) // 2 if decode else depth


def steady(metrics: dict[str, Any], name: str) -> float | None:
    """The median, unless the run was disturbed (CV above the calibration's limit)."""
    from sizer.speed.observe import UNSTABLE_CV

    stats = metrics.get(name) or {}
    return None if (stats.get("cv") or 0.0) > UNSTABLE_CV else stats.get("median")


def prior_for(hw: dict[str, Any], threads: int, rates: CoreRates | None = None) -> SpeedParams:
    from sizer.speed.prior import prior_params

    return prior_params(hw, threads, rates)


# Runs that say how fast one core streams memory: a model large enough to be memory-bound
# (>= 1 GB per token), at a shallow cache, on few threads (before the memory controller saturates).
BANDWIDTH_RUN_MIN_BYTES = 1e9
SHALLOW_DEPTH = 256  # llama-bench's tg128 averages over a cache of 64 tokens: shallow
BANDWIDTH_RUN_MAX_THREADS = 4
MIN_MACHINES_FOR_DEFAULTS = 3
# Prefill runs that say what a core's matmul kernels reach: llama-bench's pp512 and shorter
# (attention at a longer prompt is a cost of its own).
SHORT_PROMPT = 512


def learned_core_rates(runs: list[CorpusRun]) -> CoreRates | None:
    """What one core reaches, as the prior counts it (before its efficiency factors), per core
    class and per cycle (``sizer.speed.cores``): decode bytes streamed per second, from the
    corpus's few-thread decode runs of models large enough to be dominated by their weights,
    and prefill FLOP/s of fast-kernel weight types, from its short-prompt prefill runs. Each
    machine's own median first, then medians over machines. The documented defaults (10 GB/s,
    30 GFLOP/s) are a 2018 laptop core's; the corpus says what cores reach now."""
    from sizer.speed.prior import KERNEL_EFFICIENCY, SLOW_TYPE_COST, fast_matmul_types

    decode: dict[str, list[float]] = {}
    prefill: dict[str, list[float]] = {}
    hardware: dict[str, dict[str, Any]] = {}
    for run in runs:
        streaming = streaming_threads(run.hardware, run.threads)
        hardware[run.machine] = run.hardware
        if (
            run.decode_tok_s
            and not run.shape.sparse
            and run.depth <= SHALLOW_DEPTH
            and run.threads <= BANDWIDTH_RUN_MAX_THREADS
            and run.shape.decode_weight_bytes >= BANDWIDTH_RUN_MIN_BYTES
        ):
            rate = run.decode_tok_s * run.shape.decode_weight_bytes / streaming
            decode.setdefault(run.machine, []).append(rate / KERNEL_EFFICIENCY["bandwidth"])
        if run.prefill_tok_s and run.depth == 0 and run.prompt <= SHORT_PROMPT:
            kinds = fast_matmul_types(run.hardware), SLOW_TYPE_COST
            flops = 2 * matmul_work(run.shape, *kinds) * run.prefill_tok_s / streaming
            prefill.setdefault(run.machine, []).append(flops / KERNEL_EFFICIENCY["matmul"])
    if len(decode) < MIN_MACHINES_FOR_DEFAULTS:
        return None
    return CoreRates(
        decode=learn_rates([(hardware[m], statistics.median(v)) for m, v in decode.items()]),
        prefill=learn_rates(
            [(hardware[m], statistics.median(v)) for m, v in prefill.items()], "FLOP"
        )
        if len(prefill) >= MIN_MACHINES_FOR_DEFAULTS
        else None,
    )


def ratios(run: CorpusRun, rates: CoreRates | None = None) -> tuple[float | None, float | None]:
    """(decode, prefill) measured / prior-predicted for one run."""
    prior = prior_for(run.hardware, run.threads, rates)
    predicted = predict(run.shape, prior, depth=run.depth, prompt=run.prompt)
    decode = run.decode_tok_s / predicted.decode_tok_s if run.decode_tok_s else None
    prefill = run.prefill_tok_s / predicted.prefill_tok_s if run.prefill_tok_s else None
    return decode, prefill


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v]
    return statistics.median(present) if present else None


def correction(hw: dict[str, Any], runs: list[CorpusRun]) -> Correction | None:
    """What the corpus says about ``hw``: its own profile's correction ("measured"), else the
    per-thread bandwidth the profiled machines show ("calibrated"), else nothing."""
    if not runs:
        return None
    rates = learned_core_rates(runs)
    target = identity(hw)
    # a mixture of experts' slower streaming is its own term (sizer.speed.sparse), not the
    # machine's: only dense runs say how this hardware differs from the prior
    mine = [r for r in runs if not r.shape.sparse and same_hardware(target, identity(r.hardware))]
    if mine:  # only this machine's ratios are needed: a fleet asks once per configuration
        pairs = [ratios(run, rates) for run in mine]
        decode, prefill = _median([d for d, _ in pairs]), _median([p for _, p in pairs])
        basis = f"profile of this hardware ({mine[0].label})"
        return Correction(decode, prefill, "measured", basis, rates)
    if rates is None:
        return None
    machines = len({r.machine for r in runs})
    basis = f"per-core rates learnt from {machines} profiled machines"
    return Correction(None, None, "calibrated", basis, rates)


def corrected(params: SpeedParams, fix: Correction) -> SpeedParams:
    """``params`` with every decode term scaled by the decode correction, every prefill term
    by the prefill one (a missing correction leaves its terms as they are)."""
    if fix.decode is None and fix.prefill is None:  # only the learnt per-thread figure
        return replace(params, confidence=fix.confidence)
    decode, prefill = fix.decode or 1.0, fix.prefill or 1.0
    return replace(
        params,
        bandwidth_bytes_s=params.bandwidth_bytes_s * decode,
        decode_attn_flop_s=params.decode_attn_flop_s * decode,
        decode_layer_s=params.decode_layer_s / decode,
        matmul_flop_s=params.matmul_flop_s * prefill,
        prefill_attn_flop_s=params.prefill_attn_flop_s * prefill,
        prefill_layer_s=params.prefill_layer_s / prefill,
        source=f"{params.source}, corrected by {fix.basis} (decode x{decode:.2f}, "
        f"prefill x{prefill:.2f})",
        confidence=fix.confidence,
    )


def params_from_corpus(hw: dict[str, Any], threads: int, corpus: Corpus) -> SpeedParams:
    """The prior for ``hw`` at ``threads`` (with the corpus's per-thread bandwidth), corrected
    by the corpus where it can be."""
    return params_from_runs(hw, threads, corpus_runs(corpus))


def params_from_runs(hw: dict[str, Any], threads: int, runs: list[CorpusRun]) -> SpeedParams:
    """``params_from_corpus`` over a chosen set of corpus runs (an evaluation's training set)."""
    fix = correction(hw, runs)
    prior = prior_for(hw, threads, fix.core_rates if fix else None)
    return corrected(prior, fix) if fix else prior

"""What the corpus teaches the speed model about a machine.

For every CPU run in the corpus, the prior (``sizer.calibrate.prior_params``: the machine's
kernel measurements x fitted efficiencies, else documented per-core defaults) predicts its
decode and prefill speed; measured / predicted is that machine's correction. For a target
machine:

- a profile of the *same hardware* (same CPU model and cores, same GPU) gives its own
  correction: confidence "measured";
- otherwise *similar hardware* does — the machines of the same architecture, vendor and
  vector width (AVX-512 or not) if any, else of the same architecture — the median of their
  per-machine corrections, but only where at least two such machines agree within a factor
  of ``AGREEMENT`` (machines that disagree more say nothing reliable about a third: a
  two-socket server and a laptop are both "x86 AMD"): confidence "calibrated";
- without either, the prior stands: "estimated".

A correction scales every decode (or prefill) term of the prior alike, so the corrected
prediction is the prior's times the correction. Corrections are ratios, so they carry
across thread counts and models (the prior already accounts for both).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import Any

from sizer.profiles.corpus import Corpus
from sizer.profiles.format import hardware_key, machine_label
from sizer.speed import SpeedParams, SpeedShape, predict


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
    confidence: str  # "measured" or "calibrated"
    basis: str  # which machines, in words


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
    decode, prefill = _steady(metrics, "decode_tok_s"), _steady(metrics, "prefill_tok_s")
    if not decode and not prefill:
        return None
    fields = {k: v for k, v in shape.items() if k != "source"}
    return CorpusRun(
        machine=hardware_key(hw),
        label=machine_label(profile),
        hardware=hw,
        threads=config["threads"],
        shape=SpeedShape(**fields),
        depth=config.get("depth") or 0,
        prompt=config.get("prompt_tokens") or 512,
        decode_tok_s=decode,
        prefill_tok_s=prefill,
        model=run["model"].get("catalog_id") or run["model"]["file_name"],
    )


def _steady(metrics: dict[str, Any], name: str) -> float | None:
    """The median, unless the run was disturbed (CV above the calibration's limit)."""
    from sizer.calibrate import UNSTABLE_CV

    stats = metrics.get(name) or {}
    return None if (stats.get("cv") or 0.0) > UNSTABLE_CV else stats.get("median")


def prior_for(hw: dict[str, Any], threads: int) -> SpeedParams:
    from sizer.calibrate import prior_params

    return prior_params(hw, threads)


def ratios(run: CorpusRun) -> tuple[float | None, float | None]:
    """(decode, prefill) measured / prior-predicted for one run."""
    predicted = predict(run.shape, prior_for(run.hardware, run.threads), depth=run.depth,
                        prompt=run.prompt)  # fmt: skip
    decode = run.decode_tok_s / predicted.decode_tok_s if run.decode_tok_s else None
    prefill = run.prefill_tok_s / predicted.prefill_tok_s if run.prefill_tok_s else None
    return decode, prefill


def machine_corrections(runs: list[CorpusRun]) -> dict[str, tuple[float | None, float | None]]:
    """Per machine: the median decode and prefill correction over its runs."""
    by_machine: dict[str, list[tuple[float | None, float | None]]] = {}
    for run in runs:
        by_machine.setdefault(run.machine, []).append(ratios(run))
    return {m: (_median([d for d, _ in rs]), _median([p for _, p in rs]))
            for m, rs in by_machine.items()}  # fmt: skip


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v]
    return statistics.median(present) if present else None


AGREEMENT = 2.0  # largest / smallest correction of the similar machines
MIN_SIMILAR = 2


def agreed(values: list[float | None]) -> float | None:
    present = [v for v in values if v]
    if len(present) < MIN_SIMILAR or max(present) / min(present) > AGREEMENT:
        return None
    return statistics.median(present)


def family(hw: dict[str, Any]) -> tuple[str, str, bool]:
    cpu = hw.get("cpu") or {}
    arch = str(cpu.get("arch") or "x86_64").lower().replace("arm64", "aarch64")
    brand = str(cpu.get("brand") or "").lower()
    vendor = next((v for v in ("amd", "intel", "apple", "qualcomm") if v in brand), "other")
    if vendor == "other" and "snapdragon" in brand:
        vendor = "qualcomm"
    return arch, vendor, bool((cpu.get("isa") or {}).get("avx512f"))


def correction(hw: dict[str, Any], runs: list[CorpusRun]) -> Correction | None:
    if not runs:
        return None
    corrections = machine_corrections(runs)
    target = hardware_key(hw)
    if target in corrections:
        decode, prefill = corrections[target]
        label = next(r.label for r in runs if r.machine == target)
        return _correction(decode, prefill, "measured", f"profile of this hardware ({label})")
    families = {r.machine: family(r.hardware) for r in runs}
    mine = family(hw)
    for same, words in ((lambda f: f == mine, "same architecture, vendor and vector width"),
                        (lambda f: f[0] == mine[0], "same architecture")):  # fmt: skip
        similar = [m for m, f in families.items() if same(f)]
        if similar:
            decode = agreed([corrections[m][0] for m in similar])
            prefill = agreed([corrections[m][1] for m in similar])
            basis = f"{len(similar)} profiled machine(s) of the {words}"
            return _correction(decode, prefill, "calibrated", basis)
    return None


def _correction(decode, prefill, confidence: str, basis: str) -> Correction | None:
    if decode is None and prefill is None:
        return None
    return Correction(decode, prefill, confidence, basis)


def corrected(params: SpeedParams, fix: Correction) -> SpeedParams:
    """``params`` with every decode term scaled by the decode correction, every prefill term
    by the prefill one (a missing correction leaves its terms as they are)."""
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
    """The prior for ``hw`` at ``threads``, corrected by the corpus where it can be."""
    prior = prior_for(hw, threads)
    fix = correction(hw, corpus_runs(corpus))
    return corrected(prior, fix) if fix else prior

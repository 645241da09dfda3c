"""The calibration's design and its fit (pure): two small shape-only probe models whose
llama.cpp runs pin down the speed model's figures for this machine.

- the *overhead probe* has tiny matrices and many attention heads: at depth 0 its token
  time is llama.cpp's per-layer overhead (barriers, small ops, the graph), at depth 1024
  it is dominated by attention over the cache;
- the *bandwidth probe* has 2048-wide layers (~0.3 GB): its decode is memory-bound and its
  prefill matmul-bound, like any larger model's.

The runs themselves are ``sizer.bench.calibration``'s business (worker processes like any
``sizer bench`` run); the result is cached by ``sizer.speed.cache``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sizer.errors import SizerError
from sizer.models.shapes import Shape
from sizer.speed.model import (
    Observation,
    SpeedParams,
    decode_s_per_token,
    fit_params,
    prefill_s_per_token,
)
from sizer.speed.observe import run_observation, shape_of_run


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
    zero = replace(prior, decode_layer_s=0.0, prefill_layer_s=0.0)
    layers = tiny.shape.n_layers
    decode = (1 / tiny.decode_tok_s - decode_s_per_token(tiny.shape, zero, tiny.depth)) / layers
    prefill = (
        1 / tiny.prefill_tok_s - prefill_s_per_token(tiny.shape, zero, tiny.depth, tiny.prompt)
    ) / layers
    return replace(prior, decode_layer_s=max(decode, 0.0), prefill_layer_s=max(prefill, 0.0))

"""How much slower a mixture of experts streams its weights than a dense model.

The speed model counts only a MoE token's routed experts as streamed (``SpeedShape``), which
is what it reads; but the published runs decode 43-137 % slower than those bytes at the
machine's dense rate say, on CPUs and GPUs alike (Qwen3-30B-A3B on two EPYC runners, an Azure
Cobalt and a Radeon 8060S, Qwen3-235B-A22B on an M1 Ultra): each expert is a small matrix
reached through an index, so the kernels stream it in short runs with less reuse than a whole
layer's weights. One figure for it, ``sparse_stream_cost``: the factor on a sparse model's
streaming time, the median over machines of what each MoE run needs, given everything else
the model predicts for it (the machine's dense figures, fitted without MoE runs). One figure
for every device, because the corpus has too few MoE machines to fit one per class; a figure
needs ``MIN_MACHINES`` machines, else there is none (1.0).

``make bench-unseen`` fits it on each split's training runs to score, and on the whole corpus
for what sizer uses (stored beside the GPU efficiencies, ``gpu_efficiency.json``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from sizer.speed.model import SpeedParams, SpeedShape, decode_features, decode_s_per_token
from sizer.speed.tables import packaged_table

if TYPE_CHECKING:
    from sizer.speed.corpus import CorpusRun
    from sizer.speed.gpu_fit import GpuRun

MIN_MACHINES = 3


@dataclass(frozen=True)
class SparseRun:
    """One MoE decode figure and the dense figures predicted for its machine."""

    machine: str
    shape: SpeedShape
    params: SpeedParams  # at sparse_stream_cost 1
    depth: int
    decode_tok_s: float


def needed_cost(run: SparseRun) -> float | None:
    """The streaming-time factor that makes the prediction meet the measured decode."""
    dense = replace(run.params, sparse_stream_cost=1.0)
    streamed = decode_features(run.shape, run.depth)[0] / dense.bandwidth_bytes_s
    rest = decode_s_per_token(run.shape, dense, run.depth) - streamed
    cost = (1.0 / run.decode_tok_s - rest) / streamed
    return cost if cost > 0 else None


def fit_cost(runs: list[SparseRun]) -> float | None:
    """The median over machines (each machine's own median first), or None with fewer than
    MIN_MACHINES machines."""
    by_machine: dict[str, list[float]] = {}
    for run in runs:
        if run.shape.sparse and (cost := needed_cost(run)) is not None:
            by_machine.setdefault(run.machine, []).append(cost)
    if len(by_machine) < MIN_MACHINES:
        return None
    return statistics.median(statistics.median(v) for v in by_machine.values())


def with_cost(params: SpeedParams, cost: float | None) -> SpeedParams:
    return params if cost is None else replace(params, sparse_stream_cost=cost)


@cache
def committed_cost() -> float | None:
    """What ``make bench-unseen`` fitted on the whole corpus (None: too few MoE machines)."""
    from sizer.speed.gpu_fit import EFFICIENCY_FORMAT, EFFICIENCY_VERSION

    table = packaged_table("gpu_efficiency.json", EFFICIENCY_FORMAT, EFFICIENCY_VERSION)
    return (table.get("sparse") or {}).get("stream_cost")


def corpus_cost(cpu: list[CorpusRun], gpu: list[GpuRun]) -> float | None:
    """The cost fitted on the MoE decode runs among ``cpu`` and ``gpu``, each predicted from
    the same runs as sizer would predict its machine (the corpus's per-core rates and
    same-hardware corrections, the GPU class's efficiencies; all fitted on dense runs)."""
    from sizer.speed.corpus import params_from_runs
    from sizer.speed.devices import gpu_params
    from sizer.speed.gpu_fit import fit

    runs = [
        SparseRun(r.machine, r.shape, params_from_runs(r.hardware, r.threads, cpu), r.depth, tok_s)
        for r in cpu
        if r.shape.sparse and (tok_s := r.decode_tok_s)
    ]
    fits = {cls: fit(gpu, cls) for cls in {r.gpu_class for r in gpu if r.shape.sparse}}
    for r in gpu:
        if r.shape.sparse and r.decode_tok_s and r.figures is not None:
            eff = fits[r.gpu_class]
            params = gpu_params(r.figures, eff.bandwidth_fraction, r.gpu, eff.layer_s)
            runs.append(SparseRun(r.machine, r.shape, params, r.depth, r.decode_tok_s))
    return fit_cost(runs)

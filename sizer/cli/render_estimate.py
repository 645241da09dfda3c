"""Plain-text memory breakdown and the fits / does-not-fit verdict."""

from __future__ import annotations

from sizer.estimate import MemoryEstimate
from sizer.models.resolve import ResolvedModel
from sizer.models.spec import SHAPE_ONLY_LABEL
from sizer.units import gib


def fit_verdict(total: int, available: int | None) -> str:
    if available is None:
        return "unknown: available memory could not be read"
    headroom = available - total
    if headroom < 0:
        return f"does not fit: needs {gib(-headroom)} more than the {gib(available)} available"
    return f"fits with {gib(headroom)} headroom (of {gib(available)} available)"


def render_estimate(model: ResolvedModel, est: MemoryEstimate, verdict: str) -> str:
    label = f"  [{SHAPE_ONLY_LABEL}]" if model.shape_only else ""
    rows = [
        ("weights (memory-mapped)", est.weights_bytes),
        ("repacked weights (CPU copy)", est.repack_bytes),
        (f"KV cache ({est.kv_type}, {est.n_ctx} tokens)", est.kv_bytes),
        ("compute buffers (touched)", est.compute_bytes),
        ("output logits", est.output_bytes),
        ("runtime (Python, llama.cpp, tokenizer)", est.runtime_bytes),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{model.label} ({model.source}, {model.file_type or '?'}){label}", ""]
    lines += [f"  {name.ljust(width)}  {gib(value):>10}" for name, value in rows]
    lines += [f"  {'total'.ljust(width)}  {gib(est.total_bytes):>10}", "", verdict]
    return "\n".join(lines)

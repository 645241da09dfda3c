"""How fast a model will decode and prefill on a machine (pure functions).

The model, per thread count (every figure below is "effective", i.e. what llama.cpp
reaches, not what a spec sheet says):

- decode, seconds per token at KV depth ``d``::

      weight bytes streamed / bandwidth (x sparse_stream_cost for a mixture of experts)
      + attention FLOPs at d / attention throughput
      + layers x per-layer overhead

  CPU decode streams every weight once per token (memory-bound); without flash attention
  the attention over every cached position runs well below memory speed (reading the
  cache is part of that term) — at depth 4096 it is a quarter to a third of a 1.5B
  model's token time here. The per-layer overhead (thread barriers, small ops, the
  graph) is what makes tiny models slower than their bytes say.
- prefill, seconds per prompt token for a prompt of ``p`` tokens after ``d`` cached::

      2 x matmul weights / matmul throughput
      + attention FLOPs at (d + p/2) / attention throughput
      + layers x per-layer overhead

  where weights of types without llama.cpp's fast (repacked) GEMM on this CPU count
  ``slow_type_cost`` times (``SpeedParams.fast_types``).

- TTFT = p x prefill seconds per token (the first token's logits come out of the prefill),
  plus, on OpenVINO's iGPU and NPU, a fixed first-token cost and one pass over the weights.

Where the four throughputs and two overheads come from (``SpeedParams.source``) is the
calibration's business (``sizer.speed.sources``); this module only evaluates and fits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sizer.estimate import ModelMemoryShape, layer_bytes
from sizer.models.weights import output_is_tied, streamed_per_token


@dataclass(frozen=True)
class SpeedShape:
    """What the speed model needs to know about a model."""

    n_layers: int
    decode_weight_bytes: int  # streamed per decoded token
    matmul_params: int  # weights multiplied per prompt token (layers only)
    attn_macs_per_position: int  # QK and AV multiply-adds per query per cached position
    # matmul_params by ggml type: prefill speed depends on the type's kernel (see SpeedParams)
    matmul_params_by_type: dict[str, int] = field(default_factory=dict)
    # A mixture of experts: each token reads its routed experts' slices of the expert tensors
    # (decode_weight_bytes counts only those), which streams slower per byte than a dense
    # model's whole matrices (SpeedParams.sparse_stream_cost)
    sparse: bool = False


def _expert_share(name: str, dims: tuple[int, ...], n_expert_used: int) -> float:
    """MoE expert tensors ("..._exps") hold every expert; a token reads only the used ones."""
    if "_exps" in name and len(dims) == 3 and n_expert_used:
        return n_expert_used / dims[2]
    return 1.0


def speed_shape(model: ModelMemoryShape) -> SpeedShape:
    # A few hundred tensors for each of ~130 candidates on every recommendation: the
    # expert share is only worked out for expert tensors.
    tied = output_is_tied(t.name for t in model.tensors)
    streamed = 0.0
    by_type: dict[str, float] = {}
    for tensor in model.tensors:
        name, shape = tensor.name, tensor.shape
        share = _expert_share(name, shape, model.n_expert_used) if "_exps" in name else 1.0
        if streamed_per_token(name, tied):
            streamed += tensor.n_bytes * share
        if len(shape) >= 2 and name.startswith("blk."):
            kind = tensor.ggml_type
            by_type[kind] = by_type.get(kind, 0.0) + math.prod(shape) * share
    per_layer_heads = model.n_head * (model.head_dim_k + model.head_dim_v)
    return SpeedShape(
        n_layers=model.n_layers,
        decode_weight_bytes=int(streamed),
        matmul_params=int(sum(by_type.values())),
        attn_macs_per_position=per_layer_heads * model.n_layers,
        matmul_params_by_type={kind: int(n) for kind, n in sorted(by_type.items())},
        sparse=model.n_expert_used > 0,
    )


def layer_stream_bytes(model: ModelMemoryShape) -> list[int]:
    """Bytes each block streams per decoded token (MoE: its active experts only)."""
    return layer_bytes(model, lambda t: _expert_share(t.name, t.shape, model.n_expert_used))


@dataclass(frozen=True)
class SpeedParams:
    """Effective figures for one machine, runtime and thread count."""

    threads: int
    bandwidth_bytes_s: float
    decode_attn_flop_s: float
    decode_layer_s: float
    matmul_flop_s: float
    prefill_attn_flop_s: float
    prefill_layer_s: float
    source: str  # measured / calibrated / estimated, and from what
    confidence: str  # "calibrated" or "estimated"
    # Prefill runs at matmul_flop_s for these weight types ("*": all of them); others cost
    # slow_type_cost times as much. On x86 llama.cpp repacks Q4_0/Q4_K/IQ4_NL into an
    # interleaved layout with a fast GEMM kernel; the other types take the generic path.
    fast_types: tuple[str, ...] = ("*",)
    slow_type_cost: float = 1.0
    # Fixed costs outside the per-layer terms, for OpenVINO's devices (fitted per device class
    # on published runs, sizer.speed.openvino_fit): per decoded token, and for the first token,
    # which on those devices also reads every weight once when first_token_reads_weights.
    decode_token_s: float = 0.0
    first_token_s: float = 0.0
    first_token_reads_weights: bool = False
    # How many times longer a mixture of experts' routed weights take to stream than a dense
    # model's (sizer.speed.sparse: fitted on the corpus's MoE runs, CPU and GPU alike)
    sparse_stream_cost: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_source(self, source: str, confidence: str) -> SpeedParams:
        return replace(self, source=source, confidence=confidence)


def attention_flops(shape: SpeedShape, position: float) -> float:
    """QK and AV FLOPs of one query at ``position``, every layer over every cached token.
    llama-cpp-python keeps full-size caches for sliding-window layers (Gemma) and masks
    them; limiting those layers to their window predicted Gemma 3 270M at depth 4096
    20-30 % too fast, full attention 14-22 % too slow (benchmarks/speed_prediction.py)."""
    return 2.0 * shape.attn_macs_per_position * position


def decode_features(shape: SpeedShape, depth: int) -> tuple[float, float, float]:
    """Bytes, attention FLOPs and layers of one decoded token at KV depth ``depth``.
    Reading the KV cache is part of the attention term: without flash attention llama.cpp's
    CPU attention runs well below memory speed, so counting those bytes again as streamed
    would count them twice (and predicted decode at depth 4096 worse, benchmarked)."""
    return shape.decode_weight_bytes, attention_flops(shape, depth), float(shape.n_layers)


def matmul_work(
    shape: SpeedShape, fast_types: tuple[str, ...] = ("*",), slow_cost: float = 1.0
) -> float:
    """Weights multiplied per prompt token, those of slow-kernel types counted slow_cost times."""
    if "*" in fast_types or not shape.matmul_params_by_type:
        return float(shape.matmul_params)
    return float(
        sum(
            n if kind in fast_types else n * slow_cost
            for kind, n in shape.matmul_params_by_type.items()
        )
    )


def prefill_features(
    shape: SpeedShape,
    depth: int,
    prompt: int,
    fast_types: tuple[str, ...] = ("*",),
    slow_cost: float = 1.0,
) -> tuple[float, float, float]:
    """Matmul FLOPs (fast-kernel equivalent), attention FLOPs and layers per prompt token."""
    attn = attention_flops(shape, depth + prompt / 2)
    return 2.0 * matmul_work(shape, fast_types, slow_cost), attn, float(shape.n_layers)


def decode_s_per_token(shape: SpeedShape, params: SpeedParams, depth: int = 0) -> float:
    streamed, attn, layers = decode_features(shape, depth)
    return (
        streaming_s(shape, params, streamed)
        + attn / params.decode_attn_flop_s
        + layers * params.decode_layer_s
        + params.decode_token_s
    )


def streaming_s(shape: SpeedShape, params: SpeedParams, streamed: float) -> float:
    """Seconds to stream ``streamed`` bytes of ``shape``'s weights for one token."""
    cost = params.sparse_stream_cost if shape.sparse else 1.0
    return streamed * cost / params.bandwidth_bytes_s


def prefill_s_per_token(shape: SpeedShape, params: SpeedParams, depth: int, prompt: int) -> float:
    matmul, attn, layers = prefill_features(
        shape, depth, prompt, tuple(params.fast_types), params.slow_type_cost
    )
    return (
        matmul / params.matmul_flop_s
        + attn / params.prefill_attn_flop_s
        + layers * params.prefill_layer_s
    )


@dataclass(frozen=True)
class SpeedPrediction:
    decode_tok_s: float
    prefill_tok_s: float
    ttft_s: float
    source: str
    confidence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def predict(
    shape: SpeedShape, params: SpeedParams, *, depth: int = 0, prompt: int = 512
) -> SpeedPrediction:
    """Decode tok/s at ``depth``, prefill tok/s and TTFT for a ``prompt``-token prompt
    arriving after ``depth`` cached tokens."""
    per_prompt_token = prefill_s_per_token(shape, params, depth, prompt)
    fixed = params.first_token_s
    if params.first_token_reads_weights:
        fixed += shape.decode_weight_bytes / params.bandwidth_bytes_s
    return SpeedPrediction(
        decode_tok_s=1.0 / decode_s_per_token(shape, params, depth),
        prefill_tok_s=1.0 / per_prompt_token,
        ttft_s=prompt * per_prompt_token + fixed,
        source=params.source,
        confidence=params.confidence,
    )


def workload_speed(shape: SpeedShape, params: SpeedParams, prompt: int) -> SpeedPrediction:
    """A job's figures: TTFT and prefill for its prompt on an empty cache, and decode
    speed right after that prompt (at depth ``prompt``)."""
    first = predict(shape, params, depth=0, prompt=prompt)
    decode = 1.0 / decode_s_per_token(shape, params, prompt)
    return replace(first, decode_tok_s=decode)


# ---- fitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One measured run: a model at a depth and prompt length, and its speeds."""

    shape: SpeedShape
    depth: int
    prompt: int
    decode_tok_s: float | None
    prefill_tok_s: float | None


def _solve_two(rows: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    """Least squares for t = a*x1 + b*x2 with rows (x1, x2, t), residuals relative to t;
    None when the rows do not determine both (one depth only)."""
    s11 = s12 = s22 = r1 = r2 = 0.0
    for x1, x2, t in rows:
        w = 1.0 / (t * t)
        s11, s12, s22 = s11 + w * x1 * x1, s12 + w * x1 * x2, s22 + w * x2 * x2
        r1, r2 = r1 + w * x1 * t, r2 + w * x2 * t
    det = s11 * s22 - s12 * s12
    if len(rows) < 2 or det <= 1e-12 * s11 * s22:
        return None
    return (r1 * s22 - r2 * s12) / det, (s11 * r2 - s12 * r1) / det


def _solve_one(rows: list[tuple[float, float]]) -> float:
    """Least squares for t = a*x with rows (x, t), residuals relative to t."""
    num = sum(x / t for x, t in rows)
    den = sum((x / t) ** 2 for x, t in rows)
    return num / den


def fit_params(observations: list[Observation], prior: SpeedParams, source: str) -> SpeedParams:
    """Fit bandwidth and attention throughputs to measured runs at one thread count.

    The per-layer overheads stay as the prior has them (they come from a probe model whose
    weights are negligible, see ``sizer.speed.calibration``). With runs at two or more depths both
    the bandwidth (or matmul throughput) and the attention throughput are fitted; with one
    depth only the first is, and the attention throughput keeps the prior's ratio to it.
    Nonsense fits (a negative throughput from noisy data) fall back the same way.
    """
    decode = [
        (*_cost_weighted(decode_features(o.shape, o.depth), o.shape, prior), 1.0 / o.decode_tok_s)
        for o in observations
        if o.decode_tok_s
    ]
    kinds = (tuple(prior.fast_types), prior.slow_type_cost)
    prefill = [
        (*prefill_features(o.shape, o.depth, o.prompt, *kinds), 1.0 / o.prefill_tok_s)
        for o in observations
        if o.prefill_tok_s
    ]
    bandwidth, decode_attn = _fit_pair(
        decode, prior.decode_layer_s, prior.bandwidth_bytes_s, prior.decode_attn_flop_s
    )
    matmul, prefill_attn = _fit_pair(
        prefill, prior.prefill_layer_s, prior.matmul_flop_s, prior.prefill_attn_flop_s
    )
    return replace(
        prior,
        bandwidth_bytes_s=bandwidth,
        decode_attn_flop_s=decode_attn,
        matmul_flop_s=matmul,
        prefill_attn_flop_s=prefill_attn,
        source=source,
        confidence="calibrated",
    )


def _cost_weighted(
    features: tuple[float, float, float], shape: SpeedShape, params: SpeedParams
) -> tuple[float, float, float]:
    """A mixture of experts' bytes count sparse_stream_cost times: fitted to a MoE run, the
    bandwidth stays what a dense model streams at."""
    streamed, attn, layers = features
    return streaming_s(shape, params, streamed) * params.bandwidth_bytes_s, attn, layers


def _fit_pair(
    rows: list[tuple[float, float, float, float]],
    layer_s: float,
    main_prior: float,
    attn_prior: float,
) -> tuple[float, float]:
    """Throughputs (main, attention) from rows (main work, attention work, layers, seconds)."""
    if not rows:
        return main_prior, attn_prior
    net = [(x1, x2, max(t - layers * layer_s, 0.05 * t)) for x1, x2, layers, t in rows]
    solved = _solve_two(net)
    if solved and solved[0] > 0 and solved[1] > 0:
        return 1.0 / solved[0], 1.0 / solved[1]
    # One depth (or noise): fold the attention share in at the prior's ratio.
    ratio = main_prior / attn_prior
    inv_main = _solve_one([(x1 + x2 * ratio, t) for x1, x2, t in net])
    if inv_main <= 0:
        return main_prior, attn_prior
    return 1.0 / inv_main, 1.0 / (inv_main * ratio)

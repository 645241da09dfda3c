"""Memory a model will take on this machine, before loading it (pure functions).

The model of llama.cpp's CPU memory, as measured with llama-cpp-python 0.3.36 here
(``benchmarks/memory_vs_estimate.py`` checks it against peak RSS):

- weights: every tensor, memory-mapped; decoding touches them all, so all count.
- repacked weights: on AVX2/AVX-512 and Arm dot-product CPUs llama.cpp copies the matmul
  weights of some types into an interleaved layout (``ggml-cpu/repack.cpp``: Q4_0, Q4_K,
  IQ4_NL, MXFP4 on x86; plus Q2_K with AVX-512; Q5_K, Q6_K, Q8_0 too on Arm with
  dotprod/i8mm). The mapped original stays resident: those bytes count twice.
- KV cache: n_ctx (padded to 256) cells × per-layer K and V widths × element size.
  llama.cpp clears the buffer at start-up, so it is resident before any token is read.
  llama-cpp-python allocates full-size caches for sliding-window layers; llama.cpp's own
  server (``swa_full`` off) keeps those to the window plus one batch.
- compute: llama.cpp reserves a buffer for the worst batch (vocab × n_ubatch logits
  among others), but only the activations a real prompt batch uses are touched: the FFN
  and attention projections of n_ubatch tokens, the attention scores of those tokens
  against the filled cache (flash attention is off in llama-cpp-python), the CPU
  backend's work-buffer copy of those scores converted for the V matmul, and the masks.
- runtime: the Python interpreter with llama_cpp imported (41 MiB measured) and
  llama.cpp's own structures, tokenizer included (48–52 MiB on both real models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from sizer.ggml import GGMLQuantizationType

Q = GGMLQuantizationType
MIB = 1 << 20
KV_BYTES_PER_ELEMENT = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
CTX_PAD = 256
RUNTIME_BYTES = 41 * MIB + 50 * MIB
F32 = 4

_REPACK_X86 = {Q.Q4_0, Q.Q4_K, Q.IQ4_NL, Q.MXFP4}
_REPACK_ARM_DOTPROD = {Q.Q4_0, Q.Q4_K, Q.Q5_K, Q.Q6_K, Q.Q8_0, Q.IQ4_NL, Q.MXFP4}


class TensorBytes(NamedTuple):
    """One tensor's name, ggml shape, type name and size. A named tuple, not a dataclass:
    a recommendation builds some 57,000 of them (every catalog model at three quants),
    and a tuple is built several times faster."""

    name: str
    shape: tuple[int, ...]
    ggml_type: str
    n_bytes: int


@dataclass(frozen=True)
class ModelMemoryShape:
    """What the estimator needs to know about a model (from a GGUF or the catalog)."""

    n_layers: int
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: tuple[int, ...]  # per layer
    head_dim_k: int
    head_dim_v: int
    vocab: int
    local_layers: int  # sliding-window layers
    sliding_window: int | None
    n_expert_used: int
    tensors: tuple[TensorBytes, ...]


@dataclass
class MemoryEstimate:
    n_ctx: int
    kv_type: str
    weights_bytes: int
    repack_bytes: int
    kv_bytes: int
    compute_bytes: int
    output_bytes: int
    runtime_bytes: int

    @property
    def total_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.repack_bytes
            + self.kv_bytes
            + self.compute_bytes
            + self.output_bytes
            + self.runtime_bytes
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_bytes": self.total_bytes}


def repacked_types(isa: dict[str, bool], arch: str | None) -> set[Q]:
    """Which weight types llama.cpp's CPU backend repacks on this CPU."""
    if (arch or "").lower() in ("aarch64", "arm64"):
        return _REPACK_ARM_DOTPROD if isa.get("dotprod") or isa.get("i8mm") else set()
    if not isa.get("avx2"):
        return set()
    return _REPACK_X86 | ({Q.Q2_K} if isa.get("avx512f") else set())


def _is_repacked(tensor: TensorBytes, type_names: set[str]) -> bool:
    # Only matmul weights: token_embd is read by row lookup (GET_ROWS), which repack lacks.
    return (
        tensor.ggml_type in type_names
        and len(tensor.shape) >= 2
        and tensor.name != "token_embd.weight"
        and tensor.shape[1] % 8 == 0
    )


def pad_ctx(n_ctx: int) -> int:
    return -(-n_ctx // CTX_PAD) * CTX_PAD


def kv_cells(model: ModelMemoryShape, n_ctx: int, n_ubatch: int, swa_full: bool) -> list[int]:
    """Cache cells per layer. Local (sliding) layers are the first of each pattern."""
    full = pad_ctx(n_ctx)
    window = pad_ctx(min(n_ctx, (model.sliding_window or n_ctx) + n_ubatch))
    local = full if swa_full or not model.sliding_window else window
    return [local] * model.local_layers + [full] * (model.n_layers - model.local_layers)


def kv_bytes(
    model: ModelMemoryShape, n_ctx: int, kv_type: str, n_ubatch: int, swa_full: bool
) -> int:
    per_element = KV_BYTES_PER_ELEMENT[kv_type]
    cells = kv_cells(model, n_ctx, n_ubatch, swa_full)
    width = [kv * (model.head_dim_k + model.head_dim_v) for kv in model.n_head_kv]
    return int(sum(c * w * per_element for c, w in zip(cells, width, strict=False)))


# The CPU matmul converts its f32 operand to the weight's "vec_dot" type in a work buffer:
# for V (KV type) @ attention scores that is a copy of the scores in f16 (or q8_0).
_VEC_DOT_BYTES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 34 / 32}


def compute_bytes(model: ModelMemoryShape, filled: int, n_ubatch: int, kv_type: str = "f16") -> int:
    """Activations a prompt batch touches when ``filled`` tokens are already cached:
    FFN and projections of the batch, the attention scores against the cache (no flash
    attention), the CPU backend's converted copy of those scores, and the KQ masks (two
    when the model has sliding-window layers)."""
    tokens = max(1, min(n_ubatch, filled))
    n_kv = pad_ctx(max(filled, tokens))
    q_dim = model.n_head * model.head_dim_k
    kv_dim = max(model.n_head_kv) * model.head_dim_k
    experts = max(1, model.n_expert_used)
    per_token = F32 * (2 * model.n_ff * experts + 4 * model.n_embd + q_dim + 2 * kv_dim)
    score_cells = model.n_head * n_kv * tokens
    masks = 2 if model.local_layers else 1
    return int(
        per_token * tokens
        + score_cells * (F32 + _VEC_DOT_BYTES[kv_type])
        + masks * F32 * n_kv * tokens
    )


def estimate_memory(
    model: ModelMemoryShape,
    n_ctx: int,
    *,
    kv_type: str = "f16",
    n_ubatch: int = 512,
    isa: dict[str, bool] | None = None,
    cpu_arch: str | None = "x86_64",
    swa_full: bool = True,
    filled: int | None = None,
) -> MemoryEstimate:
    """Peak resident memory of a llama-cpp-python process running this model at n_ctx,
    with the context filled to ``filled`` tokens (default: all of it)."""
    if kv_type not in KV_BYTES_PER_ELEMENT:
        raise ValueError(f"kv type {kv_type!r}: use one of {', '.join(KV_BYTES_PER_ELEMENT)}")
    type_names = {q.name for q in repacked_types(isa or {}, cpu_arch)}
    return MemoryEstimate(
        n_ctx=n_ctx,
        kv_type=kv_type,
        weights_bytes=sum(t.n_bytes for t in model.tensors),
        repack_bytes=sum(t.n_bytes for t in model.tensors if _is_repacked(t, type_names)),
        kv_bytes=kv_bytes(model, n_ctx, kv_type, n_ubatch, swa_full),
        compute_bytes=compute_bytes(model, n_ctx if filled is None else filled, n_ubatch, kv_type),
        output_bytes=F32 * model.vocab,
        runtime_bytes=RUNTIME_BYTES,
    )


# CUDA context, cuBLAS workspace and driver reservations: llama.cpp users typically lose
# 0.3-0.6 GiB of a discrete GPU before the model; we keep 0.5 GiB back.
GPU_RESERVE_BYTES = 512 * MIB


@dataclass(frozen=True)
class OffloadPlan:
    """llama.cpp's ``-ngl``: the last ``gpu_layers`` blocks (and their KV cache) on the GPU."""

    gpu_layers: int
    n_layers: int
    gpu_bytes: int
    host_bytes: int

    @property
    def full(self) -> bool:
        return self.gpu_layers > self.n_layers  # the output layer is offloaded last


def layer_bytes(
    model: ModelMemoryShape, share: Callable[[TensorBytes], float] | None = None
) -> list[int]:
    """Bytes of each block's tensors, each weighted by ``share`` (default: all of it)."""
    per_layer = [0.0] * model.n_layers
    for tensor in model.tensors:
        if tensor.name.startswith("blk."):
            index = int(tensor.name.split(".")[1])
            if index < model.n_layers:
                per_layer[index] += tensor.n_bytes * (share(tensor) if share else 1.0)
    return [int(b) for b in per_layer]


def plan_offload(model: ModelMemoryShape, est: MemoryEstimate, gpu_free_bytes: int) -> OffloadPlan:
    """The most layers whose weights, KV cache and a compute buffer fit in GPU memory.
    Offloaded weights are not repacked; the CPU keeps the rest, its repacks included."""
    blocks = layer_bytes(model)
    kv_per_layer = est.kv_bytes // max(1, model.n_layers)
    output = sum(
        t.n_bytes for t in model.tensors if t.name in ("output.weight", "output_norm.weight")
    )
    budget = gpu_free_bytes - GPU_RESERVE_BYTES - est.compute_bytes
    repack_share = est.repack_bytes / max(1, sum(blocks))
    used, layers = 0, 0
    for size in reversed(blocks):
        if used + size + kv_per_layer > budget:
            break
        used, layers = used + size + kv_per_layer, layers + 1
    if layers == model.n_layers and used + output <= budget:
        used, layers = used + output, layers + 1
    if layers == 0:
        return OffloadPlan(0, model.n_layers, 0, est.total_bytes)
    moved_weights = used - kv_per_layer * min(layers, model.n_layers)
    host = est.total_bytes - used - int(repack_share * moved_weights)
    return OffloadPlan(layers, model.n_layers, used + est.compute_bytes, host)

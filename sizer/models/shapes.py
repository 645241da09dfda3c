"""The tensor layout llama.cpp expects for an architecture, from a model's shape numbers.

Names and ggml shapes (``shape[0]`` is the row length) follow ``convert_hf_to_gguf.py`` and
``src/llama-arch.cpp``; the tests compare the layout with the tensor tables of real files.
Used to compute file sizes of quantisations nobody has downloaded here, and to write
shape-only GGUFs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sizer.ggml import GGMLQuantizationType
from sizer.models.quantmix import ModelFacts, assign_types

Layout = list[tuple[str, tuple[int, ...]]]
TypedLayout = list[tuple[str, tuple[int, ...], GGMLQuantizationType]]


@dataclass(frozen=True)
class Shape:
    arch: str  # llama.cpp architecture: llama, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3
    n_layers: int
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim: int
    vocab: int
    tied: bool  # the GGUF has no output.weight
    context_length: int
    qkv_bias: bool = False  # Qwen2
    qk_norm: bool = False  # Qwen3, Gemma 3
    post_norms: bool = False  # Gemma 2 and 3 normalise after attention and FFN too
    fused_qkv: bool = False  # Phi-3: one attn_qkv tensor and a gate+up ffn_up
    n_expert: int = 0
    n_expert_used: int = 0
    n_ff_expert: int = 0
    sliding_window: int | None = None
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def q_dim(self) -> int:
        return self.n_head * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.n_head_kv * self.head_dim


def tensor_layout(shape: Shape) -> Layout:
    layout: Layout = [
        ("token_embd.weight", (shape.n_embd, shape.vocab)),
        ("output_norm.weight", (shape.n_embd,)),
    ]
    if not shape.tied:
        layout.append(("output.weight", (shape.n_embd, shape.vocab)))
    for layer in range(shape.n_layers):
        prefix = f"blk.{layer}."
        layout += [(prefix + name, dims) for name, dims in _attention(shape) + _ffn(shape)]
    return layout


def typed_layout(shape: Shape, file_type: str, imatrix: bool = False) -> TypedLayout:
    """The layout with the ggml type llama.cpp's quantiser gives each tensor."""
    layout = tensor_layout(shape)
    facts = ModelFacts(
        shape.arch, shape.n_layers, shape.n_expert, shape.n_head, shape.n_head_kv, shape.tied
    )
    types = assign_types(layout, facts, file_type, imatrix)
    return [(name, dims, ggml_type) for (name, dims), ggml_type in zip(layout, types, strict=True)]


def _attention(s: Shape) -> Layout:
    tensors: Layout = [("attn_norm.weight", (s.n_embd,))]
    if s.fused_qkv:
        tensors.append(("attn_qkv.weight", (s.n_embd, s.q_dim + 2 * s.kv_dim)))
    else:
        tensors += [
            ("attn_q.weight", (s.n_embd, s.q_dim)),
            ("attn_k.weight", (s.n_embd, s.kv_dim)),
            ("attn_v.weight", (s.n_embd, s.kv_dim)),
        ]
    if s.qkv_bias:
        tensors += [
            ("attn_q.bias", (s.q_dim,)),
            ("attn_k.bias", (s.kv_dim,)),
            ("attn_v.bias", (s.kv_dim,)),
        ]
    if s.qk_norm:
        tensors += [("attn_q_norm.weight", (s.head_dim,)), ("attn_k_norm.weight", (s.head_dim,))]
    tensors.append(("attn_output.weight", (s.q_dim, s.n_embd)))
    if s.post_norms:
        tensors.append(("post_attention_norm.weight", (s.n_embd,)))
    return tensors


def _ffn(s: Shape) -> Layout:
    tensors: Layout = [("ffn_norm.weight", (s.n_embd,))]
    if s.n_expert:
        e, ff = s.n_expert, s.n_ff_expert
        tensors += [
            ("ffn_gate_inp.weight", (s.n_embd, e)),
            ("ffn_gate_exps.weight", (s.n_embd, ff, e)),
            ("ffn_up_exps.weight", (s.n_embd, ff, e)),
            ("ffn_down_exps.weight", (ff, s.n_embd, e)),
        ]
    elif s.fused_qkv:
        tensors += [
            ("ffn_up.weight", (s.n_embd, 2 * s.n_ff)),
            ("ffn_down.weight", (s.n_ff, s.n_embd)),
        ]
    else:
        tensors += [
            ("ffn_gate.weight", (s.n_embd, s.n_ff)),
            ("ffn_up.weight", (s.n_embd, s.n_ff)),
            ("ffn_down.weight", (s.n_ff, s.n_embd)),
        ]
    if s.post_norms:
        tensors.append(("post_ffw_norm.weight", (s.n_embd,)))
    return tensors

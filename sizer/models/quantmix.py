"""Which ggml type llama.cpp's quantiser gives each tensor, for the common file types.

A transcription of ``llama_tensor_get_type_impl`` and ``tensor_type_fallback`` in
``src/llama-quant.cpp`` of the llama.cpp vendored by llama-cpp-python 0.3.36, restricted
to the mixes people download: Q4_0, Q4_K_M, Q5_K_M, Q6_K, Q8_0 and F16 (no imatrix,
default options). Tested tensor by tensor against real files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from sizer.ggml import GGML_QUANT_SIZES, GGMLQuantizationType

Q = GGMLQuantizationType
FILE_TYPES = ("Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16")
_BASE = {
    "Q4_0": Q.Q4_0,
    "Q4_K_M": Q.Q4_K,
    "Q5_K_M": Q.Q5_K,
    "Q6_K": Q.Q6_K,
    "Q8_0": Q.Q8_0,
    "F16": Q.F16,
}
# Rows not a multiple of the block size cannot use the type: llama.cpp falls back.
_FALLBACK = {Q.Q4_K: Q.Q5_0, Q.Q5_K: Q.Q5_1, Q.Q6_K: Q.Q8_0}
_NOT_QUANTISED = (
    "_norm.weight",
    "ffn_gate_inp.weight",
    "altup",
    "laurel",
    "per_layer_model_proj",
    "ssm_conv1d",
)


@dataclass(frozen=True)
class ModelFacts:
    """What the quantiser looks at besides a tensor's name and shape."""

    arch: str
    n_layers: int
    n_expert: int = 0
    n_head: int = 1
    n_head_kv: int = 1
    tied: bool = False  # no output.weight: token_embd takes the output tensor's rule
    imatrix: bool = False

    @property
    def is_70b(self) -> bool:  # llama.cpp's LLM_TYPE_70B (models/llama.cpp, qwen2.cpp, olmo.cpp)
        return (
            self.n_layers == 80
            and self.arch in ("llama", "qwen2", "olmo", "deci")
            and (self.n_head != self.n_head_kv or self.arch != "llama")
        )


def use_more_bits(i_layer: int, n_layers: int) -> bool:
    return (
        i_layer < n_layers // 8
        or i_layer >= 7 * n_layers // 8
        or ((i_layer - n_layers // 8) % 3 == 2)
    )


def row_bytes(ggml_type: GGMLQuantizationType, n_cols: int) -> int:
    block, size = GGML_QUANT_SIZES[ggml_type]
    return n_cols // block * size


def tensor_nbytes(ggml_type: GGMLQuantizationType, shape: tuple[int, ...]) -> int:
    return math.prod(shape[1:]) * row_bytes(ggml_type, shape[0])


def assign_types(
    tensors: list[tuple[str, tuple[int, ...]]],
    facts: ModelFacts,
    file_type: str,
    imatrix: bool = False,
) -> list[GGMLQuantizationType]:
    """The type of each (name, ggml shape) tensor, in file order (counters depend on it).
    ``imatrix``: quantised with an importance matrix (bartowski, unsloth and most
    re-publishers do); it only changes Q4_0's first ffn_down layers (to Q4_1)."""
    base = _BASE[file_type]
    facts = replace(facts, imatrix=imatrix)
    n_attn_v = sum(1 for name, _ in tensors if _is_attn_v(name))
    counters = {"attn_v": 0, "ffn_down": 0}
    return [
        _type_of(name, shape, facts, file_type, base, counters, n_attn_v) for name, shape in tensors
    ]


def _is_attn_v(name: str) -> bool:
    return "attn_v.weight" in name or "attn_qkv.weight" in name or "attn_kv_b.weight" in name


def _quantisable(name: str, shape: tuple[int, ...]) -> bool:
    return (
        len(shape) >= 2
        and name.endswith("weight")
        and not any(part in name for part in _NOT_QUANTISED)
    )


def _type_of(name, shape, facts, file_type, base, counters, n_attn_v) -> GGMLQuantizationType:
    if not _quantisable(name, shape):
        return Q.F32
    if base == Q.F16:
        return Q.F16
    chosen = _mixed_type(name, shape, facts, file_type, base, counters, n_attn_v)
    return _fallback(chosen, shape[0])


def _mixed_type(name, shape, facts, file_type, base, counters, n_attn_v) -> GGMLQuantizationType:
    if name == "output.weight" or (facts.tied and name == "token_embd.weight"):
        if shape[0] % GGML_QUANT_SIZES[base][0]:
            return Q.Q8_0
        return base if base == Q.Q8_0 else Q.Q6_K
    if name == "token_embd.weight":
        return base
    k_mix = file_type in ("Q4_K_M", "Q5_K_M")
    if _is_attn_v(name):
        i = counters["attn_v"]
        counters["attn_v"] += 1
        chosen = Q.Q6_K if k_mix and use_more_bits(i, n_attn_v) else base
        if facts.is_70b and chosen in (Q.Q3_K, Q.Q4_K):
            chosen = Q.Q5_K
        return Q.Q8_0 if facts.n_expert == 8 else chosen
    if "attn_k.weight" in name:
        return Q.Q8_0 if facts.n_expert == 8 else base
    if "ffn_down" in name:
        i_layer = _layer_of(name, counters, facts)
        if file_type == "Q4_0" and facts.imatrix and i_layer < facts.n_layers // 8:
            return Q.Q4_1  # "guard against craziness in the first few ffn_down layers"
        return Q.Q6_K if k_mix and use_more_bits(i_layer, facts.n_layers) else base
    if "attn_output.weight" in name and facts.n_expert == 8 and file_type == "Q4_K_M":
        return Q.Q5_K
    return base


def _layer_of(name: str, counters: dict[str, int], facts: ModelFacts) -> int:
    """Dense models count ffn_down tensors; MoE models parse the layer from the name."""
    i = counters["ffn_down"]
    counters["ffn_down"] += 1
    if facts.n_expert > 1:
        match = re.match(r"blk\.(\d+)\.", name)
        return int(match.group(1)) if match else i
    return i


def _fallback(chosen: GGMLQuantizationType, n_cols: int) -> GGMLQuantizationType:
    if n_cols % GGML_QUANT_SIZES[chosen][0] == 0:
        return chosen
    replacement = _FALLBACK.get(chosen, chosen)
    return replacement if n_cols % GGML_QUANT_SIZES[replacement][0] == 0 else Q.F16

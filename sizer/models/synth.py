"""Shape-only GGUFs: a catalog model's exact tensors, filled with random quantised blocks.

llama.cpp's speed and memory do not depend on weight values, so these files measure both
for models this machine cannot download. The header carries ``sizer.shape_only = true``
and a ``general.description`` saying so; everything that shows such a file labels it
"speed/memory only — weights are random". Scale fields of every block are set to a small
finite half-float so no kernel meets NaN or infinity; the rest is random.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFWriter

from sizer.errors import InputError
from sizer.models.quantmix import tensor_nbytes
from sizer.models.shapes import Shape, typed_layout
from sizer.models.spec import SHAPE_ONLY_KEY, SHAPE_ONLY_LABEL

Q = GGMLQuantizationType
# Byte ranges of the half-float scales inside one block (ggml-common.h block_q* structs).
_SCALE_BYTES = {
    Q.Q4_0: [(0, 2)],
    Q.Q4_1: [(0, 4)],
    Q.Q5_0: [(0, 2)],
    Q.Q5_1: [(0, 4)],
    Q.Q8_0: [(0, 2)],
    Q.Q4_K: [(0, 4)],
    Q.Q5_K: [(0, 4)],
    Q.Q6_K: [(208, 210)],
}
_SMALL_HALF = np.array([0.002], dtype=np.float16).view(np.uint8)
HEADER_MARGIN_BYTES = 64 << 20


def synthesize(shape: Shape, file_type: str, out: Path, model_id: str, seed: int = 0) -> Path:
    tensors = typed_layout(shape, file_type)
    _check_disk(out, sum(tensor_nbytes(t, dims) for _, dims, t in tensors))
    partial = out.with_name(out.name + ".partial")
    writer = GGUFWriter(str(partial), shape.arch)
    _write_metadata(writer, shape, file_type, model_id)
    for name, dims, ggml_type in tensors:
        numpy_shape, dtype = _numpy_shape(dims, ggml_type)
        writer.add_tensor_info(
            name, numpy_shape, dtype, tensor_nbytes(ggml_type, dims), raw_dtype=ggml_type
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    rng = np.random.default_rng(seed)
    for name, dims, ggml_type in tensors:
        writer.write_tensor_data(_random_tensor(name, dims, ggml_type, rng))
    writer.close()
    partial.replace(out)
    return out


def _check_disk(out: Path, needed: int) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(out.parent).free
    if free < needed + HEADER_MARGIN_BYTES:
        raise InputError(
            f"not enough free disk in {out.parent}: need {needed / 1e9:.1f} GB, "
            f"have {free / 1e9:.1f} GB"
        )


def _numpy_shape(dims: tuple[int, ...], ggml_type: GGMLQuantizationType):
    reversed_dims = tuple(reversed(dims))
    if ggml_type == Q.F32:
        return reversed_dims, np.dtype(np.float32)
    if ggml_type == Q.F16:
        return reversed_dims, np.dtype(np.float16)
    block, block_bytes = GGML_QUANT_SIZES[ggml_type]
    return (*reversed_dims[:-1], dims[0] // block * block_bytes), np.dtype(np.uint8)


def _random_tensor(name: str, dims, ggml_type, rng: np.random.Generator) -> np.ndarray:
    numpy_shape, _ = _numpy_shape(dims, ggml_type)
    if ggml_type == Q.F32:
        if name.endswith("norm.weight"):
            return np.ones(numpy_shape, dtype=np.float32)
        return (rng.standard_normal(numpy_shape, dtype=np.float32) * 0.02).astype(np.float32)
    if ggml_type == Q.F16:
        return (rng.standard_normal(numpy_shape, dtype=np.float32) * 0.02).astype(np.float16)
    data = rng.integers(0, 256, size=numpy_shape, dtype=np.uint8)
    blocks = data.reshape(-1, GGML_QUANT_SIZES[ggml_type][1])
    for start, end in _SCALE_BYTES.get(ggml_type, []):
        blocks[:, start:end] = np.tile(_SMALL_HALF, (end - start) // 2)
    return data


def _write_metadata(writer: GGUFWriter, shape: Shape, file_type: str, model_id: str) -> None:
    writer.add_name(f"{model_id} (shape-only)")
    writer.add_description(f"sizer shape-only model of {model_id}: {SHAPE_ONLY_LABEL}")
    writer.add_bool(SHAPE_ONLY_KEY, True)
    writer.add_string("sizer.catalog_id", model_id)
    writer.add_context_length(shape.context_length)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layers)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_layer_norm_rms_eps(shape.norm_eps)
    writer.add_rope_freq_base(shape.rope_theta)
    if shape.sliding_window:
        writer.add_sliding_window(shape.sliding_window)
    if shape.n_expert:
        writer.add_expert_count(shape.n_expert)
        writer.add_expert_used_count(shape.n_expert_used)
        writer.add_expert_feed_forward_length(shape.n_ff_expert)
    writer.add_file_type(_FILE_TYPE_IDS[file_type])
    _write_tokenizer(writer, shape.vocab)


_FILE_TYPE_IDS = {"F16": 1, "Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18}


def _write_tokenizer(writer: GGUFWriter, vocab: int) -> None:
    """A placeholder SentencePiece vocabulary of the right size (control, byte, filler)."""
    specials = ["<unk>", "<s>", "</s>"]
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    filler = [f"\u2581t{i}" for i in range(vocab - len(specials) - len(byte_tokens))]
    writer.add_tokenizer_model("llama")
    writer.add_token_list(specials + byte_tokens + filler)
    writer.add_token_scores([0.0] * vocab)
    writer.add_token_types([2, 3, 3] + [6] * 256 + [1] * len(filler))
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)

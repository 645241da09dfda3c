"""Tiny, valid GGUF files written with the gguf package, for parser and discovery tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter


def write_tiny_gguf(
    path: Path, arch: str = "llama", tied: bool = False, shape_only: bool = False
) -> Path:
    """A 2-layer model header with a few real tensors (F32 and raw Q8_0 blocks); marked as
    sizer's shape-only kind when asked."""
    writer = GGUFWriter(str(path), arch)
    if shape_only:
        writer.add_bool("sizer.shape_only", True)
    writer.add_block_count(2)
    writer.add_embedding_length(32)
    writer.add_feed_forward_length(64)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_context_length(4096)
    writer.add_file_type(7)  # MOSTLY_Q8_0
    writer.add_array("tokenizer.ggml.tokens", [f"t{i}" for i in range(48)])
    rng = np.random.default_rng(0)
    writer.add_tensor("token_embd.weight", rng.standard_normal((48, 32), dtype=np.float32))
    if not tied:
        q8 = rng.integers(0, 255, size=(48, 34 * 32 // 32), dtype=np.uint8)  # 48 rows of 32
        writer.add_tensor("output.weight", q8, raw_dtype=GGMLQuantizationType.Q8_0)
    for layer in range(2):
        writer.add_tensor(f"blk.{layer}.attn_norm.weight", np.ones(32, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path

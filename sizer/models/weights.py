"""Bytes of weights a decode step reads, from a GGUF file's tensor table.

Every weight matrix is streamed once per generated token, with one exception: the token
embedding table is only indexed (one row per token) — unless the model has no separate
``output.weight``, in which case llama.cpp uses the embedding table as the output
projection and reads all of it. Gemma 3 is tied that way; the Qwen2.5 GGUF used here
carries its own ``output.weight``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sizer.models.gguf_header import read_header


@dataclass(frozen=True)
class WeightBytes:
    total_bytes: int  # every tensor in the file
    decode_bytes_per_token: int  # what one decode step streams from memory
    tied_output: bool


def weight_bytes(path: str | Path) -> WeightBytes:
    tensors = {t.name: t.n_bytes for t in read_header(path).tensors}
    tied = "output.weight" not in tensors
    embedding = tensors.get("token_embd.weight", 0)
    total = sum(tensors.values())
    per_token = total if tied else total - embedding
    return WeightBytes(total, per_token, tied)

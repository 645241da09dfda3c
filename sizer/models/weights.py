"""Bytes of weights a decode step reads, from a GGUF file's tensor table.

Every weight matrix is streamed once per generated token, with one exception: the token
embedding table is only indexed (one row per token) — unless the model has no separate
``output.weight``, in which case llama.cpp uses the embedding table as the output
projection and reads all of it. Gemma 3 is tied that way; the Qwen2.5 GGUF used here
carries its own ``output.weight``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sizer.models.gguf_header import read_header


@dataclass(frozen=True)
class WeightBytes:
    total_bytes: int  # every tensor in the file
    decode_bytes_per_token: int  # what one decode step streams from memory
    tied_output: bool


def output_is_tied(tensor_names: Iterable[str]) -> bool:
    """No ``output.weight``: llama.cpp multiplies by the embedding table instead."""
    return "output.weight" not in set(tensor_names)


def streamed_per_token(tensor_name: str, tied: bool) -> bool:
    """Whether a decode step reads all of this tensor (see the module docstring)."""
    return tensor_name != "token_embd.weight" or tied


def weight_bytes(path: str | Path) -> WeightBytes:
    tensors = {t.name: t.n_bytes for t in read_header(path).tensors}
    tied = output_is_tied(tensors)
    total = sum(tensors.values())
    per_token = sum(n for name, n in tensors.items() if streamed_per_token(name, tied))
    return WeightBytes(total, per_token, tied)

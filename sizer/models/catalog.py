"""The catalog of models people run locally: shapes as data (``catalog.json``), sizes computed.

Each entry carries the architecture numbers from the model's own config (with the source
URL), its Ollama tag, original and GGUF repositories, and licence. File sizes are never
typed in: ``file_bytes`` lays out the tensors llama.cpp's converter writes and applies
llama.cpp's quantisation mix (``quantmix``), plus an estimate of the metadata header.
Published sizes of real files, where an entry lists them, are only used to check that.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from sizer.errors import InputError
from sizer.models.quantmix import FILE_TYPES, tensor_nbytes
from sizer.models.shapes import Shape, tensor_layout, typed_layout

CATALOG_FORMAT = "sizer.catalog"
# Header bytes per vocabulary entry, measured on the two real files here: Gemma 3
# (SentencePiece: token, score, type) 6,525,120 B / 262,144 = 24.9; Qwen2.5 (BPE: token,
# type and ~one merge per token) 5,950,528 B / 151,936 = 39.2.
HEADER_BYTES_PER_TOKEN = {"spm": 25, "bpe": 39}
HEADER_BASE_BYTES = 16 << 10

_SHAPE_FIELDS = (
    "arch",
    "n_layers",
    "n_embd",
    "n_ff",
    "n_head",
    "n_head_kv",
    "head_dim",
    "vocab",
    "context_length",
    "qkv_bias",
    "qk_norm",
    "post_norms",
    "fused_qkv",
    "n_expert",
    "n_expert_used",
    "n_ff_expert",
    "sliding_window",
    "rope_theta",
    "norm_eps",
)


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    family: str
    params: str
    shape: Shape
    tokenizer: str
    ollama: str | None
    hf_repo: str
    gguf_repo: str | None
    license: str
    source: str
    swa_pattern: int | None = None
    published: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def file_bytes(self, file_type: str, imatrix: bool = False) -> int:
        tensors = self.tensor_bytes_by_type(file_type, imatrix)
        return sum(tensors.values()) + self.header_bytes()

    def header_bytes(self) -> int:
        return HEADER_BASE_BYTES + HEADER_BYTES_PER_TOKEN[self.tokenizer] * self.shape.vocab

    def tensor_bytes_by_type(self, file_type: str, imatrix: bool = False) -> dict[str, int]:
        totals: dict[str, int] = {}
        for _, dims, ggml_type in typed_layout(self.shape, file_type, imatrix):
            totals[ggml_type.name] = totals.get(ggml_type.name, 0) + tensor_nbytes(ggml_type, dims)
        return totals

    def n_params(self) -> int:
        return sum(math.prod(dims) for _, dims in tensor_layout(self.shape))


def entry_from_dict(raw: dict[str, Any]) -> CatalogEntry:
    try:
        shape_args = {name: raw[name] for name in _SHAPE_FIELDS if name in raw}
        shape = Shape(tied=not raw.get("gguf_output", not raw["tied"]), **shape_args)
        return CatalogEntry(
            id=raw["id"],
            name=raw["name"],
            family=raw["family"],
            params=raw["params"],
            shape=shape,
            tokenizer=raw["tokenizer"],
            ollama=raw.get("ollama"),
            hf_repo=raw["hf_repo"],
            gguf_repo=raw.get("gguf_repo"),
            license=raw["license"],
            source=raw["source"],
            swa_pattern=raw.get("swa_pattern"),
            published=tuple(raw.get("published", [])),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"catalog entry {raw.get('id', '?')!r} is malformed: {exc}") from None


@cache
def load_catalog() -> dict[str, CatalogEntry]:
    text = resources.files("sizer.models").joinpath("catalog.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if data.get("format") != CATALOG_FORMAT:
        raise InputError("sizer/models/catalog.json is not a sizer catalog")
    entries = [entry_from_dict(raw) for raw in data["models"]]
    return {entry.id: entry for entry in entries}


def get_entry(model_id: str) -> CatalogEntry:
    catalog = load_catalog()
    if model_id not in catalog:
        close = [i for i in catalog if model_id.split("-")[0] in i][:5]
        hint = f"; similar: {', '.join(close)}" if close else "; see 'sizer models catalog'"
        raise InputError(f"no catalog model {model_id!r}{hint}")
    return catalog[model_id]


__all__ = ["FILE_TYPES", "CatalogEntry", "get_entry", "load_catalog"]

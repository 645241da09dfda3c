"""Turn what a user types as MODEL into something the estimator and bench can use.

MODEL is a GGUF path, an Ollama tag found on this machine (``qwen2.5-coder:7b``), or a
catalog id (``llama3.1-8b``) with a file type (``--quant``, default Q4_K_M).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sizer.errors import InputError
from sizer.estimate import ModelMemoryShape, TensorBytes
from sizer.models.catalog import CatalogEntry, load_catalog
from sizer.models.discover import find_ollama_blob
from sizer.models.gguf_header import read_header
from sizer.models.quantmix import FILE_TYPES, tensor_nbytes
from sizer.models.shapes import typed_layout
from sizer.models.spec import ModelSpec, local_layer_count, spec_from_header

DEFAULT_FILE_TYPE = "Q4_K_M"


@dataclass(frozen=True)
class ResolvedModel:
    label: str
    source: str  # "file", "ollama", "catalog"
    file_type: str | None
    memory: ModelMemoryShape
    path: Path | None = None
    spec: ModelSpec | None = None
    entry: CatalogEntry | None = None

    @property
    def shape_only(self) -> bool:
        return bool(self.spec and self.spec.shape_only)


def resolve(model: str, file_type: str | None = None) -> ResolvedModel:
    path = Path(model).expanduser()
    if path.is_file():
        return _from_file(path, "file", path.name)
    catalog = load_catalog()
    if model in catalog:
        return from_catalog(catalog[model], file_type or DEFAULT_FILE_TYPE)
    ollama = find_ollama_blob(model)
    if ollama is not None:
        return _from_file(ollama, "ollama", model)
    raise InputError(
        f"{model!r} is not a file, an Ollama tag on this machine, or a catalog id "
        "(see 'sizer models catalog' and 'sizer models scan')"
    )


def _from_file(path: Path, source: str, label: str) -> ResolvedModel:
    header = read_header(path)
    spec = spec_from_header(header)
    tensors = tuple(TensorBytes(t.name, t.shape, t.type_name, t.n_bytes) for t in header.tensors)
    memory = ModelMemoryShape(
        n_layers=spec.n_layers,
        n_embd=spec.n_embd,
        n_ff=spec.n_ff or 0,
        n_head=spec.n_head,
        n_head_kv=tuple(spec.n_head_kv),
        head_dim_k=spec.head_dim_k,
        head_dim_v=spec.head_dim_v,
        vocab=spec.vocab_size,
        local_layers=spec.local_layers,
        sliding_window=spec.sliding_window,
        n_expert_used=spec.expert_used_count,
        tensors=tensors,
    )
    return ResolvedModel(label, source, spec.file_type, memory, path=path, spec=spec)


def from_catalog(entry: CatalogEntry, file_type: str) -> ResolvedModel:
    if file_type not in FILE_TYPES:
        raise InputError(f"--quant {file_type}: use one of {', '.join(FILE_TYPES)}")
    s = entry.shape
    tensors = tuple(
        TensorBytes(name, dims, t.name, tensor_nbytes(t, dims))
        for name, dims, t in typed_layout(s, file_type)
    )
    local = local_layer_count(s.arch, s.n_layers, entry.swa_pattern) if s.sliding_window else 0
    memory = ModelMemoryShape(
        n_layers=s.n_layers,
        n_embd=s.n_embd,
        n_ff=s.n_ff,
        n_head=s.n_head,
        n_head_kv=(s.n_head_kv,) * s.n_layers,
        head_dim_k=s.head_dim,
        head_dim_v=s.head_dim,
        vocab=s.vocab,
        local_layers=local,
        sliding_window=s.sliding_window,
        n_expert_used=s.n_expert_used,
        tensors=tensors,
    )
    return ResolvedModel(f"{entry.id} {file_type}", "catalog", file_type, memory, entry=entry)


def model_identity(resolved: ResolvedModel) -> dict[str, Any]:
    """Path, size and a SHA-256 of the GGUF header (metadata + tensor table): the same file
    gives the same hash without reading gigabytes of weights."""
    spec = resolved.spec
    assert resolved.path is not None and spec is not None  # a file was resolved and read
    with Path(resolved.path).open("rb") as f:
        digest = hashlib.sha256(f.read(spec.header_bytes)).hexdigest()
    return {
        "label": resolved.label,
        "path": str(resolved.path),
        "source": resolved.source,
        "header_sha256": digest,
        "size_bytes": spec.file_bytes,
        "shape_only": resolved.shape_only,
        "architecture": spec.architecture,
        "file_type": resolved.file_type,
        "n_params": spec.n_params,
    }

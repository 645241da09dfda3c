"""Turn what a user types as MODEL into something the estimator and bench can use.

MODEL is a GGUF path, an OpenVINO IR directory (``openvino_model.xml`` and its weights), an
Ollama tag found on this machine (``qwen2.5-coder:7b``), or a catalog id (``llama3.1-8b``)
with a file type (``--quant``, default Q4_K_M).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sizer import __version__
from sizer.errors import InputError
from sizer.estimate import ModelMemoryShape, TensorBytes
from sizer.models.catalog import CatalogEntry, load_catalog
from sizer.models.discover import find_ollama_blob
from sizer.models.gguf_header import read_header
from sizer.models.openvino_ir import IrModel, config_int, is_ir_dir, read_ir
from sizer.models.quantmix import FILE_TYPES, tensor_nbytes
from sizer.models.shapes import typed_layout
from sizer.models.spec import ModelSpec, local_layer_count, spec_from_header
from sizer.paths import sizer_home, write_atomically

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
    # A catalog model's tensor layout, named: the same key, the same tensors (facts derived
    # from them can be cached under it); None for a file, whose header hash names it.
    layout_key: str | None = None
    ir: IrModel | None = None  # an OpenVINO IR directory (path is the directory)

    @property
    def openvino_only(self) -> bool:
        """An IR directory runs on OpenVINO only; llama.cpp reads GGUF."""
        return self.ir is not None

    @property
    def shape_only(self) -> bool:
        return bool(self.spec and self.spec.shape_only)


def resolve(model: str, file_type: str | None = None) -> ResolvedModel:
    path = Path(model).expanduser()
    if path.is_file():
        return _from_file(path, "file", path.name)
    if is_ir_dir(path):
        return from_ir(read_ir(path))
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


def from_ir(ir: IrModel) -> ResolvedModel:
    """An IR directory's memory shape: layers and KV heads from the graph's cache state,
    widths from its config where it has one (else the usual n_head x head_dim), and its
    weights as one block of the weights file's size."""
    n_embd = config_int(ir, "n_embd", "hidden_size") or 0
    n_head = config_int(ir, "n_head", "num_attention_heads") or (
        n_embd // ir.head_dim if n_embd else ir.n_head_kv
    )
    memory = ModelMemoryShape(
        n_layers=ir.n_layers,
        n_embd=n_embd or n_head * ir.head_dim,
        n_ff=config_int(ir, "n_ff", "intermediate_size") or 0,
        n_head=n_head,
        n_head_kv=(ir.n_head_kv,) * ir.n_layers,
        head_dim_k=ir.head_dim,
        head_dim_v=ir.head_dim,
        vocab=config_int(ir, "vocab_size") or 0,
        local_layers=0,
        sliding_window=None,
        n_expert_used=0,
        tensors=_ir_tensors(ir),
    )
    label = ir.path.resolve().name
    return ResolvedModel(label, "openvino-ir", ir.precision, memory, path=ir.path, ir=ir)


def _ir_tensors(ir: IrModel) -> tuple[TensorBytes, ...]:
    """The weights file as one block per layer (bytes and weights spread evenly): what the
    memory estimate and the speed shape need (weights read per token, multiplied per prompt
    token), without naming the IR's tensors. Embeddings and the output layer are counted in
    the blocks, so a prompt token's multiply count is a little high."""
    layers = max(ir.n_layers, 1)
    weights = config_int(ir, "n_params") or ir.weight_elements or ir.bin_bytes
    return tuple(
        TensorBytes(
            f"blk.{i}.openvino_weights",
            (weights // layers, 1),
            ir.precision,
            ir.bin_bytes // layers,
        )
        for i in range(layers)
    )


def from_catalog(entry: CatalogEntry, file_type: str) -> ResolvedModel:
    if file_type not in FILE_TYPES:
        raise InputError(f"--quant {file_type}: use one of {', '.join(FILE_TYPES)}")
    tensors = tuple(
        TensorBytes(name, dims, t.name, tensor_nbytes(t, dims))
        for name, dims, t in typed_layout(entry.shape, file_type)
    )
    return _catalog_model(entry, file_type, tensors)


def from_catalog_all(entries: list[CatalogEntry], file_types: list[str]) -> list[ResolvedModel]:
    """``from_catalog`` for every entry at every file type (entry-major order), with the
    layouts kept in ``$SIZER_HOME/catalog-layouts.json``. Typing every tensor of every
    catalog model takes 0.2-0.25 s on each recommendation, while the result only changes
    with an entry's shape or the code that lays tensors out; both are in the key. Names
    and shapes are stored once per entry, types and sizes once per file type."""
    path = sizer_home() / "catalog-layouts.json"
    code = _layout_code_digest()
    kept = _read_layouts(path, code)
    out: list[ResolvedModel] = []
    added = False
    for entry in entries:
        key = _entry_key(entry)
        layout = kept.get(key)
        if layout is None or any(ft not in layout["types"] for ft in file_types):
            kept[key] = layout = _entry_layout(entry, file_types, layout)
            added = True
        names, dims = layout["names"], [tuple(d) for d in layout["shapes"]]
        for file_type in file_types:
            types, sizes = layout["types"][file_type], layout["bytes"][file_type]
            tensors = tuple(map(TensorBytes, names, dims, types, sizes))
            out.append(_catalog_model(entry, file_type, tensors))
    if added:
        _write_layouts(path, code, kept)
    return out


def _entry_layout(
    entry: CatalogEntry, file_types: list[str], known: dict[str, Any] | None
) -> dict[str, Any]:
    layout = known or {"names": None, "shapes": None, "types": {}, "bytes": {}}
    for file_type in file_types:
        tensors = from_catalog(entry, file_type).memory.tensors
        layout["names"] = [t.name for t in tensors]
        layout["shapes"] = [list(t.shape) for t in tensors]
        layout["types"][file_type] = [t.ggml_type for t in tensors]
        layout["bytes"][file_type] = [t.n_bytes for t in tensors]
    return layout


def _catalog_model(
    entry: CatalogEntry, file_type: str, tensors: tuple[TensorBytes, ...]
) -> ResolvedModel:
    s = entry.shape
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
    layout = hashlib.sha256(f"{_layout_code_digest()} {_entry_key(entry)} {file_type}".encode())
    return ResolvedModel(
        f"{entry.id} {file_type}",
        "catalog",
        file_type,
        memory,
        entry=entry,
        layout_key=layout.hexdigest(),
    )


def _entry_key(entry: CatalogEntry) -> str:
    return f"{entry.id} {entry.shape!r} {entry.swa_pattern!r}"


@cache
def _layout_code_digest() -> str:
    """sizer's version and the source of the code that lays tensors out and sizes them."""
    here = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for source in ("quantmix.py", "shapes.py", "resolve.py", "../ggml.py"):
        digest.update((here / source).read_bytes())
    return digest.hexdigest()


def _read_layouts(path: Path, code: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(data, dict) and data.get("code") == code
    return data["layouts"] if ok and isinstance(data.get("layouts"), dict) else {}


def _write_layouts(path: Path, code: str, layouts: dict[str, Any]) -> None:
    """Atomic and best effort: a cache that cannot be written only costs time."""
    try:
        write_atomically(path, json.dumps({"code": code, "layouts": layouts}))
    except OSError:
        return


def model_identity(resolved: ResolvedModel) -> dict[str, Any]:
    """Path, size and a SHA-256 of the GGUF header (metadata + tensor table): the same file
    gives the same hash without reading gigabytes of weights. An IR directory is named by
    its graph's hash (which holds every weight's shape, type and offset)."""
    if resolved.ir is not None:
        return _ir_identity(resolved, resolved.ir)
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


def _ir_identity(resolved: ResolvedModel, ir: IrModel) -> dict[str, Any]:
    params = config_int(ir, "n_params") or ir.weight_elements
    return {
        "label": resolved.label,
        "path": str(ir.path),
        "source": resolved.source,
        "header_sha256": ir.xml_sha256,
        "size_bytes": ir.bin_bytes + ir.xml_bytes,
        "shape_only": False,
        "architecture": ir.architecture,
        "file_type": resolved.file_type,
        "n_params": params,
        "format": "openvino-ir",
        "weight_bytes_by_type": ir.weight_bytes,
        "converted_from": ir.config.get("converted_from"),
    }

"""A bounded GGUF header reader: metadata, tensor table, byte sizes — nothing else.

Why not ``gguf.GGUFReader``: it builds numpy views for every metadata element (14 s for
Gemma 3 270M's 262k-token vocabulary here) and trusts the lengths it reads. This reader
uses the ``gguf`` package's own type tables (value types, quantisation block sizes) but
parses the header itself, with hard limits: every length is checked against the bytes left
in the file before anything is read or allocated, counts are capped, and large arrays are
kept as (type, length) summaries. A truncated or hostile file raises ``GGUFError`` with
one line saying what is wrong; it never allocates more than the file's size.

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import math
import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.errors import InputError
from sizer.ggml import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_TENSORS = 1 << 16  # the largest MoE files have ~1,500 tensors (per-expert files more)
MAX_METADATA = 1 << 16
MAX_STRING_BYTES = 1 << 24  # chat templates are the longest strings: tens of KB
MAX_ARRAY_ITEMS = 1 << 24  # vocabularies: up to ~262k tokens (+ merges)
MAX_DIMS = 4  # GGML_MAX_DIMS
KEEP_ARRAY_ITEMS = 4096  # longer arrays are summarised, not kept
DEFAULT_ALIGNMENT = 32

_SCALARS = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}


class GGUFError(InputError):
    """The file is not a usable GGUF file; the message says why, in one line."""


@dataclass(frozen=True)
class ArraySummary:
    """A metadata array too long to keep (e.g. the vocabulary): its type and length."""

    item_type: str
    length: int


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: shape[0] is the row length
    ggml_type: int
    type_name: str
    offset: int  # relative to the start of the data section
    n_elements: int
    n_bytes: int


@dataclass
class GGUFHeader:
    path: Path
    version: int
    file_size: int
    metadata: dict[str, Any] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)


class _Cursor:
    """Reads little-endian fields from a buffer, refusing to run past its end."""

    def __init__(self, buffer: mmap.mmap | bytes, size: int) -> None:
        self.buffer, self.size, self.pos = buffer, size, 0

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise GGUFError(
                f"truncated or corrupt GGUF: {what} needs {n} bytes at offset {self.pos}, "
                f"file has {self.size}"
            )

    def unpack(self, fmt: str, what: str) -> Any:
        n = struct.calcsize(fmt)
        self.need(n, what)
        (value,) = struct.unpack_from(fmt, self.buffer, self.pos)
        self.pos += n
        return value

    def string(self, what: str) -> str:
        length = self.unpack("<Q", what)
        if length > MAX_STRING_BYTES:
            raise GGUFError(f"corrupt GGUF: {what} claims a {length}-byte string")
        self.need(length, what)
        raw = bytes(self.buffer[self.pos : self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int, what: str) -> None:
        for _ in range(count):
            length = self.unpack("<Q", what)
            self.need(length, what)
            self.pos += length


def read_header(path: str | Path) -> GGUFHeader:
    """Parse a GGUF file's header and tensor table (no tensor data is read)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = path.stat().st_size
            if size < 24:
                raise GGUFError(f"{path.name}: not a GGUF file ({size} bytes)")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                return _parse(path, _Cursor(view, size))
    except IsADirectoryError as exc:
        raise GGUFError(f"{path}: is a directory, not a GGUF file") from exc
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _parse(path: Path, cur: _Cursor) -> GGUFHeader:
    cur.need(4, "magic")
    magic = bytes(cur.buffer[0:4])
    cur.pos = 4
    if magic != MAGIC:
        raise GGUFError(f"{path.name}: not a GGUF file (starts with {magic!r}, expected b'GGUF')")
    version = cur.unpack("<I", "version")
    if version not in SUPPORTED_VERSIONS:
        raise GGUFError(f"{path.name}: unsupported GGUF version {version}")
    n_tensors = cur.unpack("<Q", "tensor count")
    n_kv = cur.unpack("<Q", "metadata count")
    if n_tensors > MAX_TENSORS or n_kv > MAX_METADATA:
        raise GGUFError(f"{path.name}: corrupt GGUF: {n_tensors} tensors, {n_kv} metadata keys")
    header = GGUFHeader(path, version, cur.size)
    for _ in range(n_kv):
        key = cur.string("metadata key")
        header.metadata[key] = _value(cur, cur.unpack("<I", f"type of {key}"), key)
    header.tensors = [_tensor(cur, path) for _ in range(n_tensors)]
    alignment = header.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise GGUFError(f"{path.name}: corrupt GGUF: alignment {alignment!r}")
    header.data_offset = -(-cur.pos // alignment) * alignment
    _check_data_fits(header)
    return header


def _value(cur: _Cursor, type_id: int, key: str) -> Any:
    try:
        value_type = GGUFValueType(type_id)
    except ValueError:
        raise GGUFError(f"corrupt GGUF: {key} has unknown value type {type_id}") from None
    if value_type == GGUFValueType.STRING:
        return cur.string(key)
    if value_type == GGUFValueType.ARRAY:
        return _array(cur, key)
    return cur.unpack(_SCALARS[value_type], key)


def _array(cur: _Cursor, key: str) -> list[Any] | ArraySummary:
    item_type = cur.unpack("<I", f"item type of {key}")
    length = cur.unpack("<Q", f"length of {key}")
    if length > MAX_ARRAY_ITEMS:
        raise GGUFError(f"corrupt GGUF: {key} claims {length} items")
    try:
        kind = GGUFValueType(item_type)
    except ValueError:
        raise GGUFError(f"corrupt GGUF: {key} has unknown item type {item_type}") from None
    if kind == GGUFValueType.ARRAY:
        raise GGUFError(f"unsupported GGUF: nested array in {key}")
    if length <= KEEP_ARRAY_ITEMS:
        return [_value(cur, item_type, key) for _ in range(length)]
    if kind == GGUFValueType.STRING:
        cur.skip_strings(length, key)
    else:
        n = length * struct.calcsize(_SCALARS[kind])
        cur.need(n, key)
        cur.pos += n
    return ArraySummary(kind.name.lower(), length)


def _tensor(cur: _Cursor, path: Path) -> TensorInfo:
    name = cur.string("tensor name")
    n_dims = cur.unpack("<I", f"dimensions of {name}")
    if not 1 <= n_dims <= MAX_DIMS:
        raise GGUFError(f"{path.name}: corrupt GGUF: tensor {name} has {n_dims} dimensions")
    shape = tuple(cur.unpack("<Q", f"shape of {name}") for _ in range(n_dims))
    type_id = cur.unpack("<I", f"type of {name}")
    offset = cur.unpack("<Q", f"offset of {name}")
    type_name, n_bytes = tensor_bytes(name, shape, type_id)
    return TensorInfo(name, shape, type_id, type_name, offset, math.prod(shape), n_bytes)


def tensor_bytes(name: str, shape: tuple[int, ...], type_id: int) -> tuple[str, int]:
    """(type name, bytes) of a tensor, from ggml's block sizes."""
    try:
        ggml_type = GGMLQuantizationType(type_id)
        block, block_bytes = GGML_QUANT_SIZES[ggml_type]
    except (ValueError, KeyError):
        raise GGUFError(f"tensor {name} has unknown type {type_id} (newer llama.cpp?)") from None
    if shape[0] % block:
        raise GGUFError(f"tensor {name}: row of {shape[0]} is not a multiple of {block}")
    return ggml_type.name, math.prod(shape) // block * block_bytes


def _check_data_fits(header: GGUFHeader) -> None:
    available = header.file_size - header.data_offset
    for tensor in header.tensors:
        if tensor.offset + tensor.n_bytes > available:
            raise GGUFError(
                f"{header.path.name}: truncated: tensor {tensor.name} ends at byte "
                f"{header.data_offset + tensor.offset + tensor.n_bytes}, file has "
                f"{header.file_size} (incomplete download?)"
            )

"""OpenVINO IR model directories (``openvino_model.xml`` + ``.bin`` + tokenizers), as
``optimum-cli export openvino`` and ``sizer models openvino`` write them.

Only the XML is read (a few MB); the weights file is sized, never loaded. What the memory
estimate needs comes from the graph itself: the stateful model's KV variables
(``ReadValue`` with ``variable_shape="?,KV_HEADS,?,HEAD_DIM"``, one per layer for keys and
one for values) and the byte size of every weight constant by element type. Where the
directory carries a ``config.json`` (optimum-cli) or a ``sizer-source.json`` (written when
sizer converts a GGUF), its shape figures are used as well.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sizer.errors import InputError

MODEL_XML = "openvino_model.xml"
MODEL_BIN = "openvino_model.bin"
TOKENIZER_XML = "openvino_tokenizer.xml"
SOURCE_NOTE = "sizer-source.json"
# Prefixed to the graph when hashing it: facts cached under the hash (the speed shape) are
# derived by this module, so a change in how it reads a graph bumps the salt.
IDENTITY_SALT = b"sizer openvino-ir 1\n"
# A real LLM graph's XML is a few MB; anything far larger is not one we should parse.
MAX_XML_BYTES = 256 * 1024 * 1024

# Weight precisions as OpenVINO names them -> the label people use for the format.
_PRECISION = {
    "u4": "INT4",
    "i4": "INT4",
    "nf4": "NF4",
    "u8": "INT8",
    "i8": "INT8",
    "f8e4m3": "FP8",
    "f8e5m2": "FP8",
    "f16": "FP16",
    "bf16": "BF16",
    "f32": "FP32",
}
_KV_VARIABLE = re.compile(r"^\?,(\d+),\?,(\d+)$")


@dataclass(frozen=True)
class IrModel:
    """What sizer knows about an OpenVINO IR directory without loading it."""

    path: Path
    xml_sha256: str  # of IDENTITY_SALT + the graph: what names the model in results
    xml_bytes: int
    bin_bytes: int
    weight_bytes: dict[str, int]  # constant bytes by OpenVINO element type
    weight_elements: int  # elements of the weight constants (parameters, roughly)
    n_layers: int
    n_head_kv: int
    head_dim: int
    runtime: str | None  # the OpenVINO version that wrote the IR
    config: dict[str, Any] = field(default_factory=dict)  # config.json / sizer-source.json

    @property
    def precision(self) -> str:
        """ "INT4", "INT8", "FP16" ... by the bytes the weights take; "INT4+INT8" when the
        second kind holds at least a tenth of them (optimum-cli's int4 keeps some layers in
        int8, and a GGUF's Q6_K tensors become u8)."""
        labels: Counter[str] = Counter()
        for kind, size in self.weight_bytes.items():
            if kind in _PRECISION and kind not in ("f32",):
                labels[_PRECISION[kind]] += size
        ranked = [label for label, _ in labels.most_common()]
        if not ranked:
            return "FP32"
        main = ranked[0]
        total = sum(labels.values())
        second = [lab for lab in ranked[1:] if labels[lab] >= 0.1 * total and lab != "FP16"]
        return f"{main}+{second[0]}" if second else main

    @property
    def architecture(self) -> str | None:
        return self.config.get("architecture") or self.config.get("model_type")


def is_ir_dir(path: Path) -> bool:
    return path.is_dir() and (path / MODEL_XML).is_file()


def read_ir(path: Path) -> IrModel:
    """The directory's model facts; InputError with what to do when it is not a usable IR."""
    xml, weights = path / MODEL_XML, path / MODEL_BIN
    if not xml.is_file():
        raise InputError(f"{path}: no {MODEL_XML}; not an OpenVINO model directory")
    if not weights.is_file():
        raise InputError(f"{path}: {MODEL_XML} without {MODEL_BIN}; copy the whole directory")
    if not (path / TOKENIZER_XML).is_file():
        raise InputError(
            f"{path}: no {TOKENIZER_XML}; export with optimum-cli (it converts the tokenizer) "
            "or with 'sizer models openvino GGUF DIR'"
        )
    size = xml.stat().st_size
    if size > MAX_XML_BYTES:
        raise InputError(f"{xml}: {size} bytes is too large for a model graph")
    raw = xml.read_bytes()
    graph = _parse_graph(xml, raw, weights.stat().st_size)
    return IrModel(
        path=path,
        xml_sha256=hashlib.sha256(IDENTITY_SALT + raw).hexdigest(),
        xml_bytes=size,
        bin_bytes=weights.stat().st_size,
        config=_side_config(path),
        **graph,
    )


def _parse_graph(xml: Path, raw: bytes, bin_bytes: int) -> dict[str, Any]:
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise InputError(f"{xml}: not a readable OpenVINO graph ({exc})") from None
    if root.tag != "net":
        raise InputError(f"{xml}: not an OpenVINO graph (root element <{root.tag}>)")
    weight_bytes: Counter[str] = Counter()
    elements = 0
    kv: list[tuple[int, int]] = []
    for layer in root.iter("layer"):
        data = layer.find("data")
        if data is None:
            continue
        kind = layer.get("type")
        if kind == "Const":
            weight_bytes, elements = _add_constant(xml, data, bin_bytes, weight_bytes, elements)
        elif kind == "ReadValue":
            match = _KV_VARIABLE.match(data.get("variable_shape", ""))
            if match and "past_key_values" in data.get("variable_id", ""):
                kv.append((int(match.group(1)), int(match.group(2))))
    if not kv:
        raise InputError(
            f"{xml}: no KV-cache state in the graph; sizer measures stateful LLMs as "
            "optimum-cli exports them (text-generation-with-past)"
        )
    heads, dims = Counter(h for h, _ in kv), Counter(d for _, d in kv)
    info = root.find("rt_info/info[@name='OpenVINO Runtime']")
    return {
        "weight_bytes": dict(weight_bytes),
        "weight_elements": elements,
        "n_layers": len(kv) // 2,
        "n_head_kv": heads.most_common(1)[0][0],
        "head_dim": dims.most_common(1)[0][0],
        "runtime": info.get("value") if info is not None else None,
    }


def _add_constant(
    xml: Path, data: ET.Element, bin_bytes: int, by_type: Counter[str], elements: int
) -> tuple[Counter[str], int]:
    try:
        offset, size = int(data.get("offset", "0")), int(data.get("size", "0"))
    except ValueError:
        raise InputError(f"{xml}: a constant with a malformed offset or size") from None
    if offset < 0 or size < 0 or offset + size > bin_bytes:
        raise InputError(
            f"{xml}: a constant lies outside {MODEL_BIN} ({offset}+{size} > {bin_bytes} "
            "bytes); the weights file is truncated or belongs to another model"
        )
    kind = data.get("element_type", "")
    by_type[kind] += size
    dims = [int(d) for d in data.get("shape", "").split(",") if d.strip().isdigit()]
    # Weights are 2-D or grouped 3-D; scales and zero points end in a 1-sized axis.
    if len(dims) >= 2 and dims[-1] > 1 and kind in _PRECISION:
        count = 1
        for d in dims:
            count *= d
        elements += count
    return by_type, elements


def _side_config(path: Path) -> dict[str, Any]:
    """Shape figures from sizer's conversion note, else from optimum's config.json."""
    for name in (SOURCE_NOTE, "config.json"):
        file = path / name
        if not file.is_file():
            continue
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{file}: not readable JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{file}: expected a JSON object")
        return data
    return {}


def openvino_error_line(exc: BaseException) -> str:
    """OpenVINO's C++ exceptions are multi-line assertions naming build paths; their first
    line without the path is what a user can read."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return re.sub(r" at /\S+", "", first).rstrip(":")[:200]


def config_int(ir: IrModel, *keys: str) -> int | None:
    """The first of ``keys`` the side config holds as a positive integer."""
    for key in keys:
        value = ir.config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None

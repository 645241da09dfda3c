"""GGUF -> OpenVINO IR directory, through OpenVINO GenAI's own GGUF reader.

GenAI builds an OpenVINO model from a GGUF at load time (Q4_K blocks become u4 weights with
f16 scales, Q6_K and Q8_0 become u8) and, with ``enable_save_ov_model``, saves that model and
its converted tokenizers next to the file it read. We point it at a link to the GGUF inside a
scratch directory, so the IR lands there, and move the directory into place only when it is
complete. The result is the same weights in the format OpenVINO users deploy, which lets
``sizer bench`` compare the two formats on one model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sizer.errors import InputError, SizerError
from sizer.models.gguf_header import read_header
from sizer.models.openvino_ir import MODEL_XML, SOURCE_NOTE, openvino_error_line, read_ir
from sizer.models.spec import spec_from_header


def convert(gguf: Path, out: Path) -> Path:
    """Write ``out`` (an IR directory) from ``gguf``; refuses to overwrite a non-empty one."""
    spec = spec_from_header(read_header(gguf))
    if spec.shape_only:
        raise InputError(f"{gguf}: a shape-only file has random weights; convert a real model")
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: exists and is not empty; name a new directory")
    scratch = out.parent / f".{out.name}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        link = scratch / gguf.name
        link.symlink_to(gguf.resolve())
        _save_through_genai(link, spec.architecture)
        link.unlink()
        if not (scratch / MODEL_XML).is_file():
            raise SizerError(
                "OpenVINO GenAI loaded the GGUF but saved no model; this openvino-genai "
                "version may lack enable_save_ov_model (2025.2 or later has it)"
            )
        note = {
            "converted_from": gguf.name,
            "architecture": spec.architecture,
            "file_type": spec.file_type,
            "n_params": spec.n_params,
            "n_embd": spec.n_embd,
            "n_head": spec.n_head,
            "n_ff": spec.n_ff,
            "vocab_size": spec.vocab_size,
            "converter": "openvino-genai GGUF reader (enable_save_ov_model)",
        }
        (scratch / SOURCE_NOTE).write_text(json.dumps(note, indent=2) + "\n")
        read_ir(scratch)  # what we wrote must read back as a usable model directory
        if out.exists():
            out.rmdir()
        scratch.rename(out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return out


def _save_through_genai(gguf_link: Path, architecture: str) -> None:
    try:
        import openvino_genai
    except ImportError as exc:
        raise SizerError("openvino-genai is not installed: pip install openvino-genai") from exc
    try:
        pipe = openvino_genai.LLMPipeline(str(gguf_link), "CPU", enable_save_ov_model=True)
    except RuntimeError as exc:
        raise InputError(
            f"OpenVINO GenAI cannot convert this {architecture} GGUF: {openvino_error_line(exc)}"
        ) from None
    del pipe


def converted_beside(gguf: Path) -> Path:
    """The IR directory converted from ``gguf``, kept beside it (``<stem>-openvino``):
    converted once, then reused (the model cache's copy for tests and benchmarks)."""
    target = gguf.with_name(f"{gguf.stem}-openvino")
    if not (target / MODEL_XML).is_file():
        convert(gguf, target)
    return target

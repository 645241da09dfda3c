"""Which catalog model a GGUF file is: by shape, and by name where shapes are shared."""

from __future__ import annotations

import re

from sizer.models.catalog import CatalogEntry, load_catalog
from sizer.models.resolve import ResolvedModel


def identify(resolved: ResolvedModel) -> CatalogEntry | None:
    """The catalog model a GGUF file is, by shape, and by name where shapes are shared
    (Qwen2.5 1.5B and Qwen2.5-Coder 1.5B have the same shape)."""
    spec = resolved.spec
    if spec is None:
        return None
    same_shape = [
        e
        for e in load_catalog().values()
        if (e.shape.arch, e.shape.n_layers, e.shape.n_embd, e.shape.n_head, e.shape.vocab)
        == (spec.architecture, spec.n_layers, spec.n_embd, spec.n_head, spec.vocab_size)
    ]
    words = set(re.findall(r"[a-z0-9]+", f"{spec.name or ''} {resolved.label}".lower()))
    # The catalog lists instruction-tuned models; a base model of the same shape (such as
    # the Gemma 3 270M file the tests use) answers differently and is not that entry.
    tuned = bool(words & _TUNED_WORDS)
    same_shape = [e for e in same_shape if tuned or not _is_tuned(e)]
    if len(same_shape) <= 1:
        return same_shape[0] if same_shape else None
    return max(same_shape, key=lambda e: len(words & set(re.findall(r"[a-z0-9]+", e.id))))


_TUNED_WORDS = {"instruct", "it", "chat"}


def _is_tuned(entry: CatalogEntry) -> bool:
    return bool(set(re.findall(r"[a-z0-9]+", entry.name.lower())) & _TUNED_WORDS)

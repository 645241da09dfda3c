"""Facts that are slow to compute, cached by a hash of what they are computed from:
model files by GGUF header hash, profile schema checks by the hash of schema and profile.

Reading a GGUF header with a 150k-token vocabulary takes about a tenth of a second; a
recommendation that looks at every measured run would spend seconds re-reading the same
few files. The header hash names the file's exact contents (metadata and tensor table),
so a fact cached under it never goes stale. The cache is ``$SIZER_HOME/file-facts.json``;
an unreadable cache is ignored and rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sizer.paths import sizer_home

_FACTS: dict[str, dict[str, Any]] | None = None


def _path():
    return sizer_home() / "file-facts.json"


def _load() -> dict[str, dict[str, Any]]:
    global _FACTS
    if _FACTS is None:
        try:
            data = json.loads(_path().read_text(encoding="utf-8"))
            _FACTS = {k: dict(v) for k, v in data.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            _FACTS = {}
    return _FACTS


def cached(kind: str, sha: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per (kind, header hash); JSON-able values only. Exceptions from
    ``compute`` propagate and nothing is cached."""
    return cached_many(kind, {sha: compute})[sha]


def cached_many(kind: str, computes: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """``cached`` for many keys of one kind, the file written once for all the misses."""
    facts = _load().setdefault(kind, {})
    missing = [sha for sha in computes if sha not in facts]
    for sha in missing:
        facts[sha] = computes[sha]()
    if missing:
        try:
            _path().parent.mkdir(parents=True, exist_ok=True)
            _path().write_text(json.dumps(_FACTS), encoding="utf-8")
        except OSError:
            pass  # a cache that cannot be written only costs time
    return {sha: facts[sha] for sha in computes}


def forget_loaded() -> None:
    """Drop the in-process copy (tests point SIZER_HOME elsewhere between cases)."""
    global _FACTS
    _FACTS = None

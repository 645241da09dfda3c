"""Inference backends, imported by name only when a run needs them (they pull in heavy
native libraries: llama_cpp, openvino). Each module exposes ``open_session(config)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sizer.backends.base import Session
    from sizer.backends.config import RunConfig

_MODULES = {"llama.cpp": "sizer.backends.llama_cpp", "openvino": "sizer.backends.openvino"}


def open_session(config: RunConfig) -> Session:
    module = importlib.import_module(_MODULES[config.backend])
    return module.open_session(config)

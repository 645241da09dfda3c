"""Tables sizer ships beside its code in ``sizer/speed`` that a benchmark writes
(``make bench-unseen``: prediction_errors.json, gpu_efficiency.json), read and checked for
their format the same way."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def packaged_table(name: str, fmt: str, version: int) -> dict[str, Any]:
    """``sizer/speed/<name>``, refused unless it is ``fmt`` at ``version``."""
    data = json.loads(resources.files("sizer.speed").joinpath(name).read_text())
    if (data.get("format"), data.get("format_version")) != (fmt, version):
        raise ValueError(f"sizer/speed/{name}: not {fmt} format version {version}")
    return data

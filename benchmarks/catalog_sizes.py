"""Computed GGUF sizes against real files and published sizes.

The catalog computes each file size from the model's shape and llama.cpp's quantisation mix.
This prints, for every published size the catalog lists and for the real files installed
here, the computed size and the error. Publishers that quantise with an importance matrix
(bartowski, unsloth) are computed with it; it changes Q4_0's first ffn_down layers only.

Usage: .venv/bin/python benchmarks/catalog_sizes.py
"""

from __future__ import annotations

import statistics

from sizer.models import registry_models
from sizer.models.catalog import load_catalog

REAL_FILES = {"gemma3-270m": "gemma3-270m", "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b"}


def main() -> None:
    catalog = load_catalog()
    rows = []
    for catalog_id, registry_name in REAL_FILES.items():
        path = registry_models.ensure(registry_name)
        computed = catalog[catalog_id].file_bytes("Q4_K_M")
        rows.append((catalog_id, "Q4_K_M", path.stat().st_size, computed, "real file here"))
    for entry in catalog.values():
        for published in entry.published:
            computed = entry.file_bytes(published["quant"], published.get("imatrix", False))
            source = f"{published['repo']} ({published['precision']})"
            rows.append((entry.id, published["quant"], published["bytes"], computed, source))
    print(f"{'model':<30} {'quant':<7} {'actual GB':>10} {'computed':>9} {'error':>7}  source")
    for model, quant, actual, computed, source in rows:
        error = (computed - actual) / actual
        print(
            f"{model:<30} {quant:<7} {actual / 1e9:>10.3f} {computed / 1e9:>9.3f} "
            f"{error:>+7.2%}  {source}"
        )
    errors = [abs(c - a) / a for _, _, a, c, _ in rows]
    print(
        f"\n|error| median {statistics.median(errors):.2%}, max {max(errors):.2%} "
        f"over {len(rows)} files"
    )


if __name__ == "__main__":
    main()

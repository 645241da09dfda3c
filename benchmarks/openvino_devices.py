"""OpenVINO's iGPU and NPU speed model, scored on chips it was not fitted on.

Reads the published runs in ``profiles/sources/openvino`` (Intel's per-chip tables, verbatim,
and community posts), then for the Arc iGPU and the NPU:

- leave one chip out: every chip's runs predicted from a fit on the other chips;
- leave one table out: every published table (one chip at one OpenVINO release) predicted
  from the others, so a chip's other tables stay in (how well a new release is predicted);

decode tok/s and first-token time, median and worst |predicted/measured - 1|, beside the
naive rule decode = 0.5 x spec bandwidth / weight bytes, and the share of published runs
sizer can predict at all. ``fit`` also writes ``sizer/speed/openvino_efficiency.json``: the
figures fitted on every run (what sizer uses) with the leave-one-chip-out errors (what it
prints beside its predictions).

Usage: .venv/bin/python benchmarks/openvino_devices.py [fit]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from sizer.speed import openvino_fit as ov


def report(runs: list[ov.Run], known: dict[str, ov.Chip]) -> dict[str, dict]:
    speed_runs = [r for r in runs if r.decode_tok_s or r.ttft_s]
    sources = len({r.table for r in runs})
    print(f"{len(speed_runs)} published OpenVINO speed runs from {sources} tables and posts")
    cover = ov.coverage(speed_runs, known)
    share = cover["predictable"] / max(cover["runs"], 1)
    print(f"coverage: {cover['predictable']} of {cover['runs']} runs predictable ({share:.0%})")
    for why, n in sorted(cover["not_predictable"].items(), key=lambda kv: -kv[1]):
        print(f"  not predictable: {n:>4}  {why}")
    print("\nerrors |predicted/measured - 1|: median / worst (runs)")
    header = (
        f"  {'device':<6} {'held out':<10} {'decode':>18} {'first token':>18} {'naive decode':>18}"
    )
    print(header)
    held: dict[str, dict] = {}
    by_chip: dict[str, ov.Errors] = {}
    for device in ("GPU", "NPU"):
        splits = (
            ("chip", lambda r: r.chip, False),
            ("table", lambda r: r.table, False),
            ("chip*", lambda r: r.chip, True),
        )
        for label, group, pooled in splits:
            if pooled and device == "NPU":
                continue  # the NPU has one fit for every generation anyway
            errors = ov.held_out(runs, known, group, device, pooled_only=pooled)
            summary = {k: v.summary() for k, v in errors.items()}
            if label == "chip" and not pooled:
                held[device] = summary
                by_chip = errors if device == "GPU" else by_chip
            print(
                f"  {device:<6} {label:<10} {_cell(summary['decode'])} {_cell(summary['ttft'])}"
                f" {_cell(summary['naive_decode'])}"
            )
    print("  (chip*: one pooled fit for every iGPU generation, as a generation with no runs gets)")
    _per_chip(by_chip)
    return held


def _per_chip(errors: dict[str, ov.Errors]) -> None:
    print("\niGPU per chip, left out: median signed error, decode / first token (runs)")
    for chip in sorted({r.chip for r in errors["decode"].runs}):
        decode, first = errors["decode"].of_chip(chip), errors["ttft"].of_chip(chip)
        print(f"  {chip:<28} {_pct(decode)} / {_pct(first)} ({len(decode)})")


def _pct(values: list[float]) -> str:
    return f"{statistics.median(values):>+5.0%}" if values else f"{'—':>5}"


def _cell(s: dict) -> str:
    if not s.get("n"):
        return f"{'—':>18}"
    return f"{s['median_abs']:>5.0%} / {s['worst_abs']:>4.0%} ({s['n']:>4})"


def main() -> None:
    started = time.perf_counter()
    runs, known = ov.load_runs(), ov.chips()
    held = report(runs, known)
    if sys.argv[1:] == ["fit"]:
        out = ov.write_efficiency(runs, known, held)
        for device in ("GPU", "NPU"):
            for name, fit in out[device]["fits"].items():
                print(f"\n{device} {name}: {fit}")
        print(f"wrote {ov.EFFICIENCY_FILE.relative_to(Path.cwd())}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()

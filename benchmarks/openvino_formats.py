"""One model in two formats on this machine's CPU: the GGUF on llama.cpp, the same GGUF read by
OpenVINO GenAI, and the OpenVINO IR converted from it (``sizer models openvino``), side by side.

Speed: ``sizer bench IR GGUF --backend all`` (load/compile time, TTFT, prefill and decode tok/s
with their spread, peak RSS), one run of sizer, so the ratios come from the same minutes.
Accuracy: the quick task suites on llama.cpp (GGUF) and on OpenVINO (IR), with how many answers
are identical and each pass's headline score. Results go to ``results/openvino-<time>/``.

Usage: .venv/bin/python benchmarks/openvino_formats.py [MODEL] [--no-tasks] [--full]
MODEL: a registry model (default qwen2.5-coder-1.5b) or a GGUF path OpenVINO GenAI can read.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _models import model_path, openvino_model_path
from batched_eval import compare_all, passes, timed_bench

from sizer.bench import results
from sizer.units import gib

SPEED = ["--prompt-tokens", "512", "--gen-tokens", "128", "--reps", "5"]


def speed(gguf: Path, ir: Path, threads: str, out: Path) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "sizer", "bench", str(ir), str(gguf), "--backend", "all"]
    command += ["--device", "CPU", "--threads", threads, *SPEED, "--out", str(out)]
    subprocess.run(command, check=True)
    return [r for r in results.load(out) if r.get("status") == "ok"]


def print_speed(records: list[dict[str, Any]]) -> None:
    print(
        f"\n{'format · backend':<34} {'load s':>7} {'first inf s':>11} {'TTFT s':>13}"
        f" {'prefill tok/s':>15} {'decode tok/s':>14} {'peak RSS':>9}"
    )
    base = next(
        (r for r in records if r["backend"]["name"] == "llama.cpp"), records[0] if records else None
    )
    for r in records:
        m = r["metrics"]
        fmt = "IR" if r["model"].get("format") == "openvino-ir" else "GGUF"
        label = f"{fmt} {r['model'].get('file_type')} · {r['backend']['name']}"
        first = r["conditions"].get("first_inference_s")
        print(
            f"{label:<34} {m['load_s']:>7.1f} {_num(first, 11, 1)} "
            f"{_spread(m['ttft_s'], 2):>13} {_spread(m['prefill_tok_s'], 1):>15}"
            f" {_spread(m['decode_tok_s'], 1):>14} {gib(m['peak_rss_bytes']):>9}"
        )
    if base is None:
        return
    for r in records:
        if r is base:
            continue
        ratio = {
            k: r["metrics"][k]["median"] / base["metrics"][k]["median"]
            for k in ("prefill_tok_s", "decode_tok_s", "ttft_s")
        }
        fmt = "IR" if r["model"].get("format") == "openvino-ir" else "GGUF"
        print(
            f"  {fmt} on {r['backend']['name']} vs GGUF on llama.cpp: "
            f"prefill {ratio['prefill_tok_s']:.2f}x, decode {ratio['decode_tok_s']:.2f}x, "
            f"TTFT {ratio['ttft_s']:.2f}x"
        )


def tasks(model: Path, out: Path, log: Path, full: bool, threads: str) -> dict[str, float]:
    args = [str(model), "--tasks", "all", "--threads", threads, "--out", str(out)]
    return timed_bench(args if full else [*args, "--quick"], log)


def print_tasks(llama: Path, ov: Path, times: dict[str, dict[str, float]]) -> None:
    rows = compare_all(passes(llama), passes(ov))
    header = "score llama.cpp/OpenVINO (items apart)"
    print(f"\n{'pass':<22} {'items':>5} {'identical':>9}  {header:<40}")
    for r in rows:
        share = r["identical"] / max(r["items"], 1)
        score = (
            f"{r['metric']} {r['score_sequential']:.2f}/{r['score_batched']:.2f}"
            f" ({r['score_diff_items']:+g})"
            if r["score_diff_items"] is not None
            else "—"
        )
        print(f"{r['pass']:<22} {r['items']:>5} {r['identical']:>4} ({share:>3.0%})  {score:<40}")
    items = sum(r["items"] for r in rows)
    same = sum(r["identical"] for r in rows)
    print(f"\nall passes: {same}/{items} identical answers ({same / max(items, 1):.0%})")
    for name, t in times.items():
        rss = gib(t["peak_rss_bytes"]) if t.get("peak_rss_bytes") else "?"
        print(f"  {name}: {t['elapsed_s'] / 60:.1f} min, peak RSS {rss}")


def _spread(summary: dict[str, Any], digits: int) -> str:
    return f"{summary['median']:.{digits}f} ±{summary.get('cv', 0):.0%}"


def _num(value: float | None, width: int, digits: int) -> str:
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'—':>{width}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="qwen2.5-coder-1.5b")
    parser.add_argument("--no-tasks", action="store_true", help="speed only")
    parser.add_argument("--full", action="store_true", help="full task suites, not --quick")
    parser.add_argument("--threads", default="auto")
    args = parser.parse_args()
    gguf, ir = model_path(args.model), openvino_model_path(args.model)
    folder = Path("results") / f"openvino-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True)
    print_speed(speed(gguf, ir, args.threads, folder / "speed.jsonl"))
    if args.no_tasks:
        return
    times = {
        "llama.cpp GGUF": tasks(
            gguf, folder / "tasks-llama.jsonl", folder / "llama.log", args.full, args.threads
        ),
        "OpenVINO IR": tasks(
            ir, folder / "tasks-openvino.jsonl", folder / "openvino.log", args.full, args.threads
        ),
    }
    print_tasks(folder / "tasks-llama.jsonl", folder / "tasks-openvino.jsonl", times)
    print(f"\nresults in {folder}/")


if __name__ == "__main__":
    main()

"""Predictions for hardware sizer has not seen, scored where they were not fitted.

Every llama.cpp run in the profile corpus (default: profiles/) is predicted the way
``sizer recommend --hardware`` predicts another machine: from that machine's hardware record,
with what the rest of the corpus teaches (per-thread bandwidth and the corrections of
similar machines). What the rest of the corpus means depends on the split:

- leave one source out: every run published by the same source (a GitHub owner or site;
  sizer's own measurements are one source) is held out together, so a source's habits
  (its build, its threads, its machines) never help predict that source;
- leave one machine out: every run of the same hardware is held out together.

Nothing is tuned on the rows it is scored on. Beside each figure it prints a naive baseline:
decode = 0.5 x the record's theoretical memory bandwidth / the bytes a token streams (no
baseline where the record has no bandwidth). Coverage: the share of the corpus's runs that
can be predicted at all, from the record (``recommend --hardware``) and from the hardware
database alone by CPU name (``sizer fleet``), which never resolves an unknown name.

Errors are |predicted / measured - 1|, per device class: CPU x86, CPU Arm (incl. Apple's
CPU), and llama.cpp with the whole model on a GPU (Apple Metal, CUDA, ROCm/Vulkan, Intel
GPU), whose efficiencies (``sizer.speed.gpu_fit``) are fitted on the training runs of each
split only. GPU runs need their GPU in the hardware database (by name, as ``recommend
--hardware`` finds it); coverage counts those that are not.

Usage: .venv/bin/python benchmarks/unseen.py [PROFILES_DIR...] [--out DIR]
       [--write-errors FILE] [--write-efficiency FILE]
Writes DIR/unseen-<time>.json (default DIR: results/) and prints the table; with the
options, the per-class medians sizer shows (prediction_errors.json) and the GPU fit over the
whole corpus (gpu_efficiency.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sizer.hardware.db import load, match
from sizer.profiles.corpus import Corpus, load_corpus
from sizer.speed.corpus import CorpusRun, corpus_runs, params_from_runs
from sizer.speed.devices import gpu_params
from sizer.speed.errors import cpu_class
from sizer.speed.gpu_fit import GpuRun, efficiency_table, fit, gpu_runs
from sizer.speed.model import predict
from sizer.speed.sparse import corpus_cost, with_cost

NAIVE_FRACTION = 0.5


def source_of(profile: dict) -> str:
    """Who published the runs: a GitHub owner, a site, or sizer's own measurements."""
    provenance = profile.get("provenance") or {}
    if provenance.get("kind") == "measured":
        return "measured by sizer"
    url = urlparse(provenance.get("source") or "")
    parts = [p for p in url.path.split("/") if p]
    if url.netloc == "github.com" and parts:
        return f"github.com/{parts[0]}"
    return url.netloc or "unknown"


def device_class(run: CorpusRun) -> str:
    return cpu_class(run.hardware)  # the class sizer shows the error of beside its estimates


def labelled_runs(corpus: Corpus) -> list[tuple[CorpusRun, str]]:
    """Every CPU run of the corpus with the source that published it."""
    return _labelled(corpus, corpus_runs)


def labelled_gpu_runs(corpus: Corpus) -> list[tuple[GpuRun, str]]:
    """Every whole-model GPU run of the corpus with the source that published it."""
    return _labelled(corpus, gpu_runs)


def _labelled(corpus: Corpus, read: Callable[[Corpus], list]) -> list:
    return [
        (run, source_of(profile))
        for path, profile in corpus.profiles
        for run in read(Corpus([(path, profile)], []))
    ]


Group = Callable[[Any, str], str]
SparseCost = Callable[[str], float | None]


def sparse_costs(
    runs: list[tuple[CorpusRun, str]], gpu: list[tuple[GpuRun, str]], group: Group
) -> SparseCost:
    """The MoE streaming cost (sizer.speed.sparse) fitted without the held-out group, by group."""

    @cache
    def cost(held: str) -> float | None:
        return corpus_cost(
            [r for r, s in runs if group(r, s) != held], [r for r, s in gpu if group(r, s) != held]
        )

    return cost


def no_cost(held: str) -> float | None:
    return None


def predicted_gpu(
    run: GpuRun, training: list[GpuRun], cost: float | None = None
) -> tuple[float, float]:
    """Decode and prefill tok/s of a GPU run at its class's efficiencies, fitted on
    ``training`` (the class default where the training runs are too few), and the MoE
    streaming cost fitted without it."""
    assert run.figures is not None
    fitted = fit(training, run.gpu_class)
    params = gpu_params(
        run.figures,
        fitted.bandwidth_fraction,
        run.gpu,
        fitted.layer_s,
        fitted.matmul_fraction,
        fitted.quant_fraction,
    )
    params = with_cost(params, cost)
    p = predict(run.shape, params, depth=run.depth, prompt=run.prompt)
    return p.decode_tok_s, p.prefill_tok_s


def naive_gpu_decode(run: GpuRun) -> float | None:
    if run.figures is None or not run.shape.decode_weight_bytes:
        return None
    return NAIVE_FRACTION * run.figures.bandwidth_gbs * 1e9 / run.shape.decode_weight_bytes


def scored_gpu(
    runs: list[tuple[GpuRun, str]], group: Group, cost: SparseCost = no_cost
) -> list[dict]:
    """One row per predictable GPU run: its errors when its whole group is held out."""
    rows = []
    for run, source in runs:
        if run.figures is None:
            continue
        held = group(run, source)
        training = [r for r, s in runs if group(r, s) != held]
        decode, prefill = predicted_gpu(run, training, cost(held))
        rows.append(
            {
                "machine": run.label,
                "gpu": run.gpu,
                "source": source,
                "class": run.gpu_class,
                "model": run.model,
                "fitted_on_machines": fit(training, run.gpu_class).machines,
                "decode_error": _error(decode, run.decode_tok_s),
                "prefill_error": _error(prefill, run.prefill_tok_s),
                "naive_decode_error": _error(naive_gpu_decode(run), run.decode_tok_s),
            }
        )
    return rows


def predicted(
    run: CorpusRun, training: list[CorpusRun], cost: float | None = None
) -> tuple[float, float]:
    """Decode and prefill tok/s for ``run`` from its record and the training runs only (and
    the MoE streaming cost fitted without it)."""
    params = with_cost(params_from_runs(run.hardware, run.threads, training), cost)
    p = predict(run.shape, params, depth=run.depth, prompt=run.prompt)
    return p.decode_tok_s, p.prefill_tok_s


def naive_decode(run: CorpusRun) -> float | None:
    theoretical = (run.hardware.get("memory") or {}).get("theoretical_bandwidth_bytes_s")
    if not theoretical or not run.shape.decode_weight_bytes:
        return None
    return NAIVE_FRACTION * theoretical / run.shape.decode_weight_bytes


def scored(
    runs: list[tuple[CorpusRun, str]], group: Group, cost: SparseCost = no_cost
) -> list[dict]:
    """One row per run: its errors when its whole group is held out."""
    rows = []
    for run, source in runs:
        held = group(run, source)
        training = [r for r, s in runs if group(r, s) != held]
        decode, prefill = predicted(run, training, cost(held))
        naive = naive_decode(run)
        rows.append(
            {
                "machine": run.label,
                "source": source,
                "class": device_class(run),
                "model": run.model,
                "threads": run.threads,
                "decode_error": _error(decode, run.decode_tok_s),
                "prefill_error": _error(prefill, run.prefill_tok_s),
                "naive_decode_error": _error(naive, run.decode_tok_s),
            }
        )
    return rows


def _error(predicted_value: float | None, measured: float | None) -> float | None:
    if not predicted_value or not measured:
        return None
    return abs(predicted_value / measured - 1)


def coverage(runs: list[tuple[CorpusRun, str]], gpu: list[tuple[GpuRun, str]]) -> dict:
    """Runs predictable from the record (a CPU run always; a GPU run when the database
    knows its GPU), and CPU runs from the database by the CPU's name alone (which never
    resolves an unknown or ambiguous name)."""
    cpus = load("cpus")
    by_name = sum(
        1
        for run, _ in runs
        if (found := match((run.hardware.get("cpu") or {}).get("brand") or "", cpus)).entry
        or found.variants
    )
    gpu_known = sum(1 for run, _ in gpu if run.figures is not None)
    unknown = sorted({run.gpu for run, _ in gpu if run.figures is None})
    return {
        "runs": len(runs) + len(gpu),
        "from_record": len(runs) + gpu_known,
        "cpu_runs": len(runs),
        "cpu_from_database_by_name": by_name,
        "gpu_runs": len(gpu),
        "gpu_predictable": gpu_known,
        "gpus_not_in_database": unknown,
    }


def summary(rows: list[dict]) -> list[dict]:
    out = []
    for name in sorted({r["class"] for r in rows}):
        mine = [r for r in rows if r["class"] == name]
        line = {"class": name, "runs": len(mine)}
        paired = [r for r in mine if r["naive_decode_error"] is not None]
        for key, pool in (
            ("decode_error", mine),
            ("prefill_error", mine),
            ("naive_decode_error", paired),
            ("decode_error_same_runs", paired),  # sizer on the runs the baseline covers
        ):
            field = key.removesuffix("_same_runs")
            values = [r[field] for r in pool if r[field] is not None]
            line[key] = (
                {"median": statistics.median(values), "worst": max(values), "n": len(values)}
                if values
                else None
            )
        out.append(line)
    return out


def worst_rows(rows: list[dict], per_class: int = 2) -> list[str]:
    """Each class's largest errors, decode and prefill, with the machine and model."""
    out = []
    for name in sorted({r["class"] for r in rows}):
        for metric in ("decode_error", "prefill_error"):
            mine = [r for r in rows if r["class"] == name and r[metric] is not None]
            for r in sorted(mine, key=lambda r: -r[metric])[:per_class]:
                where = r.get("gpu") or r["machine"]
                out.append(
                    f"{name:<12} {metric.split('_')[0]:<7} {r[metric]:>6.0%}  {where[:34]:<34} "
                    f"{r['model'][:30]:<30} ({r['source']})"
                )
    return out


def _cell(stats: dict | None) -> str:
    if stats is None:
        return f"{'–':>16}"
    return f"{stats['median']:>5.0%} / {stats['worst']:>4.0%} ({stats['n']:>2})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=[Path("profiles")])
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument(
        "--write-errors",
        type=Path,
        help="also write the leave-one-source-out medians sizer shows beside its estimates "
        "(sizer/speed/prediction_errors.json)",
    )
    parser.add_argument(
        "--write-efficiency",
        type=Path,
        help="also write the GPU efficiencies fitted on the whole corpus "
        "(sizer/speed/gpu_efficiency.json)",
    )
    args = parser.parse_args()
    corpus = load_corpus(args.dirs)
    for rejected in corpus.rejected:
        print(f"skipped: {rejected.problems[0]}")
    runs, gpu = labelled_runs(corpus), labelled_gpu_runs(corpus)
    splits = {}
    for split, group in (
        ("leave one source out", by_source),
        ("leave one machine out", by_machine),
    ):
        cost = sparse_costs(runs, gpu, group)
        splits[split] = scored(runs, group, cost) + scored_gpu(gpu, group, cost)
    sources = sorted({s for _, s in runs} | {s for _, s in gpu})
    print(
        f"{len(runs)} CPU and {len(gpu)} GPU runs from {len(sources)} sources: {', '.join(sources)}"
    )
    print("errors |predicted/measured - 1|: median / worst (runs)")
    for split, rows in splits.items():
        print(f"\n{split}")
        print(
            f"  {'device class':<12} {'decode':>16}  {'prefill':>16}  "
            f"{'naive decode':>16}  {'sizer, same runs':>16}"
        )
        keys = ("decode_error", "prefill_error", "naive_decode_error", "decode_error_same_runs")
        for line in summary(rows):
            cells = "  ".join(_cell(line[k]) for k in keys)
            print(f"  {line['class']:<12} {cells}")
    print("\nworst rows, leave one source out (what the medians above hide):")
    for line in worst_rows(splits["leave one source out"]):
        print(f"  {line}")
    cover = coverage(runs, gpu)
    print(
        f"\ncoverage: {cover['from_record']} of {cover['runs']} runs predictable from their "
        f"records (recommend --hardware): all {cover['cpu_runs']} CPU runs, "
        f"{cover['gpu_predictable']} of {cover['gpu_runs']} GPU runs (GPUs not in the "
        f"database: {', '.join(cover['gpus_not_in_database']) or 'none'}); "
        f"{cover['cpu_from_database_by_name']} of {cover['cpu_runs']} CPU runs from the "
        "hardware database by CPU name (sizer fleet)"
    )
    fitted = fitted_tables([run for run, _ in runs], [run for run, _ in gpu])
    print("\nGPU efficiencies fitted on the whole corpus (what sizer uses):")
    for name, eff in fitted["classes"].items():
        print(
            f"  {name:<12} bandwidth x{eff['bandwidth_fraction']:.2f}, "
            f"{eff['layer_s'] * 1e6:.0f} us/layer, FP16 matrix peak x{eff['matmul_fraction']:.2f}"
            f", int8 peak x{eff['quant_fraction']:.2f} ({eff['basis']})"
        )
    sparse = fitted["sparse"]
    cost = sparse["stream_cost"] or 1.0
    print(f"  mixture of experts: streaming time x{cost:.2f} ({sparse['basis']})")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"unseen-{time.strftime('%Y%m%d-%H%M%S')}.json"
    data = {
        "splits": {k: {"summary": summary(v), "rows": v} for k, v in splits.items()},
        "coverage": cover,
        "sources": sources,
    }
    target.write_text(json.dumps(data, indent=2))
    print(f"wrote {target}")
    if args.write_errors:
        table = errors_table(summary(splits["leave one source out"]), len(sources))
        args.write_errors.write_text(json.dumps(table, indent=1) + "\n")
        print(f"wrote {args.write_errors}")
    if args.write_efficiency:
        args.write_efficiency.write_text(json.dumps(fitted, indent=1) + "\n")
        print(f"wrote {args.write_efficiency}")


def by_source(run: Any, source: str) -> str:
    return source


def by_machine(run: Any, source: str) -> str:
    return run.machine


def fitted_tables(cpu: list[CorpusRun], gpu: list[GpuRun]) -> dict:
    """What sizer uses, fitted on the whole corpus: the GPU classes' efficiencies and the MoE
    streaming cost (sizer/speed/gpu_efficiency.json)."""
    table = efficiency_table(gpu, time.strftime("%Y-%m-%d"))
    machines = {r.machine for r in cpu if r.shape.sparse and r.decode_tok_s}
    machines |= {r.machine for r in gpu if r.shape.sparse and r.decode_tok_s and r.figures}
    table["sparse"] = {
        "stream_cost": corpus_cost(cpu, gpu),
        "basis": f"fitted on the MoE decode runs of {len(machines)} machines, CPU and GPU",
    }
    return table


def errors_table(lines: list[dict], n_sources: int) -> dict:
    """What ``sizer.speed.errors`` reads: per device class, the median errors."""
    classes = {
        line["class"]: {
            "decode": (line["decode_error"] or {}).get("median"),
            "prefill": (line["prefill_error"] or {}).get("median"),
            "runs": line["runs"],
        }
        for line in lines
    }
    return {
        "format": "sizer.prediction-errors",
        "format_version": 1,
        "measured": time.strftime("%Y-%m-%d"),
        "split": "leave one source out",
        "sources": n_sources,
        "classes": classes,
    }


if __name__ == "__main__":
    main()

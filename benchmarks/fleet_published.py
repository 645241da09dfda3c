"""Predictions for hardware this machine is not, checked against published llama-bench runs.

For every imported profile in profiles/ whose CPU the hardware database knows, each run is
predicted from the database entry alone (cores, ISA, theoretical memory bandwidth -> the
prior in sizer.speed.prior, at the run's own thread count; no profile, no kernel measurement)
and printed beside the published figure with the error. The sources are the profiles' own
(profiles/sources/llama-bench/*.json: the tables verbatim, with URLs).

Usage: .venv/bin/python benchmarks/fleet_published.py [PROFILES_DIR] [--out DIR]
Writes DIR/fleet_published-<time>.json (default DIR: results/).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from sizer.hardware.db import load, match
from sizer.hardware.db_machine import hardware_record
from sizer.profiles.corpus import load_corpus
from sizer.speed.corpus import corpus_runs, learned_core_rates
from sizer.speed.model import predict
from sizer.speed.prior import prior_params

RAM_BYTES = 64 << 30  # irrelevant to speed; the record needs one


def rows_for(corpus) -> list[dict]:
    """Each imported run whose CPU the database knows: published vs predicted from the
    database entry alone (``db``), and with the per-thread bandwidth the rest of the corpus
    teaches (``db+corpus``, that machine's own profile left out)."""
    rows = []
    runs = corpus_runs(corpus)
    for run in runs:
        found = match(run.hardware["cpu"]["brand"], load("cpus"))
        if found.entry is None:
            continue
        hw = hardware_record(found.entry, RAM_BYTES)
        learnt = learned_core_rates([r for r in runs if r.machine != run.machine])
        alone = predict(
            run.shape, prior_params(hw, run.threads), depth=run.depth, prompt=run.prompt
        )
        taught = predict(
            run.shape, prior_params(hw, run.threads, learnt), depth=run.depth, prompt=run.prompt
        )
        for metric in ("decode", "prefill"):
            published = getattr(run, f"{metric}_tok_s")
            if published:
                rows.append(
                    _row(
                        found.entry.name,
                        run,
                        metric,
                        published,
                        getattr(alone, f"{metric}_tok_s"),
                        getattr(taught, f"{metric}_tok_s"),
                    )
                )
    return rows


def _row(machine, run, metric, published, alone, taught) -> dict:
    return {
        "machine": machine,
        "model": run.model,
        "threads": run.threads,
        "test": metric,
        "published": published,
        "db": alone,
        "db_error": alone / published - 1,
        "db_corpus": taught,
        "db_corpus_error": taught / published - 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=Path("profiles"))
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    corpus = load_corpus([args.dir])
    rows = [r for r in rows_for(corpus) if "measured" not in r["machine"]]
    print(
        f"{'machine (hardware database)':<26} {'model':<33} {'thr':>3} {'test':<7} "
        f"{'published':>9} {'db':>6} {'error':>6} {'+corpus':>7} {'error':>6}"
    )
    for r in rows:
        print(
            f"{r['machine'][:26]:<26} {r['model'][:33]:<33} {r['threads']:>3} {r['test']:<7} "
            f"{r['published']:>9.1f} {r['db']:>6.1f} {r['db_error']:>+6.0%} "
            f"{r['db_corpus']:>7.1f} {r['db_corpus_error']:>+6.0%}"
        )
    for metric in ("decode", "prefill"):
        for key in ("db_error", "db_corpus_error"):
            errors = [abs(r[key]) for r in rows if r["test"] == metric]
            if errors:
                print(
                    f"{metric} {key.removesuffix('_error')}: median |error| "
                    f"{statistics.median(errors):.0%}, worst {max(errors):.0%} over "
                    f"{len(errors)} runs"
                )
    machines = sorted({r["machine"] for r in rows})
    print(f"{len(machines)} machines: {', '.join(machines)}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"fleet_published-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(rows, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""How well does the speed model predict llama.cpp's real speed here? And the peers?

Measures (once; later runs reuse the records): Gemma 3 270M and Qwen2.5-Coder-1.5B (real
files) and shape-only Llama 3.2 3B and Llama 3.1 8B (Q4_K_M), at 1 and 2 threads and KV
depths 0 and 4096 (the 8B at depth 4096 with 2 threads only: filling its cache on one core
takes 17 minutes), prompt 256 tokens, 32 generated, 3 repetitions; plus sizer's two
calibration probe models; plus the kernels (read bandwidth, f32 matmul) at 1 and 2 threads.

Then predicts every measured run from:
- ``probes``: what `sizer recommend` uses: kernels + the two probe models, no real model;
- ``loo:<model>``: leave-one-out: the probe models' per-layer overheads plus one real
  model's own runs, predicting the other three;
- ``kernels``: the kernels x the fitted efficiencies in sizer/speed/prior.py (the tier for
  another machine's probe record; the efficiencies were fitted on these runs, so this tier
  is in-sample here);
- ``llmfit`` and ``ggufit`` (PyPI, installed into $SIZER_HOME/peers on first use): their
  decode predictions for the same models (neither predicts prefill or TTFT).

Usage: .venv/bin/python benchmarks/speed_prediction.py [--no-peers] [--out DIR]
Writes DIR/speed_prediction-<time>.json (default DIR: results/) and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sizer.backends.config import Measurement
from sizer.bench import BenchRequest, run_bench
from sizer.bench import calibration as bench_calibration
from sizer.bench.results import load, set_aside_unstable
from sizer.paths import sizer_home
from sizer.probe import probe
from sizer.speed import calibration, observe
from sizer.speed import prior as speed_prior
from sizer.speed.model import Observation, SpeedParams, fit_params, predict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import model_path

RESULTS = Path(__file__).resolve().parent.parent / "results"
MODELS = {  # name -> (what _models.model_path takes, peers' ids: llmfit HF id, ggufit name)
    "gemma3-270m": ("gemma3-270m", "google/gemma-3-270m", None),
    "qwen2.5-coder-1.5b": (
        "qwen2.5-coder-1.5b",
        "Qwen/Qwen2.5-Coder-1.5B-Instruct",
        "qwen2.5-coder-1.5b",
    ),
    "llama3.2-3b": ("llama3.2-3b", "meta-llama/Llama-3.2-3B-Instruct", "llama3.2-3b"),
    "llama3.1-8b": ("llama3.1-8b", "meta-llama/Llama-3.1-8B-Instruct", "llama3.1-8b"),
}
MATRIX = {"threads": (1, 2), "depths": (0, 4096), "prompt": 256, "gen": 32, "reps": 5}
UNSTABLE_CV = observe.UNSTABLE_CV  # a run spread wider than this is measured again
PEERS = {"llmfit": "llmfit==1.1.17", "ggufit": "ggufit==0.3.0"}


def measure(hw, out: Path) -> None:
    m = MATRIX
    for path in (out, out.with_name("speed-probes.jsonl")):
        moved = set_aside_unstable(path, UNSTABLE_CV)
        if moved:
            print(
                f"  {moved} unstable run(s) in {path.name} set aside, measuring again",
                file=sys.stderr,
            )
    measurement = Measurement(
        prompt_tokens=m["prompt"], gen_tokens=m["gen"], max_reps=m["reps"], min_reps=3
    )
    for name, (source, _, _) in MODELS.items():
        for threads in m["threads"]:
            depths = [0] if (name == "llama3.1-8b" and threads == 1) else list(m["depths"])
            request = BenchRequest(
                models=[str(model_path(source))],
                out=out,
                threads=str(threads),
                depths=depths,
                measurement=measurement,
                resume=True,
            )
            run_bench(request, hw, _progress)
    probes = [str(bench_calibration.probe_model(n)) for n in calibration.PROBE_SHAPES]
    probe_measurement = Measurement(
        prompt_tokens=calibration.PROBE_PROMPT,
        gen_tokens=calibration.PROBE_GEN,
        max_reps=5,
        min_reps=3,
    )
    for threads in m["threads"]:
        request = BenchRequest(
            models=probes,
            out=out.with_name("speed-probes.jsonl"),
            threads=str(threads),
            depths=[0, calibration.PROBE_DEPTH],
            measurement=probe_measurement,
            resume=True,
        )
        run_bench(request, hw, _progress)


def _progress(config, event) -> None:
    if event.get("event") in ("started", "skipped"):
        print(f"  {event['event']}: {config.describe()}", file=sys.stderr)


def kernels(hw) -> None:
    bench_calibration._measure_kernels(hw, 1)  # replaces earlier figures at that count
    bench_calibration._measure_kernels(hw, 2)


def observations(records: list[dict[str, Any]]) -> dict[str, list[tuple[int, Observation]]]:
    """(threads, observation) per model name, from finished runs."""
    found: dict[str, list[tuple[int, Observation]]] = {}
    for rec in records:
        if rec.get("status") != "ok":
            continue
        name = _model_name(rec["config"]["model_path"])
        shape = observe.shape_of_run(rec)
        if shape is None:
            raise SystemExit(f"{rec['config']['model_path']}: gone or changed since it was run")
        found.setdefault(name, []).append(
            (rec["config"]["threads"], observe.run_observation(rec, shape))
        )
    return found


def _model_name(path: str) -> str:
    stem = Path(path).name.lower()
    for name in [*MODELS, "overhead", "bandwidth"]:
        key = {"gemma3-270m": "gemma-3-270m", "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b"}.get(
            name, name
        )
        if key in stem:
            return name
    return stem


def params_sets(
    hw, obs: dict[str, list[tuple[int, Observation]]]
) -> dict[str, dict[int, SpeedParams]]:
    """Every calibration to compare, per thread count."""
    sets: dict[str, dict[int, SpeedParams]] = {"probes": {}, "kernels": {}}
    for name in MODELS:
        sets[f"loo:{name}"] = {}
    for threads in MATRIX["threads"]:
        prior = speed_prior.prior_params(hw, threads)
        sets["kernels"][threads] = prior
        probe_obs = {
            (n, o.depth): o
            for n in ("overhead", "bandwidth")
            for t, o in obs.get(n, [])
            if t == threads
        }
        with_overheads = calibration.overheads_from(probe_obs[("overhead", 0)], prior)
        sets["probes"][threads] = fit_params(
            [probe_obs[("overhead", calibration.PROBE_DEPTH)], probe_obs[("bandwidth", 0)]],
            with_overheads,
            "probes",
        )
        for name in MODELS:
            own = [o for t, o in obs.get(name, []) if t == threads]
            sets[f"loo:{name}"][threads] = fit_params(own, with_overheads, f"loo:{name}")
    return sets


def fitted_efficiencies(hw, obs) -> dict[str, Any]:
    """What sizer/speed/prior.py's KERNEL_EFFICIENCY and DEFAULT_LAYER_S are fitted from: all
    four models' runs with the probe overheads, over the kernels, per thread count."""
    found: dict[str, Any] = {}
    for threads in MATRIX["threads"]:
        prior = speed_prior.prior_params(hw, threads)
        tiny = next(o for t, o in obs.get("overhead", []) if t == threads and o.depth == 0)
        with_overheads = calibration.overheads_from(tiny, prior)
        every = [o for name in MODELS for t, o in obs.get(name, []) if t == threads]
        fitted = fit_params(every, with_overheads, "all")
        bandwidth = speed_prior.kernel_figure(hw, "memory_read_bandwidth", threads)
        flops = speed_prior.kernel_figure(hw, "matmul_f32", threads)
        found[str(threads)] = {
            "bandwidth": fitted.bandwidth_bytes_s / bandwidth,
            "decode_attn": fitted.decode_attn_flop_s / flops,
            "matmul": fitted.matmul_flop_s / flops,
            "prefill_attn": fitted.prefill_attn_flop_s / flops,
            "decode_layer_s": fitted.decode_layer_s,
            "prefill_layer_s": fitted.prefill_layer_s,
        }
    return found


def predictions(sets, obs) -> list[dict[str, Any]]:
    rows = []
    for name in MODELS:
        for threads, o in sorted(obs.get(name, []), key=lambda x: (x[0], x[1].depth)):
            row = {
                "model": name,
                "threads": threads,
                "depth": o.depth,
                "prompt": o.prompt,
                "measured": {
                    "decode": o.decode_tok_s,
                    "prefill": o.prefill_tok_s,
                    "ttft": o.prompt / o.prefill_tok_s,
                },
            }
            for label, by_threads in sets.items():
                if label == f"loo:{name}":
                    continue  # leave this model out of its own prediction
                p = predict(o.shape, by_threads[threads], depth=o.depth, prompt=o.prompt)
                row[label] = {
                    "decode": p.decode_tok_s,
                    "prefill": p.prefill_tok_s,
                    "ttft": p.ttft_s,
                }
            rows.append(row)
    return rows


# ---- the peers -------------------------------------------------------------------------------


def peer_env() -> Path:
    venv = sizer_home() / "peers"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PEERS.values()], check=True
        )
    return venv


def llmfit(venv: Path, hf_id: str, cores: int, ctx: int) -> float | None:
    """llmfit's CPU-only decode estimate (its `plan` command, JSON)."""
    cmd = [
        str(venv / "bin" / "llmfit"),
        "--no-dashboard",
        "--cpu-cores",
        str(cores),
        "plan",
        hf_id,
        "--context",
        str(max(ctx, 1)),
        "--quant",
        "Q4_K_M",
        "--json",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    try:
        data = json.loads(done.stdout)
    except ValueError:
        return None
    paths = [p for p in data.get("run_paths", []) if p.get("path") == "cpu_only"]
    return paths[0]["estimated_tps"] if paths else None


_GGUFIT = """
import json, sys
from ggufit import calculator, hardware
from ggufit.models import find_model
bandwidth = hardware.benchmark_memory_bandwidth()
budget, _ = calculator.ram_budget(hardware.get_ram_info()["total_gb"])
out = {"bandwidth": bandwidth}
for name, ctx in json.loads(sys.argv[1]):
    found = find_model(name)
    if not found or not found[1]:
        continue
    out[f"{name}@{ctx}"] = calculator.evaluate_fit(found[1], "q4", ctx, budget, bandwidth).speed.mid
print(json.dumps(out))
"""


def ggufit(venv: Path, wanted: list[tuple[str, int]]) -> dict[str, float]:
    """ggufit's decode estimates (mid of its ±30 % range), from its Python API: the CLI has
    no JSON output. It measures bandwidth itself (0.4 s copy) on every run."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _GGUFIT, json.dumps(wanted)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {}


def add_peers(rows: list[dict[str, Any]]) -> dict[str, Any]:
    venv = peer_env()
    wanted = [(MODELS[r["model"]][2], r["depth"]) for r in rows if MODELS[r["model"]][2]]
    gg = ggufit(venv, sorted(set(wanted)))
    for row in rows:
        _, hf_id, gg_name = MODELS[row["model"]]
        row["llmfit"] = {"decode": llmfit(venv, hf_id, row["threads"], row["depth"])}
        row["ggufit"] = {"decode": gg.get(f"{gg_name}@{row['depth']}")}
    return {"ggufit_bandwidth_gib_s": gg.get("bandwidth")}


# ---- report -----------------------------------------------------------------------------------


def error(pred: float | None, measured: float) -> float | None:
    return None if pred is None else (pred - measured) / measured


def summary(rows: list[dict[str, Any]], label: str, metric: str) -> dict[str, Any] | None:
    errors = [
        abs(e)
        for r in rows
        if label in r
        for e in [error(r[label].get(metric), r["measured"][metric])]
        if e is not None
    ]
    if not errors:
        return None
    return {"n": len(errors), "median": statistics.median(errors), "worst": max(errors)}


def report(rows, labels) -> list[str]:
    lines = ["", "predicted vs measured (error %): decode tok/s | prefill tok/s | TTFT s", ""]
    head = f"{'model':<20}{'thr':>4}{'depth':>6}  {'measured':>20}"
    for label in ("probes", "kernels", "llmfit", "ggufit"):
        head += f"  {label:>22}"
    lines.append(head)
    for r in rows:
        m = r["measured"]
        line = (
            f"{r['model']:<20}{r['threads']:>4}{r['depth']:>6}  "
            f"{m['decode']:>6.1f} {m['prefill']:>6.1f} {m['ttft']:>6.2f}"
        )
        for label in ("probes", "kernels", "llmfit", "ggufit"):
            p = r.get(label, {})
            cells = []
            for metric in ("decode", "prefill", "ttft"):
                e = error(p.get(metric), m[metric])
                cells.append("    -" if e is None else f"{100 * e:+5.0f}")
            line += "  " + " ".join(f"{c:>6}" for c in cells) + "  "
        lines.append(line)
    lines += [
        "",
        f"{'calibration':<28}{'decode median/worst':>22}{'prefill median/worst':>24}"
        f"{'TTFT median/worst':>22}",
    ]
    for label in labels:
        cells = []
        for metric in ("decode", "prefill", "ttft"):
            s = summary(rows, label, metric)
            cells.append(
                "-"
                if s is None
                else f"{100 * s['median']:.1f} % / {100 * s['worst']:.1f} % (n={s['n']})"
            )
        lines.append(f"{label:<28}{cells[0]:>22}{cells[1]:>24}{cells[2]:>22}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peers", action="store_true", help="skip llmfit and ggufit")
    parser.add_argument("--no-measure", action="store_true", help="use the recorded runs only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON result")
    args = parser.parse_args()
    hw = probe()
    matrix = args.out / "speed-matrix.jsonl"
    if not args.no_measure:
        measure(hw, matrix)
    print("measuring kernels at 1 and 2 threads…", file=sys.stderr)
    kernels(hw)
    obs = observations(load(matrix) + load(matrix.with_name("speed-probes.jsonl")))
    record = hw.to_dict()  # the speed model reads the record, with the kernels just measured
    sets = params_sets(record, obs)
    rows = predictions(sets, obs)
    peers = {} if args.no_peers else add_peers(rows)
    labels = ["probes", *[f"loo:{n}" for n in MODELS], "kernels"]
    if not args.no_peers:
        labels += ["llmfit", "ggufit"]
    lines = report(rows, labels)
    efficiencies = fitted_efficiencies(record, obs)
    lines += ["", "fitted over all four models (what sizer/speed/prior.py's constants come from):"]
    lines += [
        f"  {t} thread(s): " + ", ".join(f"{k} {v:.3g}" for k, v in e.items())
        for t, e in efficiencies.items()
    ]
    print("\n".join(lines))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    result = {
        "hardware": record,
        "params": {k: {t: p.to_dict() for t, p in v.items()} for k, v in sets.items()},
        "rows": rows,
        "peers": peers,
        "efficiencies": efficiencies,
        "summary": {
            label: {m: summary(rows, label, m) for m in ("decode", "prefill", "ttft")}
            for label in labels
        },
    }
    path = args.out / f"speed_prediction-{stamp}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()

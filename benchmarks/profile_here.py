"""Measure this machine for the profile corpus and export its profile.

Runs (each resumable: a rerun skips what is already in results/profile-here/):
- speed: Gemma 3 270M and Qwen2.5-Coder-1.5B (real files) at 1 and 2 threads, KV depths 0
  and 2048; shape-only Llama 3.2 3B and Llama 3.1 8B (Q4_K_M) at 2 threads, depth 0, and
  the 3B at 1 thread; Qwen2.5-Coder-1.5B through OpenVINO at 2 threads; prompt 256, 32
  generated, 3-5 repetitions;
- task suites (--quick, about 10 items each, all five suites) for the two real models.
  Shape-only files get no task scores: their weights are random, so any score would be
  noise (sizer's quality figures ignore shape-only scores anyway).

Runs spread wider than 10 % (CV; a machine busy with other work) are set aside into
``speed.jsonl.unstable`` and measured again by the next invocation.

Then ``sizer profile export results/profile-here -o profiles/<cpu>-<cores>c.json``.
About 30-40 minutes on the project's 2-core machine.

Usage: .venv/bin/python benchmarks/profile_here.py [--out-dir results/profile-here]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from sizer.bench.results import set_aside_unstable
from sizer.models.registry_models import ensure
from sizer.paths import sizer_home
from sizer.speed.observe import UNSTABLE_CV

SIZER = [sys.executable, "-m", "sizer"]
SPEED = ["--prompt-tokens", "256", "--gen-tokens", "32", "--reps", "5", "--resume"]


def shape_only(model_id: str) -> Path:
    path = sizer_home() / "shape-only" / f"{model_id}-q4_k_m.gguf"
    if not path.exists():
        run([*SIZER, "models", "synth", model_id, "-o", str(path)])
    return path


def run(command: list[str]) -> None:
    print("$ sizer " + " ".join(command[3:]), file=sys.stderr, flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("results/profile-here"))
    args = parser.parse_args()
    speed, tasks = args.out_dir / "speed.jsonl", args.out_dir / "tasks.jsonl"
    moved = set_aside_unstable(speed, UNSTABLE_CV)
    if moved:
        print(f"{moved} unstable run(s) set aside; measuring them again", file=sys.stderr)
    gemma, qwen = str(ensure("gemma3-270m")), str(ensure("qwen2.5-coder-1.5b"))
    small, large = str(shape_only("llama3.2-3b")), str(shape_only("llama3.1-8b"))
    out = ["--out", str(speed)]
    run([*SIZER, "bench", gemma, qwen, "--threads", "1,2", "--depth", "0,2048", *SPEED, *out])
    run([*SIZER, "bench", small, "--threads", "1,2", *SPEED, *out])
    run([*SIZER, "bench", large, "--threads", "2", *SPEED, *out])
    run([*SIZER, "bench", qwen, "--backend", "openvino", "--threads", "2", *SPEED, *out])
    run(
        [
            *SIZER,
            "bench",
            gemma,
            qwen,
            "--tasks",
            "all",
            "--quick",
            "--threads",
            "2",
            "--resume",
            "--out",
            str(tasks),
        ]
    )
    profile = Path("profiles") / f"{machine_slug()}.json"
    run([*SIZER, "profile", "export", str(args.out_dir), "-o", str(profile)])


def machine_slug() -> str:
    from sizer.probe import probe

    cpu = probe().cpu
    brand = re.sub(r"[^a-z0-9]+", "-", (cpu.brand or "cpu").lower()).strip("-")
    return f"{brand}-{cpu.physical_cores}c-measured"


if __name__ == "__main__":
    main()

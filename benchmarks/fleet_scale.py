"""Scale: a 50,000-row inventory through ``sizer fleet``, wall time and peak memory.

The generator writes an Intune-style export (deviceName, processor, physicalMemoryInBytes,
operatingSystem): CPU strings as Windows and macOS report them for 40 CPU models of the
hardware database (a few models make up most of a real fleet: weights fall off
geometrically), 8/16/32/64 GiB, plus 1 % CPUs the database does not know and 0.5 % rows
with impossible memory — so the run also exercises the problem paths. Seeded: the same
file every time.

Usage: .venv/bin/python benchmarks/fleet_scale.py [--rows 50000] [--out DIR]
Prints rows, distinct configurations, wall seconds and the peak RSS of the sizer process.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from sizer.hardware.db import load

MODELS = 40
RAM_GIB = (8, 16, 16, 16, 32, 32, 64)
UNKNOWN = ("Intel(R) Pentium(R) CPU G4560 @ 3.50GHz", "Intel(R) Celeron(R) N4020 CPU @ 1.10GHz")


def inventory_string(entry) -> str:
    """The processor string as device-management tools report it."""
    if entry.vendor == "Intel":
        return f"Intel(R) Core(TM) {entry.model.removeprefix('Core ')}"
    if entry.vendor == "AMD":
        return f"AMD {entry.model} with Radeon Graphics"
    return f"{entry.vendor} {entry.model}"


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    cpus = rng.sample(list(load("cpus")), MODELS)
    weights = [0.85**i for i in range(MODELS)]
    with path.open("w", encoding="utf-8") as out:
        out.write("deviceName,processor,physicalMemoryInBytes,operatingSystem\n")
        for i in range(rows):
            roll = rng.random()
            if roll < 0.01:
                cpu = rng.choice(UNKNOWN)
            else:
                cpu = inventory_string(rng.choices(cpus, weights)[0])
            ram = rng.choice(RAM_GIB) << 30 if roll > 0.005 else 0
            out.write(f"LT-{i:06d},{cpu},{ram},Windows\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    inventory = args.out / f"fleet-{args.rows}.csv"
    generate(inventory, args.rows)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sizer", "fleet", str(inventory), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
    data = json.loads(done.stdout)
    summary = {
        "rows": args.rows,
        "machines_assessed": data["machines"],
        "configurations": len(data["configurations"]),
        "problems": len(data["problems"]) + data["problems_not_listed"],
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
    print(json.dumps(summary))
    (args.out / f"fleet_scale-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(summary, indent=2)
    )


if __name__ == "__main__":
    main()

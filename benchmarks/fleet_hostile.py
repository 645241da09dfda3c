"""Hostile inventories through ``sizer fleet``: 1 GB of garbage in three forms, and a real
inventory cut short. For each: exit status, wall time, peak RSS of the sizer process, the
totals line and the first problem — never a traceback, never a silent drop.

- ``text-1GB``: a valid header, then 1 GiB of random printable text with newlines, quotes
  and delimiters (millions of rows that are not machines);
- ``no-newline-1GB``: a valid header, then 1 GiB without a line break (one "row");
- ``binary-1GB``: 1 GiB of random bytes;
- ``truncated``: the 50,000-row generated inventory cut mid-row at 60 %.

Files are written one at a time under --out and deleted after their run (1 GiB of disk).
Usage: .venv/bin/python benchmarks/fleet_hostile.py [--gib 1] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleet_scale import generate  # run as a script: benchmarks/ is on sys.path

HEADER = b"Device name,Processor,Total memory (GB)\n"
CHUNK = 1 << 20


def write_garbage(path: Path, kind: str, size: int, rng: random.Random) -> None:
    alphabet = {"text-1GB": b'abcdefXYZ0123456789 ,;\t"\n\xc3\xa9', "no-newline-1GB": b"abc 012,;"}
    with path.open("wb") as out:
        if kind != "binary-1GB":
            out.write(HEADER)
        chunk = (
            rng.randbytes(CHUNK)
            if kind == "binary-1GB"
            else bytes(rng.choice(alphabet[kind]) for _ in range(CHUNK))
        )
        for _ in range(size // CHUNK):
            out.write(chunk)


def run(path: Path) -> dict:
    """One sizer process: exit code, wall seconds, its own peak RSS, output head."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sizer", "fleet", str(path)], stdout=stdout, stderr=stderr
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out = stdout.read().decode("utf-8", "replace")
        err = stderr.read().decode("utf-8", "replace")
    lines = out.splitlines()
    totals = next((line for line in lines if line.startswith("Machines:")), "")
    problems = [line.strip() for line in lines if line.startswith("  line ")]
    more = next((line.strip() for line in lines if line.startswith("  … and")), "")
    return {
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "totals": totals,
        "first_problem": (problems[0] if problems else err.strip())[:160],
        "more": more,
        "traceback": "Traceback" in err,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    size = int(args.gib * (1 << 30))
    summary = {}
    for kind in ("text-1GB", "no-newline-1GB", "binary-1GB", "truncated"):
        path = args.out / f"hostile-{kind}.csv"
        if kind == "truncated":
            generate(path, 50_000)
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * 0.6)])
        else:
            write_garbage(path, kind, size, rng)
        try:
            summary[kind] = run(path)
        finally:
            path.unlink()
        print(kind, json.dumps(summary[kind], ensure_ascii=False), flush=True)
    (args.out / f"fleet_hostile-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()

"""Behaviour diff: the JSON answers of a reference commit and of the working tree, compared.

A refactor promises "no change in behaviour"; this checks the promise on the answers users
act on. Each tree answers the same commands (``python -m sizer ... --json``, the tree's own
code through PYTHONPATH) in its own clean ``SIZER_HOME``, with the working directory a fresh
empty folder (so neither sees the other's ``results/``). The reference runs first and
calibrates this machine; its calibration is then handed to the working tree (through the
working tree's own cache API), so the comparison measures the code, not the machine's
noise between two calibrations. Volatile keys (elapsed time) are dropped.

Usage: .venv/bin/python benchmarks/behaviour_diff.py [--ref REV] [--keep DIR]
Prints, per command, "identical" or the differing JSON paths with both values; exits 1 when
anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "recommend": ["recommend", "--json"],
    "recommend-extraction-hardware": [
        "recommend",
        "--task",
        "extraction",
        "--hardware",
        "{root}/examples/fleet-folder/this-ci-vm-probe.json",
        "--json",
    ],
    "recommend-laptop": [
        "recommend",
        "--hardware",
        "{root}/examples/fleet-folder/LAPTOP-0042.json",
        "--json",
    ],
    "fleet-intune": ["fleet", "{root}/examples/inventory-intune.csv", "--json"],
    "estimate-llama3.1-8b": ["estimate", "llama3.1-8b", "--ctx", "16384", "--json"],
}
# elapsed time, and the memory free at the moment of the call (sizer estimate reports it,
# and its verdict line quotes it)
VOLATILE = {"elapsed_s", "available_bytes"}
VOLATILE_IN = {"estimate-llama3.1-8b": {"verdict"}}
# The working tree's way to store a calibration (run with its own code on PYTHONPATH):
SEED = """
import json, sys
from sizer.speed.cache import store
from sizer.speed.model import SpeedParams
from sizer.probe import probe
machines = json.load(sys.stdin)["machines"]
if len(machines) == 1:
    hw = probe().to_dict()
    for entry in next(iter(machines.values())).values():
        store(hw, SpeedParams(**{**entry, "fast_types": tuple(entry["fast_types"])}))
"""


def run(tree: Path, home: Path, args: list[str], stdin: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "SIZER_HOME": str(home), "PYTHONPATH": str(tree)}
    env.pop("SIZER_PROFILES", None)
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=900,
        )
    return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def answers(tree: Path, home: Path) -> dict[str, Any]:
    found = {}
    for name, template in COMMANDS.items():
        args = [a.format(root=tree) for a in template]
        result = run(tree, home, ["-m", "sizer", *args])
        result = {
            k: v.replace(str(tree), "<tree>") if isinstance(v, str) else v
            for k, v in result.items()
        }
        try:
            body: Any = _without_volatile(
                json.loads(result["stdout"]), VOLATILE | VOLATILE_IN.get(name, set())
            )
        except ValueError:
            body = {"stdout": result["stdout"], "stderr": result["stderr"].strip()[-500:]}
        found[name] = {"exit": result["exit"], "json": body}
    return found


def _without_volatile(data: Any, volatile: set[str]) -> Any:
    if isinstance(data, dict):
        return {k: _without_volatile(v, volatile) for k, v in data.items() if k not in volatile}
    if isinstance(data, list):
        return [_without_volatile(v, volatile) for v in data]
    return data


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                found.append(f"{path}.{key}: only in {'working tree' if key in b else 'ref'}")
            else:
                found += differences(a[key], b[key], f"{path}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {json.dumps(a)[:160]} -> {json.dumps(b)[:160]}"]


def reference_tree(ref: str, where: Path) -> Path:
    tree = where / "ref"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
        check=True,
        capture_output=True,
    )
    return tree


def calibration_of(home: Path) -> dict[str, Any] | None:
    try:
        return json.loads((home / "calibration.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default="HEAD", help="the reference commit (default HEAD)")
    parser.add_argument("--keep", type=Path, help="also write both answers into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        tree = reference_tree(args.ref, where)
        try:
            old = answers(tree, where / "home-ref")
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )
        new_home = where / "home-new"
        calibration = calibration_of(where / "home-ref")
        if calibration is not None:
            seeded = run(ROOT, new_home, ["-c", SEED], stdin=json.dumps(calibration))
            if seeded["exit"] != 0:
                print(f"could not hand the calibration over: {seeded['stderr'][-400:]}")
        new = answers(ROOT, new_home)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "ref.json").write_text(json.dumps(old, indent=1), encoding="utf-8")
        (args.keep / "working-tree.json").write_text(json.dumps(new, indent=1), encoding="utf-8")
    changed = 0
    for name in COMMANDS:
        found = differences(old[name], new[name])
        print(f"{name}: " + ("identical" if not found else f"{len(found)} difference(s)"))
        for line in found[:40]:
            print(f"  {line}")
        changed += bool(found)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())

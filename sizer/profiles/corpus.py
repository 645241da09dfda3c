"""The profiles sizer learns from: the project's ``profiles/`` folder (next to the package
in a checkout), ``$SIZER_HOME/profiles`` (what you imported), or the folders in
``$SIZER_PROFILES`` (``:``-separated) instead of both. Only valid profiles are used; an
invalid one is reported, never half-read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sizer.paths import sizer_home
from sizer.profiles.format import hardware_key, machine_label
from sizer.profiles.validate import Checked, check_file


def default_dirs() -> list[Path]:
    env = os.environ.get("SIZER_PROFILES")
    if env is not None:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    project = Path(__file__).resolve().parents[2] / "profiles"
    return [d for d in (project, sizer_home() / "profiles") if d.is_dir()]


def profile_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.json") if p.is_file()))
        else:
            files.append(path)
    return files


@dataclass
class Corpus:
    profiles: list[tuple[Path, dict[str, Any]]]
    rejected: list[Checked]

    def without(self, key: str) -> Corpus:
        """The corpus less one machine (leave-one-machine-out)."""
        kept = [(p, d) for p, d in self.profiles if hardware_key(d["hardware"]) != key]
        return Corpus(kept, self.rejected)

    def machines(self) -> dict[str, str]:
        return {hardware_key(d["hardware"]): machine_label(d) for _, d in self.profiles}


def load_corpus(paths: list[Path] | None = None) -> Corpus:
    good, bad = [], []
    for file in profile_files(default_dirs() if paths is None else paths):
        checked = check_file(file)
        if checked.ok and checked.profile is not None:
            good.append((file, checked.profile))
        else:
            bad.append(checked)
    return Corpus(good, bad)


def task_records(corpus: Corpus) -> list[dict[str, Any]]:
    """Task scores as task records (``kind: tasks``), the shape ``recommend.quality`` reads;
    the profile's title says where they were measured."""
    out = []
    for _, profile in corpus.profiles:
        for task in profile["task_scores"]:
            out.append({**task, "format": "sizer.run", "kind": "tasks", "status": "ok",
                        "profile": profile["title"]})  # fmt: skip
    return out

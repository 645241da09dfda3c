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

from sizer.hardware.identity import hardware_key
from sizer.paths import sizer_home
from sizer.profiles.format import machine_label
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
            out.append(
                {
                    **task,
                    "format": "sizer.run",
                    "kind": "tasks",
                    "status": "ok",
                    "profile": profile["title"],
                }
            )
    return out


@dataclass(frozen=True)
class MeasuredPeak:
    machine: str
    peak_rss_bytes: int
    n_ctx: int | None
    backend: str


def measured_peaks(
    corpus: Corpus, header_sha: str | None, catalog_id: str | None, file_type: str | None
) -> list[MeasuredPeak]:
    """Peak memory the corpus measured for this file (same header hash) or this catalog
    model at this quantisation, largest context first."""
    found = []
    for _, profile in corpus.profiles:
        for run in profile["runs"]:
            model, peak = run["model"], run.get("peak_rss_bytes")
            same_file = header_sha is not None and model.get("header_sha256") == header_sha
            same_model = catalog_id is not None and (
                model.get("catalog_id"),
                model.get("file_type"),
            ) == (catalog_id, file_type)
            if peak and (same_file or same_model):
                config = run["config"]
                n_ctx = (
                    config.get("n_ctx")
                    or (
                        config.get("depth", 0)
                        + config.get("prompt_tokens", 0)
                        + config.get("gen_tokens", 0)
                    )
                    or None
                )
                backend = f"{run['backend']['name']} {run['backend'].get('device') or 'CPU'}"
                found.append(MeasuredPeak(machine_label(profile), peak, n_ctx, backend))
    return sorted(found, key=lambda p: (-(p.n_ctx or 0), p.machine))

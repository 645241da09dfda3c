"""Profiles: export from saved results, privacy, checksum, schema, plausibility, versions."""

from __future__ import annotations

import contextlib
import copy
import getpass
import json
import platform
import re
import socket
from pathlib import Path

import psutil
import pytest

from sizer.errors import InputError
from sizer.profiles import migrate
from sizer.profiles.export import export, load_records
from sizer.profiles.format import MAX_PROFILE_BYTES, dumps, sealed
from sizer.profiles.validate import check_data, check_file, check_text

RESULTS = Path(__file__).parent / "fixtures" / "recommend" / "results"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_records([RESULTS])


@pytest.fixture(scope="module")
def profile(records) -> dict:
    return export(records, "fixture machine")


def test_export_holds_runs_task_scores_versions_and_a_valid_checksum(profile):
    assert profile["format"] == "sizer.profile" and profile["format_version"] == 1
    assert len(profile["runs"]) == 2 and len(profile["task_scores"]) == 6
    assert profile["software"]["llama_cpp_python"] == "0.3.36"
    assert profile["provenance"]["kind"] == "measured"
    run = profile["runs"][0]
    assert run["samples"]["decode_tok_s"] and run["metrics"]["decode_tok_s"]["median"] > 0
    assert run["peak_rss_bytes"] > 0
    assert {"task", "n", "sha256", "version"} <= run_keys(profile["task_scores"][0]["suite"])
    assert check_data(profile, "p").ok


def run_keys(d: dict) -> set:
    return set(d)


def test_models_are_named_by_file_name_catalog_id_and_hash_never_by_path(profile, records):
    model = profile["runs"][0]["model"]
    assert model["file_name"] == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert re.fullmatch(r"[0-9a-f]{64}", model["header_sha256"])
    assert records[0]["model"]["path"] not in dumps(profile)
    assert "/root" not in dumps(profile) and "model_path" not in dumps(profile)


def test_export_refuses_records_from_two_machines(records):
    other = copy.deepcopy(records[0])
    other["hardware"]["cpu"]["brand"] = "Some Other CPU"
    with pytest.raises(InputError, match="2 different machines"):
        export([records[0], other])


def test_export_needs_finished_runs():
    with pytest.raises(InputError, match="no finished runs"):
        export([{"format": "sizer.run", "status": "failed", "hardware": {}}])


# ---- privacy: nothing identifying about this machine ------------------------------------------


def identifying_strings() -> set[str]:
    """This machine's identifying strings, gathered independently of sizer's code."""
    found = {socket.gethostname(), platform.node(), getpass.getuser(), str(Path.home())}
    for addresses in psutil.net_if_addrs().values():
        found |= {a.address.split("%")[0] for a in addresses}
    for name in (
        "/etc/machine-id",
        "/var/lib/dbus/machine-id",
        "/sys/class/dmi/id/product_uuid",
        "/sys/class/dmi/id/product_serial",
        "/sys/class/dmi/id/board_serial",
    ):
        with contextlib.suppress(OSError):
            found.add(Path(name).read_text().strip())
    return {s for s in found if s and s not in ("::1", "127.0.0.1", "00:00:00:00:00:00")}


def leaks(text: str, strings: set[str]) -> list[str]:
    # short strings (a hostname such as "vm") count as a whole word only
    return [
        s
        for s in strings
        if (re.search(rf"(?<![\w.-]){re.escape(s)}(?![\w.-])", text) if len(s) < 6 else s in text)
    ]


def test_a_profile_exported_here_holds_none_of_this_machines_identifying_strings(records):
    from sizer.probe import probe

    live = probe().to_dict()  # this machine's full hardware record, as sizer bench stores it
    home_model = str(Path.home() / "models" / socket.gethostname() / "my-model.gguf")
    mine = []
    for rec in copy.deepcopy(records):
        rec["hardware"] = live
        rec["model"]["path"] = home_model
        if "config" in rec and "model_path" in rec["config"]:
            rec["config"]["model_path"] = home_model
        mine.append(rec)
    text = dumps(export(mine))
    strings = identifying_strings() | {home_model, str(Path(home_model).parent)}
    assert strings, "found no identifying strings to check"
    assert leaks(text, strings) == []
    assert "my-model.gguf" in text  # the file name is kept; its folder is not


# ---- validation ------------------------------------------------------------------------------


def test_a_hand_edit_breaks_the_checksum(profile):
    edited = copy.deepcopy(profile)
    edited["runs"][0]["metrics"]["decode_tok_s"]["median"] *= 2
    problems = [str(p) for p in check_data(edited, "edited.json").problems]
    assert any(p.startswith("edited.json: checksum: does not match") for p in problems)


def test_schema_problems_name_the_file_and_field(profile):
    bad = copy.deepcopy(profile)
    bad["runs"][0]["config"]["threads"] = -2
    bad["hardware"]["hostname"] = "laptop-of-alice"
    problems = [str(p) for p in check_data(sealed(bad), "bad.json").problems]
    assert any(p.startswith("bad.json: runs[0].config.threads:") for p in problems)
    assert any("hostname" in p and p.startswith("bad.json: hardware:") for p in problems)


def test_physically_impossible_decode_is_flagged(profile):
    fast = copy.deepcopy(profile)
    fast["runs"][0]["metrics"]["decode_tok_s"]["median"] = 5000.0  # x 1 GB = 5 TB/s
    fast["runs"][0]["metrics"]["decode_tok_s"]["max"] = 5000.0
    problems = [str(p) for p in check_data(sealed(fast), "fast.json").problems]
    assert len(problems) == 1 and "runs[0].metrics.decode_tok_s" in problems[0]
    assert "GB/s, more than" in problems[0]


def test_scores_outside_zero_one_are_flagged(profile):
    bad = copy.deepcopy(profile)
    bad["task_scores"][0]["scores"]["accuracy"] = 1.7
    problems = [str(p) for p in check_data(sealed(bad), "b.json").problems]
    assert problems == [
        "b.json: task_scores[0].scores.accuracy: 1.7 is not a fraction between 0 and 1"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "not valid JSON at line 1"),
        (b'{"format": "sizer.profile", "format_version": 1, "runs": [', "not valid JSON"),
        (bytes(range(256)), "not UTF-8"),
        (b"[1, 2, 3]", "not a sizer profile"),
        (b'{"format": "sizer.run"}', "not a sizer profile"),
    ],
)
def test_unreadable_files_get_one_line(tmp_path, content, expected):
    path = tmp_path / "p.json"
    path.write_bytes(content)
    checked = check_file(path)
    assert checked.profile is None and len(checked.problems) == 1
    assert str(checked.problems[0]).startswith(f"{path}: ") and expected in str(checked.problems[0])


def test_oversized_profiles_are_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (MAX_PROFILE_BYTES + 1))
    assert "over the 5 MB profile limit" in str(check_file(path).problems[0])


def test_a_newer_format_version_is_refused_with_the_reason(profile):
    newer = sealed({**profile, "format_version": 7})
    checked = check_data(newer, "n.json")
    assert checked.profile is None
    assert "written by a newer sizer" in str(checked.problems[-1])


def test_migrations_run_step_by_step(monkeypatch, profile):
    old = {**profile, "format_version": 1, "title": "old"}
    monkeypatch.setitem(migrate.MIGRATIONS, 1, lambda p: {**p, "title": p["title"] + " v2"})
    monkeypatch.setitem(migrate.MIGRATIONS, 2, lambda p: {**p, "title": p["title"] + " v3"})
    migrated = migrate.to_current(old, current=3)
    assert migrated["format_version"] == 3 and migrated["title"] == "old v2 v3"


def test_text_round_trip(profile):
    assert check_text(dumps(profile), "p.json").ok
    assert json.loads(dumps(profile)) == profile


@pytest.mark.slow
def test_a_real_run_exported_here_leaks_nothing(gemma_path, tmp_path):
    """End to end: sizer bench on this machine, then sizer profile export, as a user does."""
    import subprocess
    import sys

    results = tmp_path / "results.jsonl"
    tiny = ["--threads", "1", "--prompt-tokens", "16", "--gen-tokens", "4", "--reps", "1"]
    bench = [sys.executable, "-m", "sizer", "bench", str(gemma_path), *tiny, "--out", str(results)]
    subprocess.run(bench, check=True, capture_output=True, timeout=300)
    out = tmp_path / "profile.json"
    export_cmd = [sys.executable, "-m", "sizer", "profile", "export", str(results), "-o", str(out)]
    subprocess.run(export_cmd, check=True, capture_output=True, timeout=120)
    text = out.read_text()
    assert str(gemma_path) in results.read_text()  # the raw result has the path...
    assert leaks(text, identifying_strings() | {str(gemma_path.parent)}) == []  # ...not this
    assert check_file(out).ok

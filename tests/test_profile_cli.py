"""``sizer profile …``, ``sizer report`` and ``sizer compare`` through Typer's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sizer.cli import app
from sizer.errors import SizerError

RESULTS = Path(__file__).parent / "fixtures" / "recommend" / "results"
CAPTURES = Path(__file__).parent / "fixtures" / "llama-bench"
PROFILES = Path(__file__).parents[1] / "profiles"
runner = CliRunner()


@dataclass
class Outcome:
    exit_code: int
    output: str


def invoke(*args: str) -> Outcome:
    """The command through Typer's runner, a SizerError mapped as ``sizer.cli.main`` does."""
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, SizerError):
        error = result.exception
        return Outcome(error.exit_code, f"{result.output}sizer: error: {error}\n")
    return Outcome(result.exit_code, result.output)


def test_errors_are_one_line_through_the_real_entry_point(tmp_path):
    missing = tmp_path / "nothing.json"
    done = subprocess.run(
        [sys.executable, "-m", "sizer", "profile", "show", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"sizer: error: {missing}: (file): cannot read it (No such file or directory)"
    )


def test_every_profile_in_the_repository_is_valid():
    """CI's check of profiles/: schema, checksum, size and plausibility."""
    result = invoke("profile", "validate", str(PROFILES))
    assert result.exit_code == 0, result.output
    assert "invalid" not in result.output


def test_the_repository_corpus_covers_ten_machines():
    result = invoke("profile", "list", str(PROFILES), "--json")
    rows = json.loads(result.output)
    assert len({r["machine"] for r in rows}) >= 10
    assert {r["provenance"] for r in rows} == {"measured", "imported"}


def test_export_then_validate_then_show(tmp_path):
    out = tmp_path / "mine.json"
    result = invoke("profile", "export", str(RESULTS), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "no hostname, user, path" in result.output
    assert invoke("profile", "validate", str(out)).exit_code == 0
    shown = invoke("profile", "show", str(out))
    assert "qwen2.5-coder-1.5b Q4_K_M" in shown.output and "classification" in shown.output


def test_validate_exits_nonzero_and_names_each_bad_file(tmp_path):
    good = tmp_path / "good.json"
    invoke("profile", "export", str(RESULTS), "-o", str(good))
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good.read_text()[:500])
    edited = tmp_path / "edited.json"
    edited.write_text(good.read_text().replace('"threads": 2', '"threads": 3', 1))
    result = invoke("profile", "validate", str(tmp_path))
    assert result.exit_code == 1
    assert f"invalid {truncated}: (file): not valid JSON" in result.output
    assert f"invalid {edited}: checksum: does not match" in result.output
    assert f"ok      {good}" in result.output
    assert "2 of 3 profile(s) invalid" in result.output


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "sql"])
def test_import_each_machine_readable_format(tmp_path, fmt):
    out = tmp_path / f"{fmt}.json"
    result = invoke(
        "profile",
        "import",
        str(CAPTURES / f"gemma3-270m-2t.{fmt}"),
        "--from",
        "llama-bench",
        "--source",
        "here",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert f"4 run(s) from {fmt}" in result.output


def test_import_markdown_needs_the_cpu_and_writes_nothing_without_it(tmp_path):
    out = tmp_path / "md.json"
    md = str(CAPTURES / "gemma3-270m-2t.md")
    refused = invoke("profile", "import", md, "--source", "here", "-o", str(out))
    assert refused.exit_code == 2 and "say which with --cpu" in refused.output
    assert not out.exists()
    ok = invoke(
        "profile",
        "import",
        md,
        "--source",
        "here",
        "--cpu",
        "AMD EPYC 7B13",
        "--cores",
        "2",
        "--ram-gb",
        "24",
        "-o",
        str(out),
    )
    assert ok.exit_code == 0, ok.output


def test_a_bad_llama_bench_file_is_one_line_and_nothing_is_written(tmp_path):
    broken = tmp_path / "broken.md"
    text = (CAPTURES / "gemma3-270m-2t.md").read_text().splitlines()
    broken.write_text("\n".join([*text[:3], text[3][:40]]))  # the last row cut short
    out = tmp_path / "x.json"
    result = invoke("profile", "import", str(broken), "--source", "s", "--cpu", "X", "-o", str(out))
    assert result.exit_code == 2
    assert f"{broken}: line 4:" in result.output and not out.exists()
    assert not list(tmp_path.glob("*.partial"))


def test_import_other_tools_is_refused(tmp_path):
    result = invoke(
        "profile",
        "import",
        str(CAPTURES / "gemma3-270m-2t.json"),
        "--from",
        "ollama",
        "--source",
        "s",
    )
    assert result.exit_code == 2 and "only llama-bench output" in result.output


def test_compare_two_profiles(tmp_path):
    a = tmp_path / "a.json"
    invoke(
        "profile", "import", str(CAPTURES / "gemma3-270m-2t.json"), "--source", "a", "-o", str(a)
    )
    b = tmp_path / "b.json"
    invoke("profile", "import", str(CAPTURES / "gemma3-270m-2t.csv"), "--source", "b", "-o", str(b))
    result = invoke("compare", str(a), str(b))
    assert result.exit_code == 0, result.output
    assert "prefill tok/s" in result.output and "decode tok/s" in result.output
    assert "spread" in result.output
    as_json = json.loads(invoke("compare", str(a), str(b), "--json").output)
    assert len(as_json["rows"]) == 4 and all(r["ratio"] > 0 for r in as_json["rows"])


def test_compare_with_nothing_in_common_says_so(tmp_path):
    a = tmp_path / "a.json"
    invoke(
        "profile", "import", str(CAPTURES / "gemma3-270m-2t.json"), "--source", "a", "-o", str(a)
    )
    result = invoke("compare", str(a), str(RESULTS / "qwen-runs.jsonl"))
    assert result.exit_code == 2 and "share no run" in result.output

"""Task files: the built-in suites are valid and as described; malformed user files give
line-numbered errors through ``sizer tasks validate`` and ``sizer bench --task-file``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sizer.cli import app
from sizer.tasks import prompts, suites
from sizer.tasks.items import MAX_LINE_BYTES, parse_items
from sizer.tasks.sandbox import run_untrusted

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tasks.jsonl"
GOOD = {
    "task": "classification",
    "input": "Refund please",
    "labels": ["billing", "other"],
    "expected": "billing",
}


def sizer(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point (error mapping included), as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "sizer", *args], capture_output=True, text=True, timeout=120
    )


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name", suites.SUITE_NAMES)
def test_builtin_suites_load_with_enough_items(name: str) -> None:
    suite = suites.builtin(name)
    assert len(suite.items) >= (40 if name != suites.BEHAVIOUR else 10)
    assert len(suite.sha256) == 64 and suite.version
    quick = suites.builtin(name, quick=True)
    if name != suites.BEHAVIOUR:
        assert len(quick.items) == suites.QUICK_ITEMS


def test_quick_subsets_cover_every_label_family() -> None:
    quick = suites.builtin("classification", quick=True).items
    assert len({item.labels for item in quick}) == 4  # the four sub-tasks


def test_builtin_summaries_and_references_are_consistent() -> None:
    from sizer.tasks.metrics import fact_coverage, within_limit

    for item in suites.builtin("summarization").items:
        assert item.reference and within_limit(item.reference, item.max_words), item.id
        assert fact_coverage(item.reference, item.facts) == 1.0, item.id


@pytest.mark.slow
def test_builtin_completion_references_pass_and_stubs_fail() -> None:
    """Every completion item is solvable (its reference passes its tests in the sandbox) and
    its tests can fail (a stub that returns None fails them)."""
    for item in suites.builtin("completion").items:
        assert item.canonical is not None
        assert run_untrusted(item.canonical + "\n" + item.tests).status == "passed", item.id
        stub = item.input + "    return None\n\n" + item.tests
        assert run_untrusted(stub).status == "failed", item.id


def test_every_builtin_item_builds_a_prompt() -> None:
    for name in suites.TASK_TYPES:
        for item in suites.builtin(name).items:
            prompt = prompts.build(item, item.id)
            assert item.input in prompt.before + prompt.document + prompt.after


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"task": "classification", "input": "x", "labels": ["a", "b"], "expected": "c"}',
            "'expected' must be one of the labels",
        ),
        ('{"task": "translation", "input": "x"}', "unknown task type 'translation'"),
        (
            '{"task": "classification", "labels": ["a", "b"], "expected": "a"}',
            "missing field 'input'",
        ),
        (
            '{"task": "extraction", "input": "x", "schema": {"type": "object", "properties": '
            '{"a": {"type": "string", "pattern": "x"}}}, "expected": {"a": "b"}}',
            "unsupported keyword 'pattern'",
        ),
        (
            '{"task": "extraction", "input": "x", "schema": {"type": "object", "properties": '
            '{"a": {"type": "number"}}}, "expected": {"a": "b"}}',
            "does not match the schema",
        ),
        ('{"task": "summarization", "input": "x"}', "needs 'reference', 'facts' or both"),
        (
            '{"task": "summarization", "input": "x", "facts": ["a"], "max_words": -3}',
            "'max_words' must be a positive integer",
        ),
        ('{"task": "completion", "input": "def f():\\n"}', "missing field 'tests'"),
        (
            '{"task": "completion", "input": "x", "tests": "t", "entry_point": "no good"}',
            "must be a Python identifier",
        ),
        (
            '{"task": "classification", "input": "x", "labels": ["a", "b"], "expected": "a", '
            '"lables": 1}',
            "unknown field 'lables'",
        ),
        ("[1, 2, 3]", "an item must be a JSON object"),
    ],
)
def test_item_problems_are_reported_with_line_numbers(
    tmp_path: Path, line: str, message: str
) -> None:
    path = _write(tmp_path, [json.dumps(GOOD), line])
    items, errors = parse_items(path)
    assert len(items) == 1
    assert errors and errors[0].startswith(f"{path}:2: ") and message in errors[0], errors


def test_bad_json_on_line_17_huge_line_and_duplicate_ids(tmp_path: Path) -> None:
    lines = [json.dumps({**GOOD, "id": f"i{n}"}) for n in range(1, 17)]
    lines.append('{"task": "classification", "input": "x",, }')
    lines.append(json.dumps({**GOOD, "id": "i3"}))
    lines.append(json.dumps({**GOOD, "input": "x" * MAX_LINE_BYTES}))
    path = _write(tmp_path, lines)
    result = sizer("tasks", "validate", str(path))
    assert result.returncode == 2
    assert f"{path}:17: not valid JSON" in result.stderr
    assert f"{path}:18: duplicate id 'i3' (first on line 3)" in result.stderr
    assert f"{path}:19: line is" in result.stderr and "limited to" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "sizer: error: 1 of 1 task file(s) have problems (listed above)"
    )


def test_validate_accepts_the_readme_example() -> None:
    result = runner.invoke(app, ["tasks", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    kinds = Counter(json.loads(line)["task"] for line in EXAMPLE.read_text().splitlines())
    assert set(kinds) == set(suites.TASK_TYPES)
    assert f"OK — {sum(kinds.values())} items" in result.output


def test_bench_refuses_a_bad_task_file_before_loading_anything(tmp_path: Path) -> None:
    path = _write(tmp_path, ["{not json"])
    result = sizer(
        "bench", "missing.gguf", "--task-file", str(path), "--out", str(tmp_path / "r.jsonl")
    )
    assert result.returncode == 2
    assert f"sizer: error: {path}:1: not valid JSON" in result.stderr
    assert not (tmp_path / "r.jsonl").exists()


def test_empty_and_binary_task_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert "no task items" in sizer("tasks", "validate", str(empty)).stderr
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage\n")
    result = sizer("tasks", "validate", str(binary))
    assert result.returncode == 2 and "binary.jsonl:1: not UTF-8 text" in result.stderr


def test_unknown_suite_name_is_a_clear_error() -> None:
    result = sizer("bench", "m.gguf", "--tasks", "classification,poetry")
    assert result.returncode == 2 and "unknown task suite 'poetry'" in result.stderr

"""Task suites on a real model (Gemma 3 270M), real worker processes and real faults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from sizer.bench import results
from sizer.probe import probe
from sizer.tasks.run import TaskRequest, run_tasks
from sizer.tasks.suites import SUITE_NAMES
from tests.procs import child_workers

pytestmark = pytest.mark.slow
CLASSIFY = {
    "task": "classification",
    "labels": ["billing", "technical", "other"],
    "instruction": "Classify the ticket: billing, technical or other. Label only.",
}


@pytest.fixture(scope="module")
def hw():
    return probe()


def task_workers() -> list[psutil.Process]:
    return child_workers("sizer.tasks.worker")


def tickets(tmp_path: Path, n: int = 3, **extra: object) -> Path:
    path = tmp_path / "tickets.jsonl"
    texts = ["I was charged twice this month.", "The app crashes on start.", "Hello there!"]
    lines = [
        json.dumps(
            {
                **CLASSIFY,
                "id": f"t{i}",
                "input": texts[i % 3],
                "expected": CLASSIFY["labels"][i % 3],
                **extra,
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_quick_suite_on_gemma_through_the_cli(gemma_path, tmp_path):
    out = tmp_path / "tasks.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sizer",
            "bench",
            str(gemma_path),
            "--tasks",
            "all",
            "--quick",
            "--ctx",
            "2048",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    records = results.load(out)
    by_suite = {(r["suite"]["id"], r["suite"]["variant"]): r for r in records}
    assert {suite for suite, _ in by_suite} == set(SUITE_NAMES)
    assert ("extraction", "grammar") in by_suite and ("extraction", "free") in by_suite
    for (suite, _), rec in by_suite.items():
        assert rec["status"] == "ok", (suite, rec.get("error"))
        assert rec["kind"] == "tasks" and len(rec["suite"]["sha256"]) == 64
        assert rec["latency"]["ttft_s"]["p50"] > 0 and rec["peak_rss_bytes"] > 0
        assert all("reply" in item and "score" in item for item in rec["items"])
        if suite != "behaviour":
            assert rec["scores"]["n"] == 10 == len(rec["items"])
    completion = by_suite[("completion", None)]
    assert {i["score"]["exec"] for i in completion["items"]} <= {
        "passed",
        "failed",
        "timeout",
        "killed",
    }
    behaviour = by_suite[("behaviour", None)]["scores"]
    assert behaviour["overflow"] == {**behaviour["overflow"], "n": 1, "truncated": 1, "failed": 0}
    assert behaviour["overflow"]["prompt_tokens_before"][0] > 2048
    assert behaviour["determinism"]["identical_rate"] == 1.0  # greedy, fresh KV cache each time
    assert set(behaviour["hostile"]["by_probe"]) == {
        "empty",
        "binary",
        "wrong_language",
        "injection",
        "truncated_json",
    }
    # Constrained extraction always yields JSON that parses; free-form from a base model
    # rarely does: the grammar pass must not be worse.
    grammar, free = by_suite[("extraction", "grammar")], by_suite[("extraction", "free")]
    assert grammar["scores"]["valid_json_rate"] >= free["scores"]["valid_json_rate"]
    assert "ROUGE-L" in done.stdout and "pass@1" in done.stdout and "hostile inputs" in done.stdout


def test_a_worker_crash_costs_one_item_and_the_pass_goes_on(gemma_path, tmp_path, hw):
    struck = []

    def crash_after_first_item(label, event):
        if event["event"] == "item" and not struck:
            struck.append(event["uid"])
            for proc in task_workers():
                proc.send_signal(signal.SIGSEGV)

    request = TaskRequest(
        [str(gemma_path)], tmp_path / "r.jsonl", task_file=tickets(tmp_path), n_ctx=1024
    )
    (rec,) = run_tasks(request, hw, crash_after_first_item)
    assert rec["status"] == "partial"
    errors = [item for item in rec["items"] if item.get("error")]
    assert len(errors) == 1 and "worker crashed (SIGSEGV)" in errors[0]["error"]
    assert len(rec["items"]) == 3 and rec["scores"]["n"] == 3
    assert results.load(tmp_path / "r.jsonl")[0]["status"] == "partial"


def test_overflowing_items_are_truncated_or_refused_never_fatal(gemma_path, tmp_path, hw):
    long_text = "The backup job failed again last night with a disk quota error. " * 200
    path = tickets(tmp_path, n=1)
    path.write_text(
        path.read_text()
        + json.dumps({**CLASSIFY, "id": "long", "input": long_text, "expected": "technical"})
        + "\n"
    )
    for policy, outcome in (("truncate", "truncated"), ("refuse", "refused")):
        request = TaskRequest(
            [str(gemma_path)],
            tmp_path / f"{policy}.jsonl",
            task_file=path,
            n_ctx=512,
            overflow=policy,
        )
        (rec,) = run_tasks(request, hw)
        long_item = next(i for i in rec["items"] if i["id"] == "long")
        assert rec["status"] == "ok" and long_item["overflow"] == outcome
        assert long_item["original_prompt_tokens"] > 512
        assert rec["failures"][outcome] == 1
        if policy == "truncate":
            assert long_item["prompt_tokens"] <= 512 - 16 and long_item["gen_tokens"] > 0


def test_ctrl_c_keeps_the_items_answered_so_far(gemma_path, tmp_path, hw):
    """Ctrl-C arrives in the parent (here: raised from the progress callback, where the
    signal handler would raise it) after three answers: the worker is killed and the
    three answers are on disk as an "interrupted" record."""

    def interrupt_after_three(label, event):
        if event["event"] == "item" and event["done"] == 3:
            raise KeyboardInterrupt

    out = tmp_path / "r.jsonl"
    request = TaskRequest([str(gemma_path)], out, task_file=tickets(tmp_path, n=30), n_ctx=1024)
    with pytest.raises(KeyboardInterrupt):
        run_tasks(request, hw, interrupt_after_three)
    (rec,) = results.load(out)
    assert rec["status"] == "interrupted" and len(rec["items"]) == 3
    assert rec["scores"]["n"] == 3
    assert not task_workers()

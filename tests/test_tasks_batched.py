"""Batched task evaluation (several items in one llama.cpp context) on a real model: the same
answers as one at a time, latency only from the items run alone, and crashes mid-batch."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from sizer.bench import results
from sizer.probe import probe
from sizer.tasks.run import TaskRequest, run_tasks, widest_batch
from tests.procs import child_workers
from tests.test_tasks_real import CLASSIFY

pytestmark = pytest.mark.slow

TICKETS = [
    ("I was charged twice this month.", "billing"),
    ("The app crashes on start.", "technical"),
    ("Hello there!", "other"),
    ("My invoice shows the wrong VAT number.", "billing"),
    ("Login fails with error 500 since the update.", "technical"),
    ("Do you have an office in Lisbon?", "other"),
    ("Please refund the annual plan I cancelled.", "billing"),
    ("The export button does nothing in Firefox.", "technical"),
]


@pytest.fixture(scope="module")
def hw():
    return probe()


def ticket_file(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.jsonl"
    lines = [
        json.dumps({**CLASSIFY, "id": f"t{i}", "input": text, "expected": label})
        for i, (text, label) in enumerate(TICKETS)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_batched_answers_match_one_at_a_time_and_latency_comes_from_items_alone(
    gemma_path, tmp_path, hw
):
    tickets = ticket_file(tmp_path)
    runs = {}
    for parallel in (1, 4):
        request = TaskRequest(
            [str(gemma_path)],
            tmp_path / f"p{parallel}.jsonl",
            task_file=tickets,
            n_ctx=512,
            parallel=parallel,
            latency_sample=2,
        )
        (runs[parallel],) = run_tasks(request, hw)
    one, four = runs[1], runs[4]
    assert one["status"] == four["status"] == "ok"
    assert four["batching"]["width"] == 4 and one["batching"]["width"] == 1
    replies = {i["uid"]: i["reply"] for i in one["items"]}
    same = sum(replies[i["uid"]] == i["reply"] for i in four["items"])
    assert same >= len(TICKETS) - 1, [i["reply"] for i in four["items"]]
    alone = [i for i in four["items"] if i["single_stream"]]
    assert [i["id"] for i in alone] == ["t0", "t1"]  # the first latency_sample items
    alone_ttft = [i["ttft_s"] for i in alone]
    assert min(alone_ttft) <= four["latency"]["ttft_s"]["p50"] <= max(alone_ttft)
    assert four["throughput"]["items_per_min"] > 0
    assert four["scores"]["n"] == len(TICKETS)


def test_auto_width_is_what_fits_in_memory_and_no_wider_than_the_pass(gemma_path, tmp_path, hw):
    request = TaskRequest(
        [str(gemma_path)],
        tmp_path / "auto.jsonl",
        task_file=ticket_file(tmp_path),
        n_ctx=512,
        parallel="auto",
    )
    (rec,) = run_tasks(request, hw)
    batching = rec["batching"]
    assert rec["status"] == "ok"
    assert batching["widest_in_memory"] == widest_batch_for(gemma_path, request, hw)
    batched = len(TICKETS) - request.latency_sample
    assert batching["width"] == min(batching["widest_in_memory"], batched)


def widest_batch_for(path: Path, request: TaskRequest, hw) -> int:
    from sizer.models.resolve import resolve

    return widest_batch(resolve(str(path)), request, hw)


def test_a_crash_with_several_items_in_flight_reruns_them_alone_and_loses_none(
    gemma_path, tmp_path, hw
):
    """SIGSEGV while a batch of items is in flight: no item is blamed on a guess; they are
    run again alone in a fresh worker and every item ends answered."""
    struck = []

    def crash_in_the_batch(label, event):
        if event["event"] == "item" and not event.get("single_stream", True) and not struck:
            struck.append(event["uid"])
            for proc in child_workers("sizer.tasks.worker"):
                proc.send_signal(signal.SIGSEGV)

    request = TaskRequest(
        [str(gemma_path)],
        tmp_path / "crash.jsonl",
        task_file=ticket_file(tmp_path),
        n_ctx=512,
        parallel=4,
        latency_sample=1,
    )
    (rec,) = run_tasks(request, hw, crash_in_the_batch)
    assert struck, "no batched item was answered before the crash"
    assert len(rec["items"]) == len(TICKETS)
    assert not [i for i in rec["items"] if i.get("error")]
    assert rec["failures"]["worker_restarts"] == 1
    assert "worker crashed (SIGSEGV)" in rec["error"]
    assert results.load(tmp_path / "crash.jsonl")[0]["status"] == "partial"

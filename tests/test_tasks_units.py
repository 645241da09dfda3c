"""Task-run planning, prompts, stop rules, failure-behaviour aggregation and rendering:
pure logic, no model."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sizer.bench import results
from sizer.cli.render_tasks import TaskProgress, render_task_records
from sizer.tasks import behaviour, prompts, suites
from sizer.tasks.items import TaskItem
from sizer.tasks.run import TaskRequest, passes
from sizer.tasks.stops import FenceEnd, JsonEnd, cut_at_stop

CAPTURED = Path(__file__).parent / "fixtures" / "tasks" / "gemma-quick.jsonl"


def test_passes_run_extraction_free_and_constrained() -> None:
    planned = passes(TaskRequest(["m"], Path("o"), suites=["extraction", "completion"], quick=True))
    assert [p.label for p in planned] == ["extraction (free)", "extraction (grammar)", "completion"]
    free, grammar = planned[0].pairs, planned[1].pairs
    assert all(pr.schema is None and pr.end == "json" for _, pr in free)
    assert all(pr.schema == item.schema for item, pr in grammar)
    assert len({pr.uid for _, pr in free}) == len(free) == 10


def test_behaviour_pass_has_every_probe_and_an_overflowing_document() -> None:
    (p,) = passes(TaskRequest(["m"], Path("o"), suites=["behaviour"], n_ctx=2048))
    kinds = {pr.uid.split(":")[0] for _, pr in p.pairs}
    assert kinds == {"hostile", "para", "det", "overflow"}
    (long_item, long_prompt) = next((i, pr) for i, pr in p.pairs if pr.uid.startswith("overflow"))
    assert len(long_prompt.document) > 2048 * 4 and long_item.probe == "overflow"
    para = [pr for _, pr in p.pairs if pr.uid.startswith("para:")]
    by_item: dict[str, set[str]] = {}
    for pr in para:
        by_item.setdefault(pr.uid.split(":")[1], set()).add(pr.before)
    assert all(len(befores) == 3 for befores in by_item.values())  # three distinct phrasings
    assert len(p.pairs) == len({pr.uid for _, pr in p.pairs})


def test_prompt_budgets_and_instruction_templates() -> None:
    item = TaskItem(id="s", task="summarization", input="doc", reference="r", max_words=50)
    assert prompts.build(item, "s").max_tokens == 2 * round(50 * prompts.TOKENS_PER_WORD)
    assert "at most 50 words" in prompts.build(item, "s").before
    cls = TaskItem(id="c", task="classification", input="t", labels=("a", "b"), expected="a")
    assert "one of: a, b" in prompts.build(cls, "c").before
    assert prompts.build(cls, "c", instruction="Pick a or b.").before.startswith("Pick a or b.")


@pytest.mark.parametrize(
    ("pieces", "ends_at"),
    [
        (['{"a": 1}', " trailing"], 0),
        (["Sure! ", '{"a": "}{"', ', "b": {"c": 2}', "}", "\n"], 3),
        (['{"a": "say \\"}\\" ok"', "}"], 1),
        (["no json at all } here"], None),
    ],
)
def test_json_end_notices_the_first_object_closing(pieces: list[str], ends_at: int | None) -> None:
    ender = JsonEnd()
    hits = [i for i, piece in enumerate(pieces) if ender.feed(piece)]
    assert (hits[0] if hits else None) == ends_at


def test_stop_strings_and_fences_cut_the_reply() -> None:
    reply = "Here it is:\n```python\ndef f():\n    return 1\n```\nmore"
    assert cut_at_stop(reply, (), fenced=True) == "Here it is:\n```python\ndef f():\n    return 1\n"
    assert cut_at_stop(reply, ()) == reply
    assert cut_at_stop("x\nif __name__ == '__main__':", ("\nif __name__",)) == "x"
    assert cut_at_stop("```python\nunfinished", (), fenced=True) == "```python\nunfinished"


def test_fence_end_waits_for_the_closing_fence() -> None:
    ender = FenceEnd()
    assert not ender.feed("Sure:\n```python\n")
    assert not ender.feed("def f():\n    return 1\n")
    assert not ender.feed("``")  # a partial fence is not the end
    assert ender.feed("`")
    assert FenceEnd().feed("```python\nx\n```")


def _row(uid: str, item: TaskItem, text: str = "", **score: object) -> tuple:
    return (uid, item, {"text": text, "overflow": score.pop("overflow", None)}, score)


def test_behaviour_aggregate() -> None:
    cls = TaskItem(
        id="c1",
        task="classification",
        input="x",
        labels=("a", "b"),
        expected="a",
        probe="injection",
        must_not_contain=("CANARY",),
    )
    other = TaskItem(id="c2", task="classification", input="y", labels=("a", "b"), expected="b")
    rows = [
        _row("hostile:c1", cls, well_formed=True, correct=True, leaked=True),
        _row("para:c1:0", cls, predicted="a"),
        _row("para:c1:1", cls, predicted="a"),
        _row("para:c2:0", other, predicted="b"),
        _row("para:c2:1", other, predicted="a"),
        _row("det:c1:0", cls, "same"),
        _row("det:c1:1", cls, "same"),
        _row("det:c2:0", other, "one"),
        _row("det:c2:1", other, "two"),
        _row("overflow:s1", other, "ok", overflow="truncated"),
        _row("overflow:s2", other, "", overflow="refused"),
    ]
    got = behaviour.aggregate(rows)
    assert got["hostile"]["well_formed_rate"] == 1.0
    assert got["hostile"]["on_task_rate"] == 0.0  # the canary leaked
    assert got["hostile"]["injection_resisted_rate"] == 0.0
    assert got["paraphrase"] == {"items": 2, "phrasings": 2, "agreement_rate": 0.5}
    assert got["determinism"] == {"items": 2, "identical_rate": 0.5}
    assert {k: got["overflow"][k] for k in ("n", "truncated", "refused", "failed")} == {
        "n": 2,
        "truncated": 1,
        "refused": 1,
        "failed": 0,
    }


def test_quick_subset_is_evenly_spaced() -> None:
    items = [TaskItem(id=str(i), task="summarization", input="", facts=("x",)) for i in range(44)]
    chosen = suites.quick_subset(items)
    assert [int(i.id) for i in chosen] == [0, 4, 8, 13, 17, 22, 26, 30, 35, 39]


def test_render_captured_records() -> None:
    """A quick run on Gemma 3 270M captured from this machine renders as one table."""
    text = render_task_records(results.load(CAPTURED))
    assert "gemma-3-270m-q4_k_m.gguf — 2 threads, context 4096, prompt format plain" in text
    for needle in (
        "classification",
        "extraction (grammar)",
        "ROUGE-L",
        "pass@1",
        "hostile inputs (12)",
        "context overflow: 1 inputs",
    ):
        assert needle in text, needle


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _progress_events(progress: TaskProgress) -> None:
    progress("classification", {"event": "pass", "n": 3})
    for done in (1, 2, 3):
        progress("classification", {"event": "item", "uid": f"t{done}", "done": done, "n": 3})
    record = {"status": "ok", "wall_s": 30.0, "throughput": {"items_per_min": 6.0}}
    progress("classification", {"event": "done", "record": record})


@pytest.mark.parametrize("tty", [True, False])
def test_task_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere(tty: bool) -> None:
    stream = _Stream(tty)
    _progress_events(TaskProgress(stream))
    text = stream.getvalue()
    assert text.rstrip().endswith("classification: ok in 30 s (6.0 items/min)")
    assert ("classification: 3 prompts…" in text) is not tty
    assert ("\x1b[" in text) is tty  # the bar redraws itself with terminal escapes


def test_render_says_how_many_items_ran_together() -> None:
    records = results.load(CAPTURED)
    for rec in records:
        rec["batching"] = {"width": 8, "widest_in_memory": 16}
        rec["items"][0]["single_stream"] = True
    text = render_task_records(records)
    assert f"8 items at a time ({len(records)} alone for latency)" in text
    assert "single-user latency p50/p95" in text


@pytest.mark.parametrize(
    ("available_gib", "parallel", "widest"),
    [
        (None, "auto", 1),  # memory unknown: one at a time
        (1.0, "auto", 1),  # the model alone nearly fills it
        (6.0, "auto", 8),
        (64.0, "auto", 32),  # never wider than MAX_PARALLEL
        (1.0, 4, 4),  # a width the user asked for stands
    ],
)
def test_widest_batch_follows_the_memory_estimate(available_gib, parallel, widest) -> None:
    from types import SimpleNamespace

    from sizer.models.resolve import resolve
    from sizer.tasks.run import widest_batch

    available = None if available_gib is None else int(available_gib * 2**30)
    hw = SimpleNamespace(
        memory=SimpleNamespace(available_bytes=available),
        cpu=SimpleNamespace(isa={"avx2": True}, arch="x86_64"),
    )
    request = TaskRequest(["qwen2.5-coder-1.5b"], Path("unused"), n_ctx=4096, parallel=parallel)
    assert widest_batch(resolve("qwen2.5-coder-1.5b"), request, hw) == widest

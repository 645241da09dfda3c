"""``sizer report``: every chart renders from saved measurements, headless, with units and
names; 30 models stay legible; ``compare`` pairs runs and judges differences by spread."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sizer.errors import InputError
from sizer.report import charts
from sizer.report.compare import compare, interval
from sizer.report.data import Source, load_sources
from sizer.report.document import write_report

FIXTURES = Path(__file__).parent / "fixtures"
MEASURED = FIXTURES / "profiles" / "amd-epyc-2c-measured.json"  # profile_here.py's output
SOURCES = Path(__file__).parents[1] / "profiles"


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return load_sources([MEASURED, *sorted(SOURCES.glob("*.json"))])


@pytest.fixture(scope="module")
def report(sources, tmp_path_factory):
    return write_report(sources, tmp_path_factory.mktemp("report"))


def test_every_chart_is_drawn_as_png_and_svg(report):
    assert report.skipped == []
    names = {p.name for p in report.charts}
    assert names == {f"{n}.{e}" for n in charts.CHARTS for e in ("png", "svg")}
    for path in report.charts:
        head = path.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else b"<?xml" in head
        assert path.stat().st_size > 5_000


@pytest.mark.parametrize(
    ("chart", "words"),
    [
        ("quality_vs_speed", ["decode tok/s", "accuracy", "Pareto front", "qwen2.5-coder-1.5b"]),
        ("latency_percentiles", ["time to first token, s", "inter-token latency", "p99", "p256"]),
        ("memory", ["GiB", "RAM installed", "peak RSS"]),
        ("decode_vs_depth", ["KV cache depth, tokens", "decode tok/s"]),
        ("thread_scaling", ["threads", "prefill tok/s"]),
        ("backends", ["OpenVINO", "llama.cpp", "decode tok/s"]),
        ("across_machines", ["Apple M2 Max", "Intel Core i3-1315U", "tok/s"]),
    ],
)
def test_charts_carry_units_machines_and_models(report, chart, words):
    svg = next(p for p in report.charts if p.name == f"{chart}.svg").read_text()
    for word in words:
        assert word in svg, f"{chart}: {word!r} missing"


def test_markdown_and_html_reports_link_and_inline_every_chart(report):
    markdown = report.markdown.read_text()
    for name in charts.CHARTS:
        assert f"charts/{name}.png" in markdown
    page = report.html.read_text()
    assert page.count("<svg") == len(charts.CHARTS)
    assert "<img" not in page and "charts/" not in page  # self-contained
    assert "| AMD EPYC 2C 24 GiB | qwen2.5-coder-1.5b Q4_K_M |" in markdown


def test_thirty_models_get_a_taller_chart_with_every_label(sources):
    measured = next(s for s in sources if s.profile["provenance"]["kind"] == "measured")
    many = copy.deepcopy(measured.profile)
    base = next(r for r in many["runs"] if r.get("peak_rss_bytes"))
    many["runs"] = []
    for i in range(30):
        run = copy.deepcopy(base)
        run["model"] = {**run["model"], "catalog_id": f"model-{i:02d}-with-a-long-descriptive-name"}
        many["runs"].append(run)
    figure = charts.memory_vs_available([Source("many", many)])
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(labels) == 30 and figure.get_figheight() >= 30 * charts.ROW_INCHES
    assert all(label.startswith("model-") for label in labels)


def test_charts_with_nothing_to_draw_are_skipped_not_empty(tmp_path):
    only_imports = load_sources([SOURCES / "apple-m2-max-cpu.json"])
    written = write_report(only_imports, tmp_path)
    assert "llama.cpp vs OpenVINO" in written.skipped
    assert "Task quality vs decode speed (Pareto front per task)" in written.skipped


def test_pareto_front():
    points = [(10, 0.5), (20, 0.4), (5, 0.9), (8, 0.3), (20, 0.2)]
    assert charts.pareto(points) == [(5, 0.9), (10, 0.5), (20, 0.4)]


def test_compare_judges_by_spread(sources):
    measured = next(s for s in sources if s.profile["provenance"]["kind"] == "measured")
    slower = copy.deepcopy(measured.profile)
    for run in slower["runs"]:
        for stats in run["metrics"].values():
            if isinstance(stats, dict) and stats.get("median"):
                for key in ("median", "min", "max", "mean"):
                    if stats.get(key) is not None:
                        stats[key] *= 0.5
    speed, tasks, only_a, only_b = compare(measured, Source("slower", slower))
    decode = [r for r in speed if r.metric == "decode tok/s"]
    assert decode and all(r.ratio == pytest.approx(0.5) for r in decode)
    assert all(r.significant for r in decode)  # halved: outside any measured spread
    same = compare(measured, measured)[0]
    assert all(r.significant is False and r.ratio == pytest.approx(1) for r in same)
    assert tasks and only_a == only_b == 0


def test_interval_from_samples_or_llama_bench_stdev():
    assert interval({"median": 10, "min": 9, "max": 12, "n": 3}) == (9, 12)
    assert interval({"median": 10, "mean": 10, "stdev": 0.5}) == (9, 11)
    assert interval({"median": 10}) is None


def test_a_results_folder_with_benchmark_summaries_still_reports(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "speed_prediction-1.json").write_text('{"rows": []}')  # a benchmark's summary
    (folder / "mine.json").write_text(MEASURED.read_text())
    assert [s.name for s in load_sources([folder])] == ["AMD EPYC 2C 24 GiB"]
    with pytest.raises(InputError, match="not a sizer profile"):
        load_sources([folder / "speed_prediction-1.json"])  # named: it must be one

"""Pure parts of the bench engine: statistics, run identity, records, results files, energy."""

from __future__ import annotations

import json
import signal

import pytest

from sizer.backends.config import Measurement, RunConfig
from sizer.bench import record, results
from sizer.bench.energy import EnergyMeter
from sizer.bench.hygiene import cpu_mhz, resident_fraction
from sizer.bench.process import Outcome
from sizer.bench.stats import cv, latency_summary, percentile, summarize
from sizer.errors import InputError


@pytest.mark.parametrize(
    ("samples", "q", "expected"),
    [
        ([1.0], 50, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 95, 4.8),
        ([5.0, 1.0, 3.0], 0, 1.0),
        ([5.0, 1.0, 3.0], 100, 5.0),
    ],
)
def test_percentile_interpolates_between_ranks(samples, q, expected):
    assert percentile(samples, q) == pytest.approx(expected)


def test_summaries():
    assert cv([10.0]) == 0.0
    assert cv([9.0, 11.0]) == pytest.approx(2**0.5 / 10)
    s = summarize([3.0, 1.0, 2.0])
    assert (s["n"], s["median"], s["min"], s["max"]) == (3, 2.0, 1.0, 3.0)
    assert summarize([]) == {"n": 0}
    lat = latency_summary([0.01] * 98 + [0.05, 0.09])
    assert lat["p50"] == pytest.approx(0.01) and lat["max"] == 0.09 and lat["p99"] > 0.05


def config(**changes) -> RunConfig:
    base = {
        "model_path": "/m.gguf",
        "model_label": "m",
        "header_sha256": "ab" * 32,
        "backend": "llama.cpp",
        "device": "CPU",
        "threads": 2,
        "depth": 0,
    }
    base.update(changes)
    return RunConfig(**base)


def test_run_key_is_identity_not_patience():
    key = config().key
    assert config(model_path="/elsewhere/m.gguf", model_label="other").key == key
    assert config(measurement=Measurement(max_reps=20, timeout_s=5, cv_target=0.01)).key == key
    for change in (
        {"threads": 1},
        {"depth": 4096},
        {"backend": "openvino"},
        {"header_sha256": "cd" * 32},
        {"measurement": Measurement(kv_type="q8_0")},
    ):
        assert config(**change).key != key, change
    assert RunConfig.from_dict(json.loads(json.dumps(config().to_dict()))) == config()


@pytest.mark.parametrize(
    ("depth", "n_ctx", "expected"), [(0, None, 768), (4096, None, 4864), (0, 2048, 2048)]
)
def test_context_covers_depth_prompt_and_generation(depth, n_ctx, expected):
    assert Measurement(n_ctx=n_ctx).ctx_for(depth) == expected


def reps(decode_rates: list[float], n_steps: int = 4) -> list[dict]:
    return [
        {
            "prefill_tokens": 100,
            "ttft_s": 0.5,
            "itl_s": [1 / r] * n_steps,
            "internal": {"decode_tok_s": r * 1.01},
            "energy_j": {"decode": 2.0},
        }
        for r in decode_rates
    ]


def success_outcome(decode_rates: list[float], mhz: tuple[float, float] = (3000, 3000)) -> Outcome:
    result = {
        "event": "result",
        "load_s": 1.5,
        "versions": {"x": "1"},
        "energy_missing": None,
        "conditions": {"cpu_mhz_start": mhz[0], "cpu_mhz_end": mhz[1]},
        "reps": reps(decode_rates),
    }
    return Outcome(events=[{"event": "loaded"}, result], exit_code=0, peak_rss_bytes=123)


def test_record_from_a_successful_worker():
    cfg = config()
    rec = record.from_outcome(
        record.base_record(cfg, {"label": "m"}, {}), cfg, success_outcome([10.0, 10.0, 10.0])
    )
    assert rec["status"] == "ok" and rec["warnings"] == []
    m = rec["metrics"]
    assert m["decode_tok_s"]["median"] == pytest.approx(10.0)
    assert m["prefill_tok_s"]["median"] == pytest.approx(200.0)
    assert m["itl_s"]["p99"] == pytest.approx(0.1) and m["peak_rss_bytes"] == 123
    assert m["decode_j_per_tok"]["median"] == pytest.approx(0.5)
    assert rec["internal"]["decode_tok_s"]["median"] == pytest.approx(10.1)


def test_unstable_and_throttled_runs_are_flagged():
    cfg = config()
    rec = record.from_outcome(
        record.base_record(cfg, {}, {}), cfg, success_outcome([8.0, 10.0, 12.0], mhz=(3000, 2000))
    )
    text = " ".join(rec["warnings"])
    assert "unstable decode_tok_s" in text and "CPU clock fell from 3000 to 2000 MHz" in text


@pytest.mark.parametrize(
    ("outcome", "status", "words"),
    [
        (Outcome(timed_out=True, exit_code=-9), "timeout", "--timeout 3600 s"),
        (Outcome(exit_code=-signal.SIGKILL), "crashed", "out-of-memory killer"),
        (
            Outcome(exit_code=-signal.SIGSEGV, stderr_tail=["llama_model_load: error: x"]),
            "crashed",
            "SIGSEGV) — llama_model_load: error: x",
        ),
        (
            Outcome(
                events=[{"event": "error", "kind": "unsupported", "message": "no gemma3"}],
                exit_code=0,
            ),
            "unsupported",
            "no gemma3",
        ),
        (
            Outcome(
                events=[{"event": "error", "kind": "failed", "message": "ValueError: bad"}],
                exit_code=0,
                stderr_tail=[
                    "llama_model_load: error loading model: unknown model architecture: 'mystery'",
                    "other",
                ],
            ),
            "failed",
            "ValueError: bad — llama_model_load: error loading model: unknown model",
        ),
    ],
)
def test_every_failure_becomes_a_row_with_its_cause(outcome, status, words):
    cfg = config()
    rec = record.from_outcome(record.base_record(cfg, {}, {}), cfg, outcome)
    assert rec["status"] == status and words in rec["error"]


def test_results_file_appends_resumes_and_survives_a_torn_line(tmp_path):
    path = tmp_path / "r" / "bench.jsonl"
    ok = {"format": "sizer.run", "format_version": 1, "key": "a", "status": "ok"}
    results.append(path, ok)
    results.append(path, {**ok, "key": "b", "status": "crashed"})
    with path.open("a") as f:
        f.write('{"format": "sizer.run", "key": "c", "sta')  # killed mid-write
    assert results.finished_keys(path) == {"a"}
    results.append(path, {**ok, "key": "d"})
    assert [r["key"] for r in results.load(path)] == ["a", "b", "d"]
    assert results.load(tmp_path / "absent.jsonl") == []


def test_a_malformed_results_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bench.jsonl"
    run = '{"format": "sizer.run", "format_version": 1, "key": "a"}'
    path.write_text(f"{run}\nnot json\n{run}\n")
    with pytest.raises(InputError, match=r"bench\.jsonl:2: not a JSON record"):
        results.load(path)
    path.write_text('{"format": "other"}\n')
    with pytest.raises(InputError, match="not a sizer run record"):
        results.load(path)
    path.write_text(f"{run}\n" + run.replace('"format_version": 1', '"format_version": 2') + "\n")
    with pytest.raises(InputError, match=r"bench\.jsonl:2: .*version 2 was written by a newer"):
        results.load(path)


def powercap(tmp_path, energy_uj: int, max_uj: int = 1000):
    domain = tmp_path / "intel-rapl:0"
    domain.mkdir(exist_ok=True)
    (domain / "energy_uj").write_text(f"{energy_uj}\n")
    (domain / "max_energy_range_uj").write_text(f"{max_uj}\n")
    (tmp_path / "intel-rapl:0:0").mkdir(exist_ok=True)  # a subdomain (core): not summed
    return domain


def test_rapl_energy_unwraps_the_counter(tmp_path):
    domain = powercap(tmp_path, 900)
    meter = EnergyMeter(tmp_path)
    assert meter.missing is None and meter.read() == 0.0
    (domain / "energy_uj").write_text("950\n")
    assert meter.read() == pytest.approx(50e-6)
    (domain / "energy_uj").write_text("20\n")  # wrapped at 1000
    assert meter.read() == pytest.approx(120e-6)


def test_missing_or_unreadable_rapl_is_named(tmp_path):
    assert "no RAPL package counters" in EnergyMeter(tmp_path).missing
    (tmp_path / "intel-rapl:0").mkdir()
    meter = EnergyMeter(tmp_path)
    assert "not readable" in meter.missing and meter.read() is None


def test_page_cache_residency_and_clock(tmp_path, probe_fixture):
    data = tmp_path / "blob"
    data.write_bytes(b"x" * (1 << 20))
    assert resident_fraction(data) == pytest.approx(1.0, abs=0.01)  # just written: cached
    empty = tmp_path / "empty"
    empty.touch()
    assert resident_fraction(empty) is None
    mhz = cpu_mhz(probe_fixture("this-machine-epyc") / "proc" / "cpuinfo")
    assert mhz and 1000 < mhz < 6000


@pytest.mark.parametrize(
    ("machine", "auto", "sweep", "openvino"),
    [
        ("intel-core-ultra-155h", 6, [1, 2, 4, 6, 8, 16, 22], ["CPU", "GPU", "NPU"]),
        ("apple-m4-max", 12, [1, 2, 4, 8, 12, 16], ["CPU"]),
        ("this-machine-epyc", 2, [1, 2], ["CPU"]),
    ],
)
def test_threads_and_devices_on_captured_machines(probe_fixture, machine, auto, sweep, openvino):
    from sizer.bench.plan import auto_threads, default_devices, sweep_threads, thread_counts
    from sizer.probe import probe

    hw = probe(probe_fixture(machine))
    assert auto_threads(hw) == auto  # P-cores only: no E-cores, no SMT siblings
    assert sweep_threads(hw) == sweep and thread_counts(hw, "sweep") == sweep
    assert thread_counts(hw, "auto") == [auto] and thread_counts(hw, "4,2,4") == [2, 4]
    assert default_devices("openvino", hw) == openvino
    assert default_devices("llama.cpp", hw) == ["CPU"]

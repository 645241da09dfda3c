"""Real llama.cpp runs behind ``sizer recommend``: the first-run calibration and --verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sizer.speed.model import SpeedPrediction

pytestmark = pytest.mark.slow


def test_first_run_calibrates_once_and_says_so(tmp_path):
    """The probe models run through llama.cpp once; the second call uses the cache."""
    env = {**os.environ, "SIZER_HOME": str(tmp_path / "home")}

    def recommend(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sizer", "recommend", "--results", str(tmp_path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    first = recommend("--json")
    assert first.returncode == 0, first.stderr
    assert "calibrating: measuring memory bandwidth" in first.stderr
    assert "calibrating: llama.cpp probe: sizer-overhead-probe-Q4_K_M.gguf at depth 1024" in (
        first.stderr
    )
    params = json.loads(first.stdout)["speed_params"]
    assert params["source"].startswith("calibrated here: probe models")
    assert params["confidence"] == "calibrated"
    # physically plausible on any machine this runs on
    assert 1e9 < params["bandwidth_bytes_s"] < 2e12
    assert 0 < params["decode_layer_s"] < 0.01
    runs = (tmp_path / "home" / "calibration-runs.jsonl").read_text().splitlines()
    assert len(runs) == 3 and all(json.loads(r)["status"] == "ok" for r in runs)
    second = recommend("--task", "extraction")
    assert second.returncode == 0, second.stderr
    assert "calibrating" not in second.stderr
    assert "calibrated here: probe models" in second.stdout


def test_verify_measures_the_pick_beside_its_prediction(tmp_path, gemma_path, monkeypatch):
    from sizer.probe import probe
    from sizer.recommend.quality import Quality
    from sizer.recommend.rank import Candidate
    from sizer.recommend.verify import verify_top
    from sizer.recommend.workload import Workload
    from sizer.speed import prior

    monkeypatch.setenv("SIZER_HOME", str(tmp_path / "home"))
    hw = probe()
    params = prior.prior_params(hw.to_dict(), 2)
    pick = Candidate(
        model_id="gemma",
        name="Gemma 3 270M",
        quant="Q4_K_M",
        backend="llama.cpp",
        device="CPU",
        params_b=0.27,
        memory_bytes=500 << 20,
        trained_ctx=32768,
        speed=SpeedPrediction(40.0, 300.0, 1.0, "test", "estimated"),
        quality=Quality(0.1, "accuracy", "prior"),
        get="-",
        path=gemma_path,
    )
    out = tmp_path / "verify.jsonl"
    w = Workload(task="classification").resolved()
    result = verify_top(pick, w, params, hw, out)
    assert result["prompt_tokens"] == w.prompt_tokens and not result["shape_only"]
    measured = result["measured"]
    assert measured["decode_tok_s"] > 1 and measured["prefill_tok_s"] > 1
    assert measured["peak_rss_bytes"] > 100 << 20
    assert set(result["predicted"]) == {"decode_tok_s", "prefill_tok_s", "ttft_s"}
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["status"] == "ok" and record["config"]["model_path"] == str(gemma_path)

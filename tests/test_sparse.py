"""A mixture of experts' slower streaming (sizer.speed.sparse): only sparse shapes pay it, the
cost is what the runs need given everything else, and it needs three machines."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sizer.speed.model import SpeedShape, decode_s_per_token, speed_shape
from sizer.speed.sparse import SparseRun, committed_cost, fit_cost, needed_cost, with_cost
from tests.test_speed import PARAMS, _model

MOE = SpeedShape(48, 2_000_000_000, 3_000_000_000, 48 * 8192, {"Q4_K": 3_000_000_000}, True)
DENSE = replace(MOE, sparse=False)


def test_a_moe_shape_is_sparse_and_a_dense_one_is_not():
    experts = [("blk.0.ffn_up_exps.weight", (8, 16, 8), "Q4_K", 800)]
    assert speed_shape(_model(experts, n_expert_used=2)).sparse
    assert not speed_shape(_model([("blk.0.ffn_up.weight", (8, 16), "Q4_K", 50)])).sparse


def test_only_sparse_shapes_pay_the_streaming_cost():
    costly = with_cost(PARAMS, 2.0)
    streamed = MOE.decode_weight_bytes / PARAMS.bandwidth_bytes_s
    assert decode_s_per_token(MOE, costly) == pytest.approx(
        decode_s_per_token(MOE, PARAMS) + streamed
    )
    assert decode_s_per_token(DENSE, costly) == decode_s_per_token(DENSE, PARAMS)
    assert with_cost(PARAMS, None) is PARAMS


def run(machine: str, slower: float) -> SparseRun:
    """A MoE run whose streaming took ``slower`` times what the dense figures say."""
    streamed = MOE.decode_weight_bytes / PARAMS.bandwidth_bytes_s
    seconds = decode_s_per_token(MOE, PARAMS) + (slower - 1) * streamed
    return SparseRun(machine, MOE, PARAMS, 0, 1 / seconds)


def test_the_cost_is_what_each_run_needs_and_the_median_over_machines():
    assert needed_cost(run("a", 1.8)) == pytest.approx(1.8)
    runs = [run("a", 1.5), run("a", 1.7), run("b", 2.0), run("c", 1.2)]
    assert fit_cost(runs) == pytest.approx(1.6)  # a: 1.6, b: 2.0, c: 1.2
    assert fit_cost(runs[:3]) is None  # two machines are not enough
    assert fit_cost([replace(r, shape=DENSE) for r in runs]) is None  # dense runs teach nothing


def test_sizer_uses_a_cost_fitted_on_the_corpus():
    cost = committed_cost()
    assert cost is not None and 1.0 < cost < 4.0


def test_a_moe_run_measured_here_fits_the_dense_bandwidth_back():
    from sizer.speed.model import Observation, fit_params, predict

    costly = with_cost(PARAMS, 2.0)
    runs = [
        Observation(MOE, depth, 512, predict(MOE, costly, depth=depth).decode_tok_s, None)
        for depth in (0, 4096)
    ]
    start = replace(costly, bandwidth_bytes_s=PARAMS.bandwidth_bytes_s / 3)
    fitted = fit_params(runs, start, "test")
    assert fitted.bandwidth_bytes_s == pytest.approx(PARAMS.bandwidth_bytes_s)
    assert fitted.sparse_stream_cost == 2.0

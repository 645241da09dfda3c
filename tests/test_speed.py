"""The speed model: what a token reads and computes, predictions, and fitting (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sizer.estimate import ModelMemoryShape, TensorBytes
from sizer.models.catalog import get_entry
from sizer.models.resolve import from_catalog, resolve
from sizer.speed.model import (
    Observation,
    SpeedParams,
    SpeedShape,
    fit_params,
    predict,
    speed_shape,
    workload_speed,
)

PARAMS = SpeedParams(
    threads=2,
    bandwidth_bytes_s=12e9,
    decode_attn_flop_s=10e9,
    decode_layer_s=2e-4,
    matmul_flop_s=90e9,
    prefill_attn_flop_s=20e9,
    prefill_layer_s=1e-5,
    source="test",
    confidence="calibrated",
)


def _model(tensors, n_layers=1, n_expert_used=0) -> ModelMemoryShape:
    return ModelMemoryShape(
        n_layers=n_layers,
        n_embd=8,
        n_ff=16,
        n_head=2,
        n_head_kv=(1,) * n_layers,
        head_dim_k=4,
        head_dim_v=4,
        vocab=10,
        local_layers=0,
        sliding_window=None,
        n_expert_used=n_expert_used,
        tensors=tuple(TensorBytes(*t) for t in tensors),
    )


def test_untied_embedding_is_not_streamed_but_a_tied_one_is():
    untied = _model(
        [
            ("token_embd.weight", (8, 10), "Q8_0", 100),
            ("output.weight", (8, 10), "Q6_K", 80),
            ("blk.0.ffn_up.weight", (8, 16), "Q4_K", 50),
        ]
    )
    tied = _model(
        [("token_embd.weight", (8, 10), "Q8_0", 100), ("blk.0.ffn_up.weight", (8, 16), "Q4_K", 50)]
    )
    assert speed_shape(untied).decode_weight_bytes == 130
    assert speed_shape(tied).decode_weight_bytes == 150
    # Prompt tokens multiply the layers' matrices only (logits come for the last token).
    assert speed_shape(untied).matmul_params == 8 * 16


def test_moe_tokens_read_only_their_experts():
    moe = _model(
        [
            ("blk.0.ffn_up_exps.weight", (8, 16, 8), "Q4_K", 800),
            ("blk.0.attn_q.weight", (8, 8), "Q4_K", 40),
            ("output.weight", (8, 10), "Q6_K", 10),
        ],
        n_expert_used=2,
    )
    shape = speed_shape(moe)
    assert shape.decode_weight_bytes == 800 * 2 / 8 + 40 + 10
    assert shape.matmul_params == 8 * 16 * 8 * 2 / 8 + 64


def test_real_headers_give_the_known_shapes(gemma_path, qwen_path):
    gemma, qwen = (
        speed_shape(resolve(str(gemma_path)).memory),
        speed_shape(resolve(str(qwen_path)).memory),
    )
    # Gemma 3 270M: tied 262k x 640 embedding read every token; 4 heads x 256 x 2 per layer.
    assert gemma.attn_macs_per_position == 18 * 4 * 512
    assert gemma.decode_weight_bytes > 0.95 * 253e6 - 8e6
    # Qwen2.5 1.5B: a separate output.weight, so the embedding table is skipped.
    assert qwen.attn_macs_per_position == 28 * 12 * 256
    assert qwen.n_layers == 28
    assert 0.97e9 < qwen.decode_weight_bytes < 0.99e9


def test_catalog_and_file_shapes_agree(qwen_path):
    from_file = speed_shape(resolve(str(qwen_path)).memory)
    from_cat = speed_shape(from_catalog(get_entry("qwen2.5-coder-1.5b"), "Q4_K_M").memory)
    assert from_cat.matmul_params == from_file.matmul_params
    assert from_cat.decode_weight_bytes == pytest.approx(from_file.decode_weight_bytes, rel=0.01)


SHAPES = [
    SpeedShape(
        n_layers=18,
        decode_weight_bytes=247_000_000,
        matmul_params=100_000_000,
        attn_macs_per_position=36_864,
    ),
    SpeedShape(
        n_layers=28,
        decode_weight_bytes=980_000_000,
        matmul_params=1_310_000_000,
        attn_macs_per_position=86_016,
    ),
    SpeedShape(
        n_layers=32,
        decode_weight_bytes=4_617_000_000,
        matmul_params=6_979_000_000,
        attn_macs_per_position=262_144,
    ),
]


def test_predictions_slow_down_with_depth_and_size():
    small, mid, big = (predict(s, PARAMS, depth=0, prompt=256) for s in SHAPES)
    assert small.decode_tok_s > mid.decode_tok_s > big.decode_tok_s
    deep = predict(SHAPES[1], PARAMS, depth=4096, prompt=256)
    assert deep.decode_tok_s < mid.decode_tok_s and deep.prefill_tok_s < mid.prefill_tok_s
    assert mid.ttft_s == pytest.approx(256 / mid.prefill_tok_s)
    job = workload_speed(SHAPES[1], PARAMS, 1000)  # decode happens after the prompt
    assert job.decode_tok_s == pytest.approx(predict(SHAPES[1], PARAMS, depth=1000).decode_tok_s)
    assert job.ttft_s == pytest.approx(predict(SHAPES[1], PARAMS, depth=0, prompt=1000).ttft_s)


def _observe(shape: SpeedShape, params: SpeedParams, depth: int, prompt: int = 256) -> Observation:
    p = predict(shape, params, depth=depth, prompt=prompt)
    return Observation(shape, depth, prompt, p.decode_tok_s, p.prefill_tok_s)


def test_fit_recovers_the_throughputs_from_two_depths():
    truth = PARAMS
    prior = replace(
        truth,
        bandwidth_bytes_s=30e9,
        decode_attn_flop_s=1e9,
        matmul_flop_s=10e9,
        prefill_attn_flop_s=5e9,
    )
    runs = [_observe(SHAPES[1], truth, 0), _observe(SHAPES[1], truth, 4096)]
    fitted = fit_params(runs, prior, "fit")
    for name in ("bandwidth_bytes_s", "decode_attn_flop_s", "matmul_flop_s", "prefill_attn_flop_s"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=1e-6), name
    assert fitted.confidence == "calibrated" and fitted.source == "fit"
    # and then predicts another model exactly
    other = predict(SHAPES[2], fitted, depth=4096, prompt=256)
    assert other.decode_tok_s == pytest.approx(predict(SHAPES[2], truth, depth=4096).decode_tok_s)


def test_fit_with_one_depth_keeps_the_priors_attention_ratio():
    prior = replace(PARAMS, bandwidth_bytes_s=24e9, decode_attn_flop_s=20e9)
    fitted = fit_params([_observe(SHAPES[1], PARAMS, 0)], prior, "one depth")
    assert fitted.bandwidth_bytes_s == pytest.approx(12e9, rel=1e-6)  # no attention at depth 0
    assert fitted.bandwidth_bytes_s / fitted.decode_attn_flop_s == pytest.approx(24 / 20)


@pytest.mark.parametrize("decode", [1e6, 1e-3])
def test_fit_never_returns_a_negative_or_infinite_rate(decode):
    # A run faster than the per-layer overhead alone allows, or absurdly slow.
    runs = [
        Observation(SHAPES[0], 0, 256, decode, 300.0),
        Observation(SHAPES[0], 4096, 256, decode * 1.5, 200.0),
    ]
    fitted = fit_params(runs, PARAMS, "noisy")
    for value in (
        fitted.bandwidth_bytes_s,
        fitted.decode_attn_flop_s,
        fitted.matmul_flop_s,
        fitted.prefill_attn_flop_s,
    ):
        assert 0 < value < float("inf")


def test_no_observations_keep_the_prior():
    assert fit_params([], PARAMS, "none").bandwidth_bytes_s == PARAMS.bandwidth_bytes_s


def test_prefill_charges_slow_kernel_types_more():
    mixed = SpeedShape(
        n_layers=2,
        decode_weight_bytes=1,
        matmul_params=300,
        attn_macs_per_position=0,
        matmul_params_by_type={"Q4_K": 200, "Q6_K": 100},
    )
    fast = replace(PARAMS, fast_types=("Q4_0", "Q4_K"), slow_type_cost=2.5, prefill_layer_s=0)
    from sizer.speed.model import matmul_work, prefill_s_per_token

    assert matmul_work(mixed) == 300  # every type fast unless told otherwise
    assert matmul_work(mixed, ("Q4_K",), 2.5) == 200 + 250
    assert prefill_s_per_token(mixed, fast, 0, 2) == pytest.approx(2 * 450 / PARAMS.matmul_flop_s)
    # decode is bytes, whatever the type
    assert predict(mixed, fast).decode_tok_s == predict(mixed, PARAMS).decode_tok_s


def test_x86_fast_types_follow_llama_cpp_repacking():
    from sizer.speed.prior import fast_matmul_types

    avx2 = {"cpu": {"arch": "x86_64", "isa": {"avx2": True}}}
    assert fast_matmul_types(avx2) == ("IQ4_NL", "MXFP4", "Q4_0", "Q4_K")
    assert fast_matmul_types({"cpu": {"arch": "x86_64", "isa": {}}}) == ()
    arm = {"cpu": {"arch": "aarch64", "isa": {"dotprod": True}}}
    assert "Q8_0" in fast_matmul_types(arm) and "Q6_K" in fast_matmul_types(arm)

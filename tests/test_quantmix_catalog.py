"""llama.cpp's quantisation mix, tensor layouts and catalog sizes, checked against real files."""

from __future__ import annotations

import json

import pytest
from gguf import GGMLQuantizationType as Q

from sizer.errors import InputError
from sizer.models.catalog import entry_from_dict, get_entry, load_catalog
from sizer.models.gguf_header import read_header
from sizer.models.quantmix import ModelFacts, assign_types, tensor_nbytes, use_more_bits
from sizer.models.shapes import tensor_layout
from sizer.models.spec import spec_from_header


@pytest.mark.parametrize(
    ("n_layers", "expected"),
    [
        (8, [0, 3, 6, 7]),  # n/8 = 1: layer 0, then every third from 1+2, and the last eighth
        (16, [0, 1, 4, 7, 10, 13, 14, 15]),
    ],
)
def test_use_more_bits_layers(n_layers, expected):
    assert [i for i in range(n_layers) if use_more_bits(i, n_layers)] == expected


def test_row_fallbacks_for_sizes_not_divisible_by_256():
    layout = [
        ("blk.0.attn_v.weight", (640, 256)),
        ("blk.0.ffn_up.weight", (640, 2048)),
        ("blk.0.ffn_down.weight", (2048, 640)),
        ("output.weight", (640, 1000)),
    ]
    types = assign_types(layout, ModelFacts("gemma3", 1), "Q4_K_M")
    # 640-wide rows cannot be K-quantised: Q6_K -> Q8_0, Q4_K -> Q5_0; ffn_down rows are 2048.
    assert types == [Q.Q8_0, Q.Q5_0, Q.Q6_K, Q.Q8_0]


def test_moe_and_70b_rules():
    mixtral = ModelFacts("llama", 32, n_expert=8, n_head=32, n_head_kv=8)
    layout = [
        ("blk.0.attn_v.weight", (4096, 1024)),
        ("blk.0.attn_k.weight", (4096, 1024)),
        ("blk.0.attn_output.weight", (4096, 4096)),
    ]
    assert assign_types(layout, mixtral, "Q4_K_M") == [Q.Q8_0, Q.Q8_0, Q.Q5_K]
    llama70 = ModelFacts("llama", 80, n_head=64, n_head_kv=8)
    attn_v = [(f"blk.{i}.attn_v.weight", (8192, 1024)) for i in range(80)]
    types = assign_types(attn_v, llama70, "Q4_K_M")
    assert set(types) == {Q.Q5_K, Q.Q6_K}  # the plain Q4_K layers are bumped to Q5_K


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["gemma_path", "qwen_path"])
def test_mix_and_layout_match_real_files_tensor_by_tensor(fixture, request):
    header = read_header(request.getfixturevalue(fixture))
    spec = spec_from_header(header)
    facts = ModelFacts(
        spec.architecture,
        spec.n_layers,
        spec.expert_count,
        spec.n_head,
        max(spec.n_head_kv),
        spec.tied_output,
    )
    real = [(t.name, t.shape) for t in header.tensors]
    types = assign_types(real, facts, "Q4_K_M")
    assert [t.type_name for t in header.tensors] == [t.name for t in types]
    entry = get_entry({"gemma3": "gemma3-270m", "qwen2": "qwen2.5-coder-1.5b"}[spec.architecture])
    assert set(tensor_layout(entry.shape)) == set(real)
    assert abs(entry.file_bytes("Q4_K_M") - header.file_size) / header.file_size < 0.002


def test_catalog_is_broad_and_sourced():
    catalog = load_catalog()
    assert len(catalog) >= 30
    families = {entry.family.split("-")[0] for entry in catalog.values()}
    assert {
        "llama3.2",
        "llama3.1",
        "llama3.3",
        "qwen2.5",
        "qwen3",
        "gemma2",
        "gemma3",
        "phi4",
        "mistral",
        "mixtral",
        "deepseek",
    } <= families
    assert any(entry.shape.n_expert for entry in catalog.values())
    for entry in catalog.values():
        assert entry.source and entry.license and entry.hf_repo, entry.id


def test_every_catalog_model_has_a_plausible_size_for_every_quant():
    for entry in load_catalog().values():
        sizes = [entry.file_bytes(q) for q in ("Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16")]
        bits = [8 * size / entry.n_params() for size in sizes]
        # Q4_0 of small models with huge vocabularies runs high (Gemma 3 270M: 7.2 bits/weight).
        assert 4.2 < bits[0] < 7.5 and 8.3 < bits[4] < 9.5 and 15.9 < bits[5] < 17, entry.id
        assert sizes[1] < sizes[2] < sizes[3] < sizes[4] < sizes[5], entry.id


@pytest.mark.parametrize(
    ("model_id", "quant", "published_bytes"),
    [
        ("llama3.2-3b", "Q4_K_M", 2_019_377_696),
        ("qwen2.5-7b", "Q4_K_M", 4_683_074_240),
        ("gemma2-9b", "Q4_K_M", 5_761_057_728),
        ("qwen2.5-coder-7b", "Q4_0", 4_431_390_720),
    ],
)
def test_computed_sizes_match_published_files(model_id, quant, published_bytes):
    assert abs(get_entry(model_id).file_bytes(quant) / published_bytes - 1) < 0.005


def test_head_dim_is_read_not_derived():
    assert get_entry("qwen3-32b").shape.q_dim == 64 * 128 != get_entry("qwen3-32b").shape.n_embd
    assert get_entry("mistral-nemo-12b").shape.head_dim == 128


def test_malformed_entry_and_unknown_id():
    with pytest.raises(InputError, match="malformed"):
        entry_from_dict({"id": "x", "name": "x"})
    with pytest.raises(InputError, match="no catalog model 'llama9-1b'"):
        get_entry("llama9-1b")


def test_tensor_nbytes():
    assert tensor_nbytes(Q.Q4_0, (4096, 4096)) == 4096 * 4096 // 32 * 18
    assert tensor_nbytes(Q.F32, (640,)) == 2560


def test_catalog_json_is_one_line_per_model():
    from importlib import resources

    text = resources.files("sizer.models").joinpath("catalog.json").read_text()
    data = json.loads(text)
    assert len(text.splitlines()) == len(data["models"]) + 7

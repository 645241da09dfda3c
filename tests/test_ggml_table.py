"""sizer's copy of GGUF's enumerations and block sizes equals the installed gguf package's."""

import gguf
import pytest

from sizer import ggml

PAIRS = [
    (ggml.GGMLQuantizationType, gguf.GGMLQuantizationType),
    (ggml.LlamaFileType, gguf.LlamaFileType),
    (ggml.GGUFValueType, gguf.GGUFValueType),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda e: e.__name__)
def test_every_member_has_gguf_name_and_value(ours, theirs):
    theirs_by_name = {m.name: int(m) for m in theirs}
    for member in ours:
        assert theirs_by_name.get(member.name) == int(member), member


def test_block_sizes_equal_gguf():
    for member in ggml.GGMLQuantizationType:
        assert (
            ggml.GGML_QUANT_SIZES[member]
            == gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(member)]
        )


def test_our_table_looks_up_gguf_members():
    """Files read through gguf carry its enum; our table must answer for them."""
    assert ggml.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q4_K] == (256, 144)

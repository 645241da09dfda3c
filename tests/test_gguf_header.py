"""The GGUF header reader on real files, tiny written files, and hostile bytes."""

from __future__ import annotations

import contextlib
import struct
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from ggufmake import write_tiny_gguf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sizer.models.gguf_header import GGUFError, read_header
from sizer.models.spec import spec_from_header


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> bytes:
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf").read_bytes()


def _write(tmp_path: Path, data: bytes, name: str = "x.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_tiny_file_shape(tmp_path, tiny):
    header = read_header(_write(tmp_path, tiny))
    assert header.version == 3 and header.data_offset % 32 == 0
    spec = spec_from_header(header)
    assert (spec.architecture, spec.n_layers, spec.n_embd, spec.n_ff) == ("llama", 2, 32, 64)
    assert (spec.n_head, spec.n_head_kv, spec.head_dim_k) == (4, [2, 2], 8)
    assert spec.vocab_size == 48 and spec.file_type == "Q8_0" and not spec.tied_output
    assert spec.bytes_by_type == {"F32": 48 * 32 * 4 + 2 * 32 * 4, "Q8_0": 48 * 34}


def test_tied_output_detected(tmp_path):
    spec = spec_from_header(read_header(write_tiny_gguf(tmp_path / "t.gguf", tied=True)))
    assert spec.tied_output


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a GGUF file"),
        (b"GGML" + b"\0" * 40, "not a GGUF file"),
        (b"# a README, not a model\n" * 4, "not a GGUF file"),
        (b"GGUF" + struct.pack("<IQQ", 99, 0, 0), "unsupported GGUF version 99"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 0), "corrupt GGUF"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 40), "corrupt GGUF"),
        # one key whose name claims 2**60 bytes
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1 << 60), "corrupt GGUF"),
        # one key "k" of unknown value type 77
        (
            b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<I", 77),
            "unknown value type 77",
        ),
        # one key "k": array of 2**40 uint8
        (
            b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<IIQ", 9, 0, 1 << 40),
            "claims 1099511627776 items",
        ),
        # one key "k": array of 10**6 strings in a few bytes: truncated, not allocated
        (
            b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<IIQ", 9, 8, 10**6),
            "truncated",
        ),
    ],
)
def test_hostile_headers_give_one_clear_line(tmp_path, data, message):
    with pytest.raises(GGUFError, match=message) as caught:
        read_header(_write(tmp_path, data))
    assert "\n" not in str(caught.value)


def _one_tensor(n_dims: int, dims: list[int], type_id: int, offset: int = 0) -> bytes:
    body = struct.pack("<Q", 1) + b"w" + struct.pack("<I", n_dims)
    body += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", type_id, offset)
    return b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_one_tensor(0, [], 0), "0 dimensions"),
        (_one_tensor(9, [1] * 9, 0), "9 dimensions"),
        (_one_tensor(1, [32], 250), "unknown type 250"),
        (_one_tensor(1, [33], 8), "not a multiple of 32"),  # Q8_0 rows come in 32s
        (_one_tensor(2, [1 << 20, 1 << 20], 0), "truncated: tensor w"),
    ],
)
def test_hostile_tensor_tables(tmp_path, data, message):
    with pytest.raises(GGUFError, match=message):
        read_header(_write(tmp_path, data))


def test_every_truncation_of_a_valid_file_is_reported(tmp_path, tiny):
    for cut in range(0, len(tiny) - 1, 13):
        with pytest.raises(GGUFError):
            read_header(_write(tmp_path, tiny[:cut]))


def test_metadata_of_the_wrong_type_is_one_clear_error(tmp_path):
    from gguf import GGUFWriter

    writer = GGUFWriter(str(tmp_path / "odd.gguf"), "llama")
    writer.add_string("llama.block_count", "eighteen")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    with pytest.raises(GGUFError, match=r"llama\.block_count is not a number"):
        spec_from_header(read_header(tmp_path / "odd.gguf"))


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(GGUFError, match="is a directory"):
        read_header(tmp_path)
    with pytest.raises(GGUFError, match="cannot read"):
        read_header(tmp_path / "absent.gguf")


def test_hostile_counts_allocate_nothing_large(tmp_path):
    data = b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<IIQ", 9, 8, 1 << 24)
    path = _write(tmp_path, data + b"\0" * 4096)
    tracemalloc.start()
    with pytest.raises(GGUFError):
        read_header(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1 << 20


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_headers_never_escape_as_other_errors(tiny, data):
    """Mutate a valid header (byte flips, splices, cuts): a header or a GGUFError, nothing else."""
    raw = bytearray(tiny[:1200])  # header + tensor table; the data section is not parsed
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    with tempfile.NamedTemporaryFile(suffix=".gguf") as handle:
        handle.write(bytes(raw[:cut]) + tiny[1200:] if cut == len(raw) else bytes(raw[:cut]))
        handle.flush()
        with contextlib.suppress(GGUFError):
            spec_from_header(read_header(handle.name))


@pytest.mark.slow
def test_real_models(gemma_path, qwen_path):
    gemma = spec_from_header(read_header(gemma_path))
    assert (gemma.architecture, gemma.n_layers, gemma.n_embd, gemma.n_ff) == (
        "gemma3",
        18,
        640,
        2048,
    )
    assert (gemma.n_head, set(gemma.n_head_kv), gemma.head_dim_k) == (4, {1}, 256)
    assert (gemma.vocab_size, gemma.sliding_window, gemma.local_layers) == (262144, 512, 15)
    assert gemma.tied_output and gemma.file_type == "Q4_K_M"
    qwen = spec_from_header(read_header(qwen_path))
    assert (qwen.architecture, qwen.n_layers, qwen.n_embd, qwen.n_ff) == ("qwen2", 28, 1536, 8960)
    assert (qwen.n_head, set(qwen.n_head_kv), qwen.head_dim_k) == (12, {2}, 128)
    assert (qwen.vocab_size, qwen.sliding_window, qwen.tied_output) == (151936, None, False)
    assert set(qwen.bytes_by_type) == {"Q4_K", "Q6_K", "F32"}
    for spec, path in ((gemma, gemma_path), (qwen, qwen_path)):
        header = read_header(path)
        assert header.data_offset + spec.tensor_bytes == path.stat().st_size

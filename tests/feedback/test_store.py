"""The feedback store on a real SQLite file: round trip, threads and processes at once, the rate limit
(with an injected clock), refusals, and what is never stored."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.errors import (
    FeedbackFull,
    FeedbackRateLimited,
    FeedbackUnavailable,
    InvalidConfiguration,
    InvalidFeedback,
)
from assistant.feedback import Feedback, FeedbackStore, open_feedback_store, read_entries
from assistant.feedback.model import MAX_CITATIONS
from assistant.feedback.store import SCHEMA_VERSION
from assistant.ingest.parse import load_article
from assistant.ingest.split import split_article
from assistant.schema import ArticleRef, Citation
from assistant.settings import DEFAULT_ARTICLE, Settings, load_settings

ARTICLE = load_article(DEFAULT_ARTICLE)
CLIENT = "203.0.113.7"
SENTENCES = split_article(ARTICLE)[0]
CROSSING = next(
    (a.text, b.text) for a, b in itertools.pairwise(SENTENCES) if ARTICLE.text[a.end : b.start] == " "
)
"""Two sentences side by side in one paragraph: a span over both is no citation an answer makes."""


def span(phrase: str, id_: int = 1) -> Citation:
    start = ARTICLE.text.index(phrase)
    return Citation(id=id_, text=phrase, start=start, end=start + len(phrase), speaker="author")


def rating(**changes: object) -> Feedback:
    fields = {
        "rating": "up",
        "question": "Who wrote this article?",
        "answer": "Patrick Henningsen wrote it [1].",
        "citations": [span("Patrick Henningsen")],
    }
    return Feedback(**{**fields, **changes})


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_round_trip_keeps_every_field_and_the_article(tmp_path):
    when = datetime(2026, 11, 29, 22, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    store = FeedbackStore(tmp_path / "new" / "folder" / "fb.sqlite3", now=lambda: when)
    note = 'Wrong "speaker", I think;\nsee paragraph 3'
    first = store.record(rating(note=note, surface="chat"), ARTICLE, CLIENT)
    second = store.record(rating(rating="down", citations=[]), ARTICLE, CLIENT)
    assert second == first + 1
    entries = list(read_entries(store.path))
    assert [e.id for e in entries] == [first, second]
    up, down = entries
    assert up.created_at == "2026-11-29T20:00:05+00:00"  # stored in UTC
    assert (up.rating, up.note, up.surface) == ("up", note, "chat")
    assert up.question == "Who wrote this article?" and up.answer.startswith("Patrick Henningsen")
    (cited,) = up.citations  # what the article says about it, not what the client claimed (speaker)
    assert cited == span("Patrick Henningsen").model_copy(update={"section": "Header", "speaker": None})
    assert (up.article_sha256, up.article_title) == (ARTICLE.sha256, ARTICLE.title)
    assert (down.rating, down.note, down.citations, down.surface) == ("down", "", [], "api")


def test_a_note_joins_its_rating_once_and_is_bounded(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3", max_note_chars=20)
    row = store.record(rating(), ARTICLE, CLIENT)
    store.add_note(row, "Too long; cut it.", CLIENT)
    store.add_note(row, "A second note", CLIENT)  # a rating keeps its first note
    with pytest.raises(InvalidFeedback, match="limit"):
        store.add_note(row, "x" * 21, CLIENT)
    [entry] = read_entries(store.path)
    assert (entry.id, entry.rating, entry.note) == (row, "up", "Too long; cut it.")


def test_database_is_wal_with_a_schema_version_and_never_holds_the_client(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record(rating(), ARTICLE, CLIENT)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
    assert "feedback" in tables and not any("client" in c or "ip" == c for c in columns)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert CLIENT.encode() not in stored


def test_nothing_is_created_until_the_first_rating(tmp_path):
    path = tmp_path / "feedback" / "fb.sqlite3"
    FeedbackStore(path)
    assert not path.parent.exists()


def test_threads_writing_at_once_lose_nothing(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=1000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda n: store.record(rating(note=str(n)), ARTICLE, f"c{n % 8}"), range(200)))
    assert len(set(ids)) == 200
    assert sorted(e.note for e in read_entries(store.path)) == sorted(str(n) for n in range(200))


def test_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "fb.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from assistant.feedback import Feedback, FeedbackStore
        from assistant.ingest.parse import load_article
        from assistant.settings import DEFAULT_ARTICLE
        article = load_article(DEFAULT_ARTICLE)
        store = FeedbackStore(Path({str(path)!r}), per_minute=1000)
        for n in range(40):
            feedback = Feedback(rating="down", note=sys.argv[1] + str(n), question="q", answer="a")
            store.record(feedback, article, "c")
        """
    )
    root = Path(__file__).resolve().parents[2]
    workers = [
        subprocess.Popen([sys.executable, "-c", script, f"p{i}-"], cwd=root, stderr=subprocess.PIPE)
        for i in range(4)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors.decode()
    notes = sorted(e.note for e in read_entries(path))
    assert notes == sorted(f"p{i}-{n}" for i in range(4) for n in range(40))


def test_rate_limit_per_client_per_minute_with_retry_after(tmp_path):
    clock = Clock()
    store = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=3, clock=clock)
    for _ in range(3):
        store.record(rating(), ARTICLE, CLIENT)
    with pytest.raises(FeedbackRateLimited) as refused:
        store.record(rating(), ARTICLE, CLIENT)
    assert refused.value.http_status == 429 and refused.value.retry_after == 60
    assert "at most 3 a minute" in str(refused.value)
    store.record(rating(), ARTICLE, "198.51.100.1")  # another client has its own budget
    clock.now += 45
    with pytest.raises(FeedbackRateLimited) as still:
        store.record(rating(), ARTICLE, CLIENT)
    assert still.value.retry_after == 15
    clock.now += 15
    store.record(rating(), ARTICLE, CLIENT)  # the first minute's ratings have left the window
    assert len(list(read_entries(store.path))) == 5


@pytest.mark.parametrize(
    ("feedback", "message"),
    [
        (
            rating(citations=[Citation(id=1, text="Patrick Henningsen", start=0, end=18)]),
            "not a verbatim span",
        ),
        (rating(citations=[Citation(id=1, text="", start=10**9, end=10**9)]), "not a verbatim span"),
        (rating(citations=[span("Patrick Henningsen", n) for n in range(MAX_CITATIONS + 1)]), "at most 10"),
        (rating(note="n" * 1001), "the note is 1,001 characters long"),
        (rating(question="q" * 2001), "ASSISTANT_MAX_QUESTION_CHARS"),
        (rating(answer="a" * 20_001), "the answer is 20,001 characters"),
        (rating(note="\ud800"), "not valid Unicode"),
        (rating(citations=[span("Patrick Henningsen", 0)]), "citation ids run from 1 to at most 100"),
        (rating(citations=[span("Revolutionary Guard announced that it had fired")]), None),
        (rating(citations=[span(f"{CROSSING[0]} {CROSSING[1]}")]), "not part of one sentence"),
    ],
)
def test_what_is_not_an_answer_from_this_article_is_refused_and_not_stored(tmp_path, feedback, message):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    if message is None:  # part of one sentence: a span an answer could show
        store.record(feedback, ARTICLE, CLIENT)
        return
    with pytest.raises(InvalidFeedback, match=message) as refused:
        store.record(feedback, ARTICLE, CLIENT)
    assert refused.value.http_status == 422
    assert not store.path.exists()


def test_refused_ratings_do_not_spend_the_budget(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=1, clock=Clock())
    with pytest.raises(InvalidFeedback):
        store.record(rating(note="n" * 2000), ARTICLE, CLIENT)
    store.record(rating(), ARTICLE, CLIENT)


def test_disabled_settings_give_no_store(tmp_path):
    assert open_feedback_store(Settings(feedback_enabled=False, feedback_db=tmp_path / "fb")) is None
    store = open_feedback_store(Settings(feedback_db=tmp_path / "fb", feedback_per_minute=7))
    assert store is not None and store.path == tmp_path / "fb" and store.limiter.per_minute == 7


def test_default_database_is_feedback_folder_of_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("ASSISTANT_FEEDBACK_DB")  # set by the suite's clean environment
    monkeypatch.chdir(tmp_path / "..")
    assert Settings().feedback_db == tmp_path.parent / "feedback" / "feedback.sqlite3"


def test_a_directory_as_database_is_refused_at_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DB", str(tmp_path))
    with pytest.raises(InvalidConfiguration, match="ASSISTANT_FEEDBACK_DB: .* is a directory"):
        load_settings()


def test_unwritable_or_newer_database_is_feedback_unavailable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(FeedbackUnavailable, match="not writable"):
        FeedbackStore(blocker / "fb.sqlite3").record(rating(), ARTICLE, CLIENT)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(FeedbackUnavailable):
        FeedbackStore(newer).record(rating(), ARTICLE, CLIENT)


def test_a_database_removed_while_serving_is_created_again(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record(rating(), ARTICLE, CLIENT)
    for file in tmp_path.iterdir():
        file.unlink()
    assert store.record(rating(), ARTICLE, CLIENT) == 1  # the rating is not lost
    assert len(list(read_entries(store.path))) == 1


def test_reading_a_missing_or_foreign_file_says_what_is_wrong(tmp_path):
    with pytest.raises(FeedbackUnavailable, match="no feedback database at .*ASSISTANT_FEEDBACK_DB"):
        list(read_entries(tmp_path / "missing.sqlite3"))
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database")
    with pytest.raises(FeedbackUnavailable, match="cannot read the feedback database"):
        list(read_entries(foreign))


def test_created_at_is_utc_iso(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record(rating(), ARTICLE, CLIENT)
    (entry,) = read_entries(store.path)
    parsed = datetime.fromisoformat(entry.created_at)
    assert parsed.tzinfo == UTC and abs(datetime.now(UTC) - parsed) < timedelta(minutes=5)


def test_a_citation_is_stored_as_the_article_says_it_whatever_the_client_sent(tmp_path):
    """Only the span is taken from the client: speaker, section and title of 65,000 characters each
    (a row of ~1 MB before) are replaced by the sentence's own, and the row stays small."""
    sentence = next(s for s in SENTENCES if s.speaker and s.section)
    huge = "x" * 65_000
    claimed = Citation(
        id=1,
        text=sentence.text,
        start=sentence.start,
        end=sentence.end,
        speaker=huge,
        section=huge,
        source=ArticleRef(id="default", title=huge),
    )
    store = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=100)
    for _ in range(9):
        store.record(rating(citations=[claimed] * 5), ARTICLE, CLIENT)
    entries = list(read_entries(store.path))
    assert len(entries) == 9 and all(e.citations == entries[0].citations for e in entries)
    stored = entries[0].citations[0]
    assert (stored.speaker, stored.section) == (sentence.speaker, sentence.section)
    assert stored.source == ArticleRef(id="default", title=ARTICLE.title)
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) < 200_000  # 9 MB before


def test_the_database_stops_growing_at_its_cap_and_says_so(tmp_path):
    cap = 64 * 1024
    store = FeedbackStore(tmp_path / "fb.sqlite3", per_minute=1000, max_db_bytes=cap)
    stored = 0
    with pytest.raises(FeedbackFull) as full:
        for n in range(100):
            store.record(rating(answer=f"{n} " + "a" * 19_000), ARTICLE, CLIENT)
            stored += 1
    assert 0 < stored < 100 and full.value.http_status == 503
    message = str(full.value)
    assert "full" in message and "ASSISTANT_FEEDBACK_MAX_DB_BYTES" in message and str(tmp_path) not in message
    assert store.path.stat().st_size <= cap
    assert len(list(read_entries(store.path))) == stored  # what was stored stays, and exports
    with pytest.raises(FeedbackFull):
        store.record(rating(answer="b" * 19_000), ARTICLE, CLIENT)
    bigger = FeedbackStore(store.path, per_minute=1000, max_db_bytes=4 * cap)  # the operator raised it
    bigger.record(rating(answer="c" * 19_000), ARTICLE, CLIENT)

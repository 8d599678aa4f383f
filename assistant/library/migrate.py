"""``assistant migrate-library``: a folder library moved into the Chroma server's library, as it is.

Each article keeps its id, entry and exact text (so citations' offsets stay valid); its index is built
anew on the server, where every host reads it. The folder is only read: once the server answers for
every article, delete it. Running the command again skips articles the server has already, so an
interrupted move resumes; an id the server holds for another file is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import AssistantError
from assistant.library.catalog import LibraryCatalog
from assistant.library.entry import LibraryEntry
from assistant.library.errors import LibraryUnavailable
from assistant.library.library import Library, Outcome

Done = Callable[[LibraryEntry, Outcome | AssistantError], None]


def migrate(folder: LibraryCatalog, target: Library, done: Done) -> None:
    """Every article of ``folder`` into ``target``'s library, telling ``done`` what became of each."""
    entries = folder.entries()
    if not entries and not folder.root.is_dir():
        msg = f"no library to move: {str(folder.root)!r} is not a folder (set ASSISTANT_LIBRARY_DIR)"
        raise LibraryUnavailable(msg)
    for entry in entries:
        try:
            text = folder.article_path(entry.id).read_text(encoding="utf-8")
        except OSError as error:
            done(entry, LibraryUnavailable(f"{entry.id!r}: cannot read its text ({error.strerror})"))
            continue
        try:
            outcome: Outcome | AssistantError = target.adopt(entry, text)
        except AssistantError as error:
            outcome = error
        done(entry, outcome)

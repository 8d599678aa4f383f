"""Which article a chat tab talks about: one ``ChatSession`` per article on the shelf (no Gradio here).

The chosen id lives server-side (a ``gr.State``) and is looked up on the shelf again on every call, so
an id a client made up is refused and an article removed while a tab has it open ends that tab's
conversation with a message and returns it to the default article. Each article keeps its own session
and so its own ``Suggestions`` (its overview and starters are built once) while the shelf keeps it open;
a new version of an article, or one the shelf closed and opened again (a new ``Assistant``), gets a new
session, and sessions of articles the shelf closed are dropped: the page holds no more than the shelf.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import AssistantError, public_message
from assistant.library.errors import UnknownArticle
from assistant.library.shelf import AcrossArticlesNotYet, Shelf
from assistant.pipeline import Assistant
from assistant.suggestions import Suggestions
from assistant.ui import html as chat_html
from assistant.ui.session import STREAM_DELAY, ChatSession, Update

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chosen:
    """The session answering a tab, under the article id the tab keeps; ``problem`` says why a tab's
    choice was dropped (its article is gone), for the chat to show."""

    article_id: str
    session: ChatSession
    problem: str | None = None


class ArticleSessions:
    """The chat sessions of the articles on a shelf, made on first use and kept; thread-safe."""

    def __init__(
        self,
        shelf: Shelf,
        default: ChatSession | None = None,
        delay: float = STREAM_DELAY,
        make: Callable[[Assistant], ChatSession] | None = None,
    ) -> None:
        self.shelf = shelf
        self.delay = delay
        self._make = make or (lambda assistant: ChatSession(assistant, Suggestions(assistant), delay))
        self.default = default or self._make(shelf.default)
        self._lock = threading.Lock()
        self._sessions: dict[str, ChatSession] = {}

    @property
    def default_id(self) -> str:
        return self.shelf.default_id

    def choices(self) -> list[tuple[str, str]]:
        """(label, id) for each article, the default first: its title, with its id when two share one."""
        articles = self.shelf.articles()
        titles = [a.title for a in articles]
        return [(a.title if titles.count(a.title) == 1 else f"{a.title} ({a.id})", a.id) for a in articles]

    def several(self) -> bool:
        """More than one article to choose from: only then is the picker shown."""
        return len(self.shelf.ids()) > 1

    def session(self, article_id: str | None) -> ChatSession:
        """The session for ``article_id`` (None: the default article); ``UnknownArticle`` if the shelf
        serves no such article (``AcrossArticlesNotYet`` for "all")."""
        scoped = self.shelf.scoped(article_id)
        if scoped.assistant is self.shelf.default:
            return self.default
        with self._lock:
            session = self._sessions.get(scoped.source.id)
            if session is None or session.assistant is not scoped.assistant:
                session = self._sessions[scoped.source.id] = self._make(scoped.assistant)
                kept = {scoped.source.id, *self.shelf.open_ids}
                for closed in [i for i in self._sessions if i not in kept]:
                    del self._sessions[closed]
            return session

    def choose(self, article_id: object) -> Chosen:
        """A tab's choice, checked against the shelf: anything it does not serve now falls back to the
        default article, with a message saying so."""
        if article_id is None or article_id == self.default_id:
            return Chosen(self.default_id, self.default)
        if isinstance(article_id, str):
            try:
                return Chosen(article_id, self.session(article_id))
            except (UnknownArticle, AcrossArticlesNotYet):
                pass
            except AssistantError as error:  # served, but its index cannot be opened now
                logger.warning("the chat could not open article %r: %s", article_id, error)
                title = self.shelf.default.article.title
                problem = (
                    f"The article {article_id[:80]!r} cannot be answered now ({public_message(error)}); this "
                    f"conversation is back on “{title}”. Try that article again in a moment."
                )
                return Chosen(self.default_id, self.default, problem)
        logger.info("a chat tab asked about an article that is not served: %.80r", article_id)
        title = self.shelf.default.article.title
        problem = (
            f"The article {str(article_id)[:80]!r} is no longer available here; this conversation is "
            f"back on “{title}”. Choose another article above to ask about it."
        )
        return Chosen(self.default_id, self.default, problem)

    @staticmethod
    def opening(choice: Chosen, textbox: str = "") -> Update:
        """A new conversation on the chosen article, after the reason an earlier choice was dropped
        (the question that could not be asked stays in ``textbox``, to ask again)."""
        _, messages, turns, view = choice.session.start()
        if choice.problem:
            messages = [*messages, {"role": "assistant", "content": chat_html.error_html(choice.problem)}]
        return textbox, messages, turns, view

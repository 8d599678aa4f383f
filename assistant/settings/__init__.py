"""The one place configuration is read: environment variables prefixed ``ASSISTANT_`` (or a .env file).

Each concern's fields, and the checks of one field, live in a module of their own here (``article``,
``index``, ``library``, ``answering``, ``llm``, ``serving``, ``limits``, ``security``, ``feedback``,
``chat``); ``Settings`` combines them into one flat object, so every field keeps its name and its variable
(``settings.index_dir`` is ``ASSISTANT_INDEX_DIR``), and holds the checks that run once every field is
read. Nothing here imports a surface.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import InvalidConfiguration
from assistant.settings.answering import AnsweringSettings
from assistant.settings.article import DEFAULT_ARTICLE, MAX_UTF8_BYTES_PER_CHAR, ArticleSettings
from assistant.settings.chat import ChatSettings
from assistant.settings.feedback import FeedbackSettings
from assistant.settings.index import IndexSettings
from assistant.settings.library import LibrarySettings
from assistant.settings.limits import LimitSettings
from assistant.settings.llm import LLMSettings
from assistant.settings.problems import problem
from assistant.settings.security import SecuritySettings
from assistant.settings.serving import LLM_REQUEST_MARGIN, MIN_LLM_FALLBACK_SECONDS, ServingSettings

__all__ = ["DEFAULT_ARTICLE", "Settings", "load_settings"]


# pydantic orders the fields of combined models base-most first, so the groups are listed last to first:
# the fields read article, index, library, answering, llm, serving, limits, security, feedback, chat.
class Settings(
    ChatSettings,
    FeedbackSettings,
    SecuritySettings,
    LimitSettings,
    ServingSettings,
    LLMSettings,
    AnsweringSettings,
    LibrarySettings,
    IndexSettings,
    ArticleSettings,
    BaseSettings,
):
    """Every knob of the assistant; see the README's Configuration table."""

    # hide_input_in_errors: a refused API key must never reach a log or a traceback.
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    # The checks here span groups or need every field read: they run after each field's own, in this order.
    @model_validator(mode="after")
    def _library_dir_defaults_into_the_index_dir(self) -> Settings:
        """Unset or blank: ``library/`` in the index directory (generated state, never committed)."""
        if self.library_dir is None or not str(self.library_dir).strip() or str(self.library_dir) == ".":
            self.library_dir = self.index_dir / "library"
        elif self.library_dir.exists() and not self.library_dir.is_dir():
            msg = (
                f"ASSISTANT_LIBRARY_DIR: {str(self.library_dir)!r} is a file; point it at a directory "
                "it may write, or unset it for library/ in the index directory"
            )
            raise ValueError(msg)
        return self

    @property
    def llm_enabled(self) -> bool:
        """Whether answers are written by the LLM: ``answerer`` ``llm``, or ``auto`` with a base URL."""
        return self.answerer == "llm" or (self.answerer == "auto" and self.llm_base_url is not None)

    @property
    def llm_step_seconds(self) -> float:
        """What the model's steps before the answer may take: the rewrite and the judge, when on."""
        return self.llm_step_timeout * ((self.llm_judge != "off") + int(self.llm_standalone_questions))

    @model_validator(mode="after")
    def _llm_is_configured_whole(self) -> Settings:
        """An LLM answerer needs a server and a model, and a request deadline its fallback fits in."""
        if self.answerer == "llm" and self.llm_base_url is None:
            msg = (
                "ASSISTANT_ANSWERER=llm needs ASSISTANT_LLM_BASE_URL, the model server's API base URL "
                "(e.g. http://localhost:11434/v1 for Ollama); set it, or use ASSISTANT_ANSWERER=extractive"
            )
            raise ValueError(msg)
        if not self.llm_enabled:
            return self
        if self.llm_model is None:
            msg = (
                f"ASSISTANT_LLM_MODEL is unset; name the model {self.llm_base_url} should answer with "
                "(e.g. llama3.2 for Ollama, gpt-4o-mini for OpenAI), or unset ASSISTANT_LLM_BASE_URL"
            )
            raise ValueError(msg)
        model_time = self.llm_timeout + self.llm_step_seconds
        if "request_timeout" not in self.model_fields_set:
            self.request_timeout = model_time + LLM_REQUEST_MARGIN
        elif self.request_timeout < model_time + MIN_LLM_FALLBACK_SECONDS:
            msg = (
                f"ASSISTANT_REQUEST_TIMEOUT={self.request_timeout:g} leaves no time for the extractive "
                f"answer after the model's {model_time:g} s (ASSISTANT_LLM_TIMEOUT, and "
                "ASSISTANT_LLM_STEP_TIMEOUT for each of the judge and the rewrite that are on); make it at "
                f"least {model_time + MIN_LLM_FALLBACK_SECONDS:g} or lower those"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _article_is_a_file_within_limit(self) -> Settings:
        """What a stat can tell; ``load_article`` checks the text itself (UTF-8, not binary, length)."""
        path, shown = self.article_path, repr(str(self.article_path))
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError as error:
            msg = f"ASSISTANT_ARTICLE_PATH: cannot read {shown} ({error.strerror}); point it at a text file"
            raise ValueError(msg) from None
        if size is None:
            what = "is not a regular file" if path.exists() else "does not exist"
            msg = f"ASSISTANT_ARTICLE_PATH: {shown} {what}; point it at the article, a UTF-8 text file"
            raise ValueError(msg)
        if size == 0:
            msg = f"ASSISTANT_ARTICLE_PATH: {shown} is empty (0 bytes); point it at the article's text"
            raise ValueError(msg)
        if size > self.max_article_chars * MAX_UTF8_BYTES_PER_CHAR:
            msg = (
                f"ASSISTANT_ARTICLE_PATH: {shown} is {size:,} bytes, more than "
                f"ASSISTANT_MAX_ARTICLE_CHARS={self.max_article_chars:,} characters can take; "
                "shorten the article or raise ASSISTANT_MAX_ARTICLE_CHARS"
            )
            raise ValueError(msg)
        return self


def load_settings() -> Settings:
    """The settings, or ``InvalidConfiguration`` naming every bad variable in one line."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidConfiguration("; ".join(problem(e) for e in error.errors())) from None
    except (OSError, UnicodeDecodeError) as error:
        env_file = Path.cwd() / ".env"
        msg = f"cannot read settings from {str(env_file)!r} ({error}); save it as UTF-8 text or remove it"
        raise InvalidConfiguration(msg) from None

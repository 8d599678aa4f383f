"""The one place configuration is read: environment variables prefixed ``ASSISTANT_`` (or a .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DEFAULT_ARTICLE = PACKAGE_DIR / "data" / "henningsen-2017-iran-missile-strike.txt"


class Settings(BaseSettings):
    """Every knob of the assistant; see the README's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    article_path: Path = Field(DEFAULT_ARTICLE, description="The article to answer from.")
    index_dir: Path = Field(PROJECT_DIR / "index", description="Where the built index lives.")
    prompts_dir: Path = Field(PROJECT_DIR / "prompts", description="Answer templates.")
    index_lock_timeout: float = Field(
        120.0, ge=0, description="Seconds to wait for another process's index build before giving up."
    )
    retrieval_k: int = Field(10, ge=1, le=50, description="Passages handed to the answerer.")
    max_citations: int = Field(2, ge=1, le=5, description="Sentences cited at most per answer.")
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(50, ge=0, description="History turns considered (newest kept).")
    host: str = Field("127.0.0.1", description="HTTP bind address for `assistant serve`.")
    port: int = Field(8080, ge=1, le=65535, description="HTTP port for `assistant serve`.")

    @model_validator(mode="after")
    def _article_exists(self) -> Settings:
        if not self.article_path.is_file():
            msg = f"ASSISTANT_ARTICLE_PATH: no such file {str(self.article_path)!r}"
            raise ValueError(msg)
        return self

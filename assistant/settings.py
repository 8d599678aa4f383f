"""The one place configuration is read: environment variables prefixed ``ASSISTANT_`` (or a .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    request_timeout: float = Field(10.0, gt=0, description="Seconds an HTTP request may take to be answered.")
    health_timeout: float = Field(
        2.0, gt=0, description="Seconds /healthz waits for its probe of index and model."
    )
    host: str = Field("127.0.0.1", description="HTTP bind address for `assistant serve`.")
    port: int = Field(8080, ge=1, le=65535, description="HTTP port for `assistant serve`.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Portal origins (comma-separated) allowed to call the APIs and frame the UI.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        repr=False,
        description="When set (comma-separated), /api/* and /v1/* require `Authorization: Bearer <key>`.",
    )
    ui_concurrency_limit: int = Field(4, ge=1, le=64, description="Chat answers computed at once.")
    ui_queue_size: int = Field(64, ge=1, description="Chat requests waiting at most; more are refused.")

    @field_validator("allowed_origins", "api_keys", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins_are_origins(cls, origins: list[str]) -> list[str]:
        cleaned = []
        for origin in origins:
            parts = urlsplit(origin.rstrip("/"))
            if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path or parts.query:
                msg = (
                    f"ASSISTANT_ALLOWED_ORIGINS: {origin!r} is not an origin; "
                    "give scheme://host[:port] without a path, e.g. https://intranet.example.com"
                )
                raise ValueError(msg)
            cleaned.append(f"{parts.scheme}://{parts.netloc}")
        return cleaned

    @model_validator(mode="after")
    def _article_exists(self) -> Settings:
        if not self.article_path.is_file():
            msg = f"ASSISTANT_ARTICLE_PATH: no such file {str(self.article_path)!r}"
            raise ValueError(msg)
        return self

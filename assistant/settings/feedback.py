"""Readers' ratings: whether they are collected, where they are kept, and how many are taken."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator


class FeedbackSettings(BaseModel):
    """The ratings' switch, database and limits."""

    feedback_enabled: bool = Field(
        True, description="Collect readers' 👍/👎 on answers (chat buttons and POST /api/feedback)."
    )
    # Like index/: the working directory's feedback/, fixed when settings load.
    feedback_db: Path = Field(
        default_factory=lambda: Path.cwd() / "feedback" / "feedback.sqlite3",
        validate_default=True,
        description="The SQLite file ratings are kept in (created with its folder on the first rating).",
    )
    feedback_per_minute: int = Field(
        10, ge=1, le=10_000, description="Ratings one client may send a minute; more get 429."
    )
    feedback_max_note_chars: int = Field(
        1000, ge=0, le=100_000, description="Longest note a reader may add to a rating, in characters."
    )
    feedback_max_db_bytes: int = Field(
        64 * 1024 * 1024,
        ge=64 * 1024,
        le=1024**4,
        description="Largest the feedback database may grow, in bytes (its write-ahead log aside, at most "
        "~4 MB more); past it ratings get 503 saying so, until the ratings are exported and the file moved.",
    )

    @field_validator("feedback_db")
    @classmethod
    def _feedback_db_can_be_a_file(cls, path: Path) -> Path:
        """A folder can never be the database file; say so at start-up, not at the first rating."""
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            example = str(path / "feedback.sqlite3")
            msg = f"ASSISTANT_FEEDBACK_DB: {str(path)!r} is a directory; give a file path, e.g. {example!r}"
            raise ValueError(msg)
        return path

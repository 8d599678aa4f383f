"""Where the index is built and kept: a folder, or a Chroma server, and how long to wait for its lock."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from assistant.chroma_address import server_address


class IndexSettings(BaseModel):
    """The index's home and lock."""

    # The working directory's index/, fixed when settings load: never beside the code, which an
    # installed wheel keeps in site-packages.
    index_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "index",
        validate_default=True,
        description="Where the built index lives (default: index/ in the working directory).",
    )
    chroma_url: str | None = Field(
        None,
        description="A Chroma server (http(s)://host[:port]) to keep the index collections in, instead "
        "of files in the index directory; the manifest stays there.",
    )
    index_lock_timeout: float = Field(
        120.0, ge=0, description="Seconds to wait for another process's index build before giving up."
    )

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_a_server_address(cls, url: str | None) -> str | None:
        """Checked now, so a typo fails at start-up with the variable named, not at the first build."""
        if url is None or not url.strip():
            return None
        try:
            server_address(url)
        except ValueError as error:
            raise ValueError(f"ASSISTANT_CHROMA_URL: {error}") from None
        return url.strip()

    @field_validator("index_dir")
    @classmethod
    def _index_dir_can_be_a_directory(cls, path: Path) -> Path:
        """A path under a file can never hold the index; say so now, not at the first question."""
        for part in (path, *path.parents):
            try:
                if not part.exists():
                    continue
            except OSError:
                break
            if not part.is_dir():
                where = "is a file" if part == path else f"is inside {str(part)!r}, which is a file"
                msg = f"ASSISTANT_INDEX_DIR: {str(path)!r} {where}; point it at a directory it may write"
                raise ValueError(msg)
            break
        return path

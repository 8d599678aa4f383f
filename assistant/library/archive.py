"""What ``assistant add`` is given → the files to add: files as named, folders walked, list files read.

A newsroom's archive is a folder tree or a list someone exported; naming every file on the command
line does not scale. Folders are walked in a fixed order (sorted paths), so two runs — or two hosts
sharing the archive — meet the files in the same order and a resumed run skips what is done first.
In a folder only the formats the library reads are taken (a stray PDF there is counted, not an
error); a file named on the command line or in a list is always tried, so a bad one is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.library.errors import SourceUnusable
from assistant.library.sources import FORMATS


@dataclass
class Archive:
    """The files to add, in order, and how many files in the folders were not articles."""

    files: list[Path] = field(default_factory=list)
    ignored: int = 0

    def take(self, path: Path) -> None:
        if path not in self._seen:
            self._seen.add(path)
            self.files.append(path)

    def __post_init__(self) -> None:
        self._seen: set[Path] = set()


def gather(paths: list[Path], lists: list[Path] | None = None) -> Archive:
    """Files named, folders walked (sorted), and the paths in each list file (one per line, blank lines
    and ``#`` comments skipped, relative ones read from the list's folder), each file once."""
    archive = Archive()
    named = list(paths)
    for listed in lists or []:
        named.extend(_read_list(listed))
    for path in named:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)):
                if found.suffix.lower() in FORMATS:
                    archive.take(found.resolve())
                else:
                    archive.ignored += 1
        else:
            archive.take(path.resolve() if path.exists() else path)
    return archive


def _hidden(path: Path, root: Path) -> bool:
    """Under a dot-folder or a dot-file (``.git``, editors' swap files): not the archive's articles."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _read_list(listed: Path) -> list[Path]:
    try:
        lines = listed.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        msg = f"assistant add --list: cannot read {str(listed)!r} ({reason})"
        raise SourceUnusable(msg) from None
    base = listed.resolve().parent
    paths = []
    for line in lines:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            path = Path(entry).expanduser()
            paths.append(path if path.is_absolute() else base / path)
    return paths

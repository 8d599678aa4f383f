"""The running count of a bulk ``assistant add``: what each file became, the rate, and the summary.

Plain bookkeeping, no output of its own: the command line prints what ``record`` returns (a line, or a
JSON object per file with ``--json``) and the summary at the end, or why it stopped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.library.library import AddResult


@dataclass
class Tally:
    """How far a bulk add got: ``total`` files, ``ignored`` non-article files in its folders."""

    total: int
    ignored: int
    started: float
    outcomes: Counter[str] = field(default_factory=Counter)
    _last: float = 0.0

    @property
    def done(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return self.outcomes["failed"]

    def record(self, path: Path, result: AddResult | AssistantError | object, now: float) -> dict[str, str]:
        """Count one file's result; what to report of it (``error`` for a file that was skipped)."""
        self._last = now
        if isinstance(result, AddResult):
            self.outcomes[result.outcome.value] += 1
            entry = result.entry
            return {"path": str(path), "outcome": result.outcome.value, "id": entry.id, "title": entry.title}
        self.outcomes["failed"] += 1
        return {"path": str(path), "outcome": "failed", "error": " ".join(str(result).split())}

    def rate(self, now: float) -> float:
        """Files per second so far (unchanged ones included: they are work done too)."""
        elapsed = max(now - self.started, 1e-9)
        return self.done / elapsed

    def rate_text(self) -> str:
        rate = self.rate(self._last or self.started)
        return f"{rate * 60:,.1f}/min" if rate < 1 else f"{rate:,.1f}/s"

    def summary(self, now: float) -> str:
        """One line: what was done, how fast, and what was not."""
        counts = ", ".join(f"{self.outcomes[k]:,} {k}" for k in ("added", "updated", "unchanged", "failed"))
        line = f"Done: {counts} of {self.total:,} files in {_duration(now - self.started)}"
        if self.done:
            line += f" ({_duration((now - self.started) / self.done)} per file)"
        if self.ignored:
            line += f"; {self.ignored:,} other files in the folders were not articles (.txt, .md, .html)"
        return line + "."

    def interrupted(self, now: float) -> str:
        left, took = self.total - self.done, _duration(now - self.started)
        return (
            f"Stopped after {self.done:,} of {self.total:,} files ({took}); what was added stays added, "
            f"the article in progress was not. Run the same command again to add the "
            f"{left:,} left (unchanged files are skipped)."
        )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"

"""Stored ratings as CSV (one row each, citations as a JSON column) or JSON lines (citations nested)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Literal, TextIO

from assistant.feedback.model import FeedbackEntry

ExportFormat = Literal["csv", "jsonl"]
CSV_COLUMNS = list(FeedbackEntry.model_fields)


def write_csv(entries: Iterable[FeedbackEntry], out: TextIO) -> int:
    """RFC 4180 CSV with a header row; notes with commas, quotes or line breaks are quoted, not mangled."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for entry in entries:
        row = entry.model_dump()
        row["citations"] = json.dumps(row["citations"], ensure_ascii=False)
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(entries: Iterable[FeedbackEntry], out: TextIO) -> int:
    count = 0
    for entry in entries:
        out.write(entry.model_dump_json() + "\n")
        count += 1
    return count


def export(entries: Iterable[FeedbackEntry], out: TextIO, fmt: ExportFormat) -> int:
    """Writes every entry in ``fmt``; returns how many."""
    return (write_csv if fmt == "csv" else write_jsonl)(entries, out)

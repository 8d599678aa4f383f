"""Command line: ``assistant index | ask | serve | eval | tune | tune-judge | add | list | remove | …``.

Thin: formats what ``Assistant`` returns."""

from __future__ import annotations

import contextlib
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.answer.sources import sources, sources_heading
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.library.bulk import Tally
    from assistant.library.entry import LibraryEntry
    from assistant.library.library import Outcome
    from assistant.library.paging import Page

app = typer.Typer(
    help="Ask a news article questions; every answer cites the article verbatim.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def _settings():  # noqa: ANN202 - imported lazily, like everything past the command line
    from assistant.settings import load_settings

    return load_settings()


def _assistant():  # noqa: ANN202 - the model stack is slow to import
    from assistant.pipeline import Assistant

    return Assistant(_settings())


def _current_fresh_build() -> str | None:
    """The up-to-date build (named), found without loading LangChain or the model (the no-op path)."""
    from assistant.index.builds import IndexDirectory
    from assistant.index.model import embedding_model_id  # the default embedder's, without loading it
    from assistant.index.stores.factory import chroma_store
    from assistant.ingest.parse import load_article

    settings = _settings()
    directory = IndexDirectory(settings.index_dir, chroma_store(settings.chroma_url))
    article = load_article(settings.article_path, settings.max_article_chars)
    fresh = directory.is_fresh(article, embedding_model_id())
    build = directory.current_build() if fresh else None
    return directory.describe(build) if build else None


def _fail(error: Exception) -> None:
    """One line, whatever the message holds (a path or a TOML error may carry line breaks)."""
    typer.secho(f"Error: {' '.join(str(error).split())}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild even if up to date.")] = False,
) -> None:
    """Build the index of the article (only if missing or out of date, unless --rebuild)."""
    try:
        if not rebuild and (build := _current_fresh_build()):
            typer.echo(f"Index is up to date: {build}")
            return
        assistant = _assistant()
        if not assistant.build_index(rebuild=rebuild, progress=_progress):
            directory = assistant.index_directory
            typer.echo(f"Index is up to date: {directory.describe(directory.current_build())}")
    except AssistantError as error:
        _fail(error)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question about the article.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    article: Annotated[
        str | None,
        typer.Option(
            "--article",
            help="The id of a library article (`assistant list`), or `all` for the one that answers "
            "best; default: the configured one.",
        ),
    ] = None,
) -> None:
    """Ask one question; prints the answer and its numbered, quoted sources."""
    try:
        from assistant.library.shelf import Shelf

        scoped = Shelf(_assistant()).scoped(article, across=True)
        answer = scoped.attribute(scoped.assistant.ask(question))
    except AssistantError as error:
        _fail(error)
    if as_json:
        from assistant.schema import AskResponse

        typer.echo(AskResponse.of(answer).model_dump_json(indent=2))
        return
    typer.echo(answer.text)
    if answer.citations:
        typer.echo(f"\n{sources_heading(answer)}")
    for source in sources(answer):
        typer.echo(f"{source.marker} {source.quote}")
        offsets = f"characters {source.citation.start}–{source.citation.end}"
        typer.echo(f"    ({', '.join(source.where)}; {offsets})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes answering on the port; above 1: the APIs only, with ASSISTANT_CHROMA_URL.",
        ),
    ] = 1,
) -> None:
    """Serve the chat page (/), the APIs (/api/ask, /api/feedback, /v1/…), /embed, /healthz and the docs."""
    from assistant.web import serving

    try:
        settings = _settings()
        if workers > 1 and not settings.chroma_url:
            msg = (
                f"--workers {workers} needs ASSISTANT_CHROMA_URL: the embedded Chroma store is "
                "single-process (every worker would open and write it); run a server (`chroma run --path "
                "DIR --port 8000`), set ASSISTANT_CHROMA_URL=http://127.0.0.1:8000, or serve with one worker"
            )
            _fail(ValueError(msg))
        listener = serving.prepare(settings, host, port)  # a bad address fails before the model loads
        if workers > 1:
            from assistant.web.workers import serve_workers

            raise typer.Exit(serve_workers(workers, listener))
        assistant = _assistant()
        assistant.open(progress=_progress)
    except AssistantError as error:
        _fail(error)
    from assistant.web.app import create_app

    serving.serve(
        create_app(assistant, serving.as_served(assistant.settings, listener)), assistant.settings, listener
    )


@app.command("eval")
def evaluate(
    golden_set: Annotated[
        Path | None,
        typer.Argument(
            help="JSON-lines golden set (default in a checkout of the repository: tests/data/golden.jsonl)."
        ),
    ] = None,
    article: Annotated[
        Path | None,
        typer.Option(
            "--article",
            help="Run the set against this article file instead, with its own temporary index "
            "(the configured index is left alone).",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every item as JSON.")] = False,
    failures: Annotated[bool, typer.Option("--failures", help="List the misses.")] = False,
) -> None:
    """Score the assistant on a golden set: recall, accuracy, declines, citations, latency."""
    from assistant.evaluation import (
        default_golden_set,
        load_golden_set,
        report_json,
        report_table,
        right_by_kind,
        run_golden_set,
    )

    path = golden_set or default_golden_set()
    if path is None:
        msg = (
            'give a golden-set file: `assistant eval FILE` (JSON lines, one {"id", "question", ...} '
            "a line, like the repository's tests/data/golden.jsonl: the default only in a checkout)"
        )
        _fail(ValueError(msg))
    try:
        items = load_golden_set(path)[:limit]
        report, results = run_golden_set(items, article, progress=_progress)
    except (AssistantError, OSError, ValueError) as error:
        _fail(error)
    if as_json:
        typer.echo(report_json(report, results))
        return
    if article is not None:
        typer.echo(f"Article: {article}")
    typer.echo(f"Golden set: {path}")
    typer.echo(report_table(report))
    for kind, share in right_by_kind(results).items():
        typer.echo(f"right: {kind:<15}  {share:.3f}")
    if failures:
        for r in results:
            if not r.right:
                typer.echo(f"\nMISS {r.id}: {r.question}\n  -> {r.answer[:300]}")


SHARED_SQUAD2 = Path("../shared/eval/squad2")
SHIPPED_FIT = Path(__file__).resolve().parent / "answer" / "extractive" / "fitted.json"
Squad2Folder = Annotated[
    Path, typer.Option(help="Folder of the shared SQuAD 2.0 sets (and, beside it, the shared dev set).")
]


@app.command("tune")
def tune_command(
    squad2: Squad2Folder = SHARED_SQUAD2,
    out: Annotated[
        Path, typer.Option(help="Where to write the fit (default: the answerer's shipped fitted.json).")
    ] = SHIPPED_FIT,
    max_false_declines: Annotated[
        float, typer.Option(help="False declines allowed on the training answerables.")
    ] = 0.03,
) -> None:
    """Refit the answerer's numbers on the training split and report them on the held-out one."""
    import json

    from assistant.tuning import default_sets, tune

    checkout = Path(__file__).resolve().parent.parent
    train, held_out = default_sets(checkout, squad2)
    missing = [str(s.questions) for s in (*train, *held_out) if not s.questions.is_file()]
    if missing:
        _fail(ValueError(f"tuning needs the question sets of a checkout; missing: {', '.join(missing)}"))
    try:
        weights = tune(train, held_out, max_false_declines, _progress)
    except (AssistantError, OSError, ValueError) as error:
        _fail(error)
    out.write_text(weights.to_json(), encoding="utf-8")
    typer.echo(json.dumps(weights.provenance, indent=2))
    typer.echo(f"Wrote {out}")


SHIPPED_JUDGE_FIT = SHIPPED_FIT.with_name("fitted_judge.json")


@app.command("tune-judge")
def tune_judge_command(
    squad2: Squad2Folder = SHARED_SQUAD2,
    out: Annotated[
        Path, typer.Option(help="Where to write the fit (default: the shipped fitted_judge.json).")
    ] = SHIPPED_JUDGE_FIT,
    max_added_false_declines: Annotated[
        float,
        typer.Option(
            help="Share of the training answerables the judge may turn away, beyond the engine's own."
        ),
    ] = 0.03,
    rows: Annotated[
        Path | None, typer.Option(help="Also write every question's row here (JSON lines), to refit offline.")
    ] = None,
    from_rows: Annotated[
        Path | None,
        typer.Option(help="Refit from the rows an earlier run wrote (--rows), without the model."),
    ] = None,
) -> None:
    """Refit how the LLM's judgement combines with the engine's confidence (needs ASSISTANT_LLM_BASE_URL)."""
    import json

    from assistant.tuning import default_sets
    from assistant.tuning_judge import seed_sets, tune_judge

    if from_rows is not None:
        from assistant.tuning_judge import fitted_with_report, read_rows

        try:
            model_name, train_rows, held_out_rows = read_rows(from_rows)
            model = fitted_with_report(train_rows, held_out_rows, max_added_false_declines, model_name)
        except (OSError, ValueError, TypeError, KeyError) as error:
            _fail(ValueError(f"--from-rows {from_rows}: {error}"))
        out.write_text(model.to_json(), encoding="utf-8")
        typer.echo(json.dumps(model.provenance, indent=2))
        typer.echo(f"Wrote {out}")
        return
    settings = _settings()
    if not settings.llm_enabled:
        _fail(
            ValueError(
                "tune-judge needs the model server: set ASSISTANT_LLM_BASE_URL and ASSISTANT_LLM_MODEL"
            )
        )
    checkout = Path(__file__).resolve().parent.parent
    train, held_out = seed_sets(*default_sets(checkout, squad2))
    missing = [str(s.questions) for s in (*train, *held_out) if not s.questions.is_file()]
    if missing:
        _fail(ValueError(f"tuning needs the question sets of a checkout; missing: {', '.join(missing)}"))
    settings = settings.model_copy(update={"llm_judge": "on"})  # fitting for the configured model
    try:
        model = tune_judge(settings, train, held_out, max_added_false_declines, _progress, rows)
    except (AssistantError, OSError, ValueError) as error:
        _fail(error)
    out.write_text(model.to_json(), encoding="utf-8")
    typer.echo(json.dumps(model.provenance, indent=2))
    typer.echo(f"Wrote {out}")


feedback_app = typer.Typer(help="Readers' ratings of answers (👍/👎), kept in ASSISTANT_FEEDBACK_DB.")
app.add_typer(feedback_app, name="feedback")


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@feedback_app.command("export")
def feedback_export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="csv (one row each) or jsonl.")
    ] = ExportFormat.csv,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Write every stored rating (question, answer, citations, note, article) as CSV or JSON lines."""
    from assistant.feedback import export, read_entries

    try:
        path = _settings().feedback_db
        entries = list(read_entries(path))
        if out is None:
            count = export(entries, sys.stdout, fmt.value)
        else:
            with out.open("w", encoding="utf-8", newline="") as file:
                count = export(entries, file, fmt.value)
    except AssistantError as error:
        _fail(error)
    except OSError as error:
        _fail(OSError(f"cannot write {str(out)!r} ({error.strerror}); give a path in a writable folder"))
    if out is not None:
        typer.echo(f"Wrote {count} ratings to {out}", err=True)


llm_app = typer.Typer(help="Local models for the optional LLM answerer (llama.cpp, offline).")
app.add_typer(llm_app, name="llm")
LocalModel = StrEnum("LocalModel", {name: name for name in ("smollm2", "qwen2.5-coder-1.5b")})


@llm_app.command("serve")
def llm_serve(
    model: Annotated[
        LocalModel, typer.Option(help="smollm2 (93 MB, fast, weak) or qwen2.5-coder-1.5b (1.1 GB, better).")
    ] = LocalModel["smollm2"],
    host: Annotated[str, typer.Option(help="Bind address; the server has no API key.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8080,
    threads: Annotated[int | None, typer.Option(min=1, help="CPU threads (default: half the cores).")] = None,
    ctx_size: Annotated[int, typer.Option(min=256, help="Context window in tokens.")] = 4096,
    prompt_cache: Annotated[
        bool, typer.Option(help="Restore earlier prompts' state from memory (off: for fair timings).")
    ] = True,
) -> None:
    """Run llama.cpp's OpenAI-compatible server on a packaged model, until Ctrl-C."""
    from assistant.model_server import ServerOptions, packaged_model, serve_forever, start

    options = ServerOptions(
        host=host, port=port, threads=threads, ctx_size=ctx_size, prompt_cache=prompt_cache
    )
    try:
        running = start(packaged_model(model.value), options, progress=_progress)
    except AssistantError as error:
        _fail(error)
    except OSError as error:
        _fail(OSError(f"cannot prepare the model ({error}); check the cache folder and free disk space"))
    typer.echo(f"Loaded {running.model} in {running.load_seconds:.1f} s; serving until Ctrl-C.")
    typer.echo("Point the assistant at it:")
    typer.echo(f"ASSISTANT_LLM_BASE_URL={running.base_url}")
    typer.echo(f"ASSISTANT_LLM_MODEL={running.model}")
    serve_forever(running)


# -- The library of articles (opt-in: `assistant serve` still answers from ASSISTANT_ARTICLE_PATH) --


def _library():  # noqa: ANN202 - imported lazily, like everything past the command line
    from assistant.library import Library

    return Library(_settings())


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


@app.command()
def add(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Article files (.txt, .md, .html) or folders of them (walked, in sorted order).",
            show_default=False,
        ),
    ] = None,
    lists: Annotated[
        list[Path] | None,
        typer.Option("--list", metavar="FILE", help="A file listing paths to add, one per line."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per file, as each is done.")
    ] = False,
) -> None:
    """Add articles to the library, each with its own index: files, folders of them (an archive) or
    list files. A changed file replaces its old version, an unchanged one is left alone, so running
    the same command again resumes a run that was stopped. A bad file is reported and skipped: the
    others are still added, and the exit code is 1."""
    import json
    import time

    from assistant.library.archive import gather
    from assistant.library.bulk import Tally

    if not paths and not lists:
        _fail(ValueError("assistant add: give article files, folders of them, or --list FILE"))
    try:
        archive = gather(paths or [], lists)
        library = _library()
    except AssistantError as error:
        _fail(error)
    tally = Tally(len(archive.files), archive.ignored, time.monotonic())
    bar = _ProgressBar(tally) if len(archive.files) > 1 and sys.stderr.isatty() and not as_json else None

    def done(path: Path, result: object) -> None:
        report = tally.record(path, result, time.monotonic())
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        elif "error" in report:
            typer.secho(f"Error: {report['error']}", err=True, fg=typer.colors.RED)
        else:
            note = " (no change: already in the library)" if report["outcome"] == "unchanged" else ""
            typer.echo(f"{report['outcome']:<9} {report['id']}: {report['title']}{note}")
        if bar is not None:
            bar.advance()

    try:
        if len(archive.files) == 1:  # one article: its own steps are the progress worth showing
            path = archive.files[0]
            try:
                done(path, library.add(path, progress=_progress))
            except AssistantError as error:
                done(path, error)
        else:
            with bar or contextlib.nullcontext():
                library.add_many(archive.files, done)
    except KeyboardInterrupt:
        typer.echo(tally.interrupted(time.monotonic()), err=True)
        raise typer.Exit(130) from None
    if len(archive.files) != 1 or archive.ignored:
        typer.echo(tally.summary(time.monotonic()), err=True)
    if tally.failed:
        raise typer.Exit(1)


class _ProgressBar:
    """One bar for the whole job on a terminal: articles done of all, the rate, the time left."""

    def __init__(self, tally: Tally) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("Adding articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.tally = tally
        self.task = self.progress.add_task("add", total=tally.total, rate="")

    def __enter__(self) -> _ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def advance(self) -> None:
        self.progress.update(self.task, advance=1, rate=self.tally.rate_text())


@app.command("list")
def list_articles(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help='Print the page as JSON: {"articles", "total", "offset", "limit", "next_offset"}.'
        ),
    ] = False,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit",
            metavar="N",
            help="Articles per page (default: 100); a last line gives the command for the next page.",
        ),
    ] = None,
    offset: Annotated[
        str | None,
        typer.Option("--offset", metavar="K", help="Start after the first K articles (default: 0)."),
    ] = None,
) -> None:
    """List the library's articles, a page at a time: id, title, byline, date, size and source file."""
    import json

    from assistant.library.paging import DEFAULT_LIMIT, Page, count

    try:
        size = DEFAULT_LIMIT if limit is None else count("--limit", limit, 1)
        skip = 0 if offset is None else count("--offset", offset, 0)
        library = _library()
        entries = library.entries()
    except AssistantError as error:
        _fail(error)
    page = Page(len(entries), skip, size)
    shown = page.take(entries)
    if as_json:
        listing = {
            "articles": [e.model_dump() for e in shown],
            "total": page.total,
            "offset": page.offset,
            "limit": page.limit,
            "next_offset": page.next_offset,
        }
        typer.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    if not entries:
        typer.echo(f"No articles in {library.catalog.where} yet; add one with `assistant add FILE`.")
        return
    for entry in shown:
        facts = [f"By {entry.byline}" if entry.byline else None, entry.date]
        facts.append(f"{entry.sentences:,} sentences, {entry.chars:,} characters")
        typer.echo(f"{entry.id}: {entry.title}")
        typer.echo(f"    {' · '.join(f for f in facts if f)}")
        typer.echo(f"    {entry.source_format}: {entry.source_path}")
    if footer := _page_footer(page, DEFAULT_LIMIT):
        typer.echo(footer)


def _page_footer(page: Page, default_limit: int) -> str | None:
    """Where the page lies and the command for the next one; None when the whole library is shown."""
    if page.start == 0 and page.next_offset is None:
        return None
    if page.start == page.end:
        past = f"No articles from offset {page.offset:,}: the library has {page.total:,}"
        return f"{past}; first page: assistant list"
    where = f"Showing {page.start + 1:,}–{page.end:,} of {page.total:,}"
    if page.next_offset is None:
        return where
    size = f" --limit {page.limit}" if page.limit != default_limit else ""
    return f"{where}; next: assistant list --offset {page.next_offset}{size}"


@app.command("migrate-library")
def migrate_library(
    folder: Annotated[
        Path | None,
        typer.Option("--from", metavar="DIR", help="The folder library (default: ASSISTANT_LIBRARY_DIR)."),
    ] = None,
) -> None:
    """Move a folder library into the Chroma server's (ASSISTANT_CHROMA_URL), where every host sees it:
    each article keeps its id and text, its index is built on the server. The folder is only read."""
    from assistant.library.catalog import LibraryCatalog
    from assistant.library.migrate import migrate

    try:
        settings = _settings()
        if not settings.chroma_url:
            raise ValueError(
                "assistant migrate-library moves a folder library into a Chroma server's: set "
                "ASSISTANT_CHROMA_URL to the server (`chroma run --path DIR --port PORT`)"
            )
        source = LibraryCatalog(folder or settings.library_dir)
        target = _library()
    except (AssistantError, ValueError) as error:
        _fail(error)
    failed = 0

    def done(entry: LibraryEntry, outcome: Outcome | AssistantError) -> None:
        nonlocal failed
        article = f"{entry.id}: {entry.title}"
        if isinstance(outcome, AssistantError):
            failed += 1
            typer.secho(f"Error: {_one_line(outcome)}", err=True, fg=typer.colors.RED)
        else:
            word = {"added": "moved", "updated": "replaced", "unchanged": "unchanged"}[str(outcome)]
            typer.echo(f"{word:<9} {article}")

    try:
        migrate(source, target, done)
    except AssistantError as error:
        _fail(error)
    typer.echo(
        f"Now in {target.catalog.where}; {source.where} was left as it was: delete it when done.", err=True
    )
    if failed:
        raise typer.Exit(1)


@app.command()
def remove(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="The article's id (see `assistant list`).")],
) -> None:
    """Remove an article from the library, with its index."""
    try:
        entry = _library().remove(article_id, progress=_progress)
    except AssistantError as error:
        _fail(error)
    typer.echo(f"Removed {entry.id}: {entry.title}")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())

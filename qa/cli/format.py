"""How the `qa` command shows things to a person."""

import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from tqdm import tqdm

from index.records import StoreStats
from qa.answering.date_limits import dates_sentence
from qa.evaluation import EvalReport
from qa.ingest.ingestion import IngestReport
from qa.models import Answer, Citation, Passage, Quote, Source
from qa.settings import Settings

WIDTH = 100
PASSAGE_PREVIEW_CHARS = 400


@contextmanager
def progress(total: int, quiet: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr, shown only on a terminal, left on screen at the end. The total is
    counted ahead; should the inputs give more, the total follows."""
    with tqdm(total=total, unit=" articles", disable=True if quiet else None, leave=True) as bar:
        def tick() -> None:
            if bar.total is not None and bar.n >= bar.total:
                bar.total = bar.n + 1
            bar.update(1)

        yield tick


def ingest_summary(report: IngestReport) -> str:
    return (
        f"ingested: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped "
        f"({report.chunks_embedded} chunks embedded, {report.chunks_reused} reused)"
    )


def delete_summary(deleted: list[str], failed: list[str]) -> str:
    shown = ", ".join(failed[:10]) + (f" and {len(failed) - 10} more" if len(failed) > 10 else "")
    return f"qa: deleted {len(deleted)} of {len(deleted) + len(failed)} articles; not deleted: {shown}"


def answer(result: Answer) -> str:
    lines = [f"Answered as: {result.question}", ""] if result.asked else []
    if result.dates is not None:
        lines += [dates_sentence(result.dates), ""]
    if result.answerable:
        if result.short_answer is not None:
            short = result.short_answer
            number = next((n for n, c in enumerate(result.citations, start=1)
                           if c.origin.article_id == short.origin.article_id and c.start <= short.start < c.end), None)
            lines += [f"Short answer: {short.text}" + (f" [{number}]" if number else ""), ""]
        markers = " ".join(f"{c.quote} [{n}]" for n, c in enumerate(result.citations, start=1))
        lines += ["Answer", _indent(markers), ""]
        lines += [_citation(n, c) for n, c in enumerate(result.citations, start=1)]
    else:
        lines += [f"Not found in the articles ({result.abstention.value})."]
    if result.passages:
        lines += ["", "Passages" if result.answerable else "Nearest passages"]
        lines += [_passage(n, p) for n, p in enumerate(result.passages, start=1)]
    return "\n".join(lines)


def quotes(speaker: str, topic: str | None, found: list[Quote]) -> str:
    if not found:
        return f"No quotes of {speaker}" + (f" about {topic}." if topic else ".")
    return "\n".join(_quote(n, q) for n, q in enumerate(found, start=1))


def info(settings: Settings, stats: StoreStats) -> str:
    return "\n".join([
        f"index: {settings.index_dir}",
        f"model: {settings.model}",
        f"articles: {stats.articles}",
        f"chunks: {stats.chunks}",
        f"vectors: {stats.vectors}",
    ])


def eval_report(report: EvalReport, retriever: str) -> str:
    rows = [(name, f"{value:.3f}") for name, value in report.as_dict().items() if "@" in name]
    lines = [f"retriever {retriever}, {report.n} questions"] + [f"  {name:<9} {value}" for name, value in rows]
    lines.append(f"  latency   median {report.latency_median_ms} ms, p95 {report.latency_p95_ms} ms")
    lines.append(f"  passages  {report.passage_chars:.0f} characters on average in the top 5")
    return "\n".join(lines)


def settings_error(error: ValidationError) -> str:
    problems = [
        f"QA_{'_'.join(map(str, e['loc'])).upper()}: {_plain(e['msg'])}" if e["loc"] else _plain(e["msg"])
        for e in error.errors()
    ]
    return "qa: invalid settings: " + "; ".join(problems)


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def _citation(number: int, citation: Citation) -> str:
    return f"[{number}] {_source(citation.origin)}, characters {citation.start}-{citation.end}"


def _quote(number: int, quote: Quote) -> str:
    score = f", score {quote.score:.3f}" if quote.score is not None else ""
    heading = f"{number}. {quote.speaker} ({quote.kind}{score})  {_source(quote.origin)}, characters {quote.start}-{quote.end}"
    return heading + "\n" + _indent(quote.quote) + "\n"


def _passage(number: int, passage: Passage) -> str:
    preview = " ".join(passage.text.split())
    if len(preview) > PASSAGE_PREVIEW_CHARS:
        preview = preview[:PASSAGE_PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
    heading = f"{number}. score {passage.score:.3f}  {_source(passage.origin)}, characters {passage.start}-{passage.end}"
    return heading + "\n" + _indent(preview) + "\n"


def _source(origin: Source) -> str:
    parts = [origin.title or origin.article_id]
    if origin.title:
        parts.append(f"id {origin.article_id}")
    parts += [p for p in (origin.source, origin.published_at, origin.url) if p]
    return " · ".join(parts)


def _indent(text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent="    ", subsequent_indent="    ")

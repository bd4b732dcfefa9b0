"""The `qa` command: parse arguments, call the service, print; exit statuses are in qa.cli.exits."""

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from qa.cli import format as cli_format
from qa.cli import sources as cli_sources
from qa.cli.exits import EXIT_DONE, EXIT_INTERRUPTED, EXIT_SKIPPED, EXIT_USAGE, exit_status
from qa.embedding.embedder import embedder_for
from qa.errors import CodedError, QAError
from qa.json_shapes import answer_json, quotes_json
from qa.evaluation import evaluate, load_questions, service_retrieve
from qa.query import Query, parse_moment
from qa.ingest.readers import count_inputs
from qa.composition import back_up_index, check_service_opens, open_service
from qa.service import QAService
from qa.settings import Settings

if TYPE_CHECKING:
    from api.settings import ServerSettings

log = logging.getLogger("qa")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="qa: %(message)s")
    if args.verbose or args.command is serve:
        for name in ("qa", "index", "api"):
            logging.getLogger(name).setLevel(logging.INFO)
    try:
        settings = args.settings(**({"index_dir": args.index_dir} if args.index_dir else {}))
    except ValidationError as error:
        print(cli_format.settings_error(error), file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.command(args, settings)
    except CodedError as error:
        print(f"qa: {error.message}", file=sys.stderr)
        return exit_status(error)
    except KeyboardInterrupt:
        print("qa: interrupted; everything committed before this point is kept", file=sys.stderr)
        return EXIT_INTERRUPTED


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    embedder = None
    if args.ray:
        from qa.embedding.ray_cluster import RayEmbedder  # Ray loads only for a bulk ingest that asks for it

        embedder = RayEmbedder(args.ray, settings, embedder_for(settings))
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not _exists(p)]
    if missing:
        # A mistyped path is a mistake to fix before anything is read, not an input to skip.
        raise InputMissing(f"no such file or folder: {', '.join(missing)}")
    service = open_service(settings, embedder, create=True)
    try:
        total = count_inputs(paths, exclude=settings.index_dir)
        with cli_format.progress(total, quiet=args.quiet) as tick:
            report = service.ingest_paths(paths, on_input=tick)
    finally:
        service.close()
    print(cli_format.ingest_summary(report))
    for skipped in report.skipped:
        print(f"skipped {skipped.origin}: {skipped.reason}", file=sys.stderr)
    return EXIT_SKIPPED if report.skipped else EXIT_DONE


def ask(args: argparse.Namespace, settings: Settings) -> int:
    as_of = parse_moment(args.as_of, "--as-of", end_of_day=True) if args.as_of else None
    query = Query(args.question, args.top_k, as_of=as_of, history=tuple(args.after))
    answer = _with_service(settings, lambda service: service.ask(query))
    print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2) if args.json else cli_format.answer(answer))
    return EXIT_DONE


def quotes(args: argparse.Namespace, settings: Settings) -> int:
    as_of = parse_moment(args.as_of, "--as-of", end_of_day=True) if args.as_of else None
    found = _with_service(settings, lambda service: service.quotes(
        args.speaker, args.topic, as_of=as_of, top_k=args.top_k, sort=args.sort))
    print(json.dumps(quotes_json(args.speaker, args.topic, found), ensure_ascii=False, indent=2) if args.json
          else cli_format.quotes(args.speaker, args.topic, found))
    return EXIT_DONE


def delete(args: argparse.Namespace, settings: Settings) -> int:
    def delete_each(service: QAService) -> int:
        deleted, failed, errors = [], [], []
        for article_id in args.ids:
            try:
                service.delete(article_id)
                deleted.append(article_id)
                print(f"deleted {article_id}")
            except QAError as error:
                failed.append(article_id)
                errors.append(error)
                print(f"qa: {error.message}", file=sys.stderr)
        if failed:
            print(cli_format.delete_summary(deleted, failed), file=sys.stderr)
        return max(map(exit_status, errors), default=EXIT_DONE)

    return _with_service(settings, delete_each)


def eval_command(args: argparse.Namespace, settings: Settings) -> int:
    questions = load_questions(Path(args.questions))
    if args.retriever:
        settings = settings.model_copy(update={"retriever": args.retriever})
    report = _with_service(settings, lambda service: evaluate(service_retrieve(service), questions, args.top_k))
    print(json.dumps(report.as_dict()) if args.json else cli_format.eval_report(report, settings.retriever))
    return EXIT_DONE


def serve(args: argparse.Namespace, settings: "ServerSettings") -> int:
    from api.server.run import listen, run, run_workers  # the HTTP edge, imported only by the command that needs it

    overrides = {name: value for name, value in (("host", args.host), ("port", args.port), ("workers", args.workers))
                 if value is not None}
    settings = settings.model_copy(update=overrides)
    # First, so that a port in use is said at once, not after the model has loaded.
    sock = listen(settings)
    with sock:
        if settings.serve_workers > 1:
            # Opened once first, so that a missing model or an incompatible index is one clear error,
            # not workers failing one after the other; in a child, so this process stays small.
            check_service_opens(settings)
            run_workers(settings, settings.serve_workers, sock)
            return EXIT_DONE
        service = open_service(settings, create=True)
        try:
            run(settings, service, sock)
        finally:
            service.close()
    return EXIT_DONE


def mcp(args: argparse.Namespace, settings: Settings) -> int:
    from api.mcp_server.server import serve_stdio  # the MCP SDK, imported only by the command that needs it

    # Stdout carries the protocol alone: anything printed while the model loads goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        service = open_service(settings, create=False)
    try:
        serve_stdio(service)
    finally:
        service.close()
    return EXIT_DONE


def info(args: argparse.Namespace, settings: Settings) -> int:
    stats = _with_service(settings, lambda service: service.stats())
    print(cli_format.info(settings, stats))
    return EXIT_DONE


def backup(args: argparse.Namespace, settings: Settings) -> int:
    report = back_up_index(settings, Path(args.destination))
    print(f"backed up {report.articles} articles ({report.chunks} chunks) to {report.destination}")
    return EXIT_DONE


class InputMissing(CodedError):
    """A path given to `qa ingest` does not exist: the command's own error, before the service is opened."""

    code = "input_missing"


def _server_settings(**values: Any) -> "ServerSettings":
    from api.settings import ServerSettings  # the HTTP edge, imported only by the command that needs it

    return ServerSettings(**values)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return True  # there, but not readable: reported as a skipped input with the reason


def _with_service(settings: Settings, work: Callable[[QAService], object]):
    service = open_service(settings, create=False)
    try:
        return work(service)
    finally:
        service.close()


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", type=Path, help="index folder (default: $QA_INDEX_DIR, else ~/.local/share/news-qa/index)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    # The settings a command reads: the service's; `qa serve` sets the server's, which hold them too.
    common.set_defaults(settings=Settings)
    parser = argparse.ArgumentParser(prog="qa", description="Question answering over news articles, with exact citations.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    p = commands.add_parser("ingest", parents=[common], help="add or update articles from files and folders")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt .md .html .htm .json .jsonl files, or folders of them")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--ray", metavar="ADDRESS", help="embed on a Ray cluster (its address, or `local` to start one here)")
    p.set_defaults(command=ingest)

    p = commands.add_parser("ask", parents=[common], help="answer a question from the articles, with citations")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=None, help="passages to return (default: $QA_TOP_K, else 5)")
    p.add_argument("--as-of", help="the date or datetime the question is asked about (default: now)")
    p.add_argument("--after", action="append", default=[], metavar="EARLIER_QUESTION",
                   help="an earlier question the question follows up (repeat, oldest first)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(command=ask)

    p = commands.add_parser("quotes", parents=[common], help="what a person said, on a subject or any, with citations")
    p.add_argument("speaker", metavar="NAME", help="a surname or a full name, any case, accents optional")
    p.add_argument("topic", metavar="TOPIC", nargs="?", help="the subject (default: everything they said)")
    p.add_argument("--top-k", type=int, default=None, help="quotes to return (default: $QA_TOP_K, else 5)")
    p.add_argument("--as-of", help="leave out articles published after this date or datetime (default: now)")
    p.add_argument("--sort", choices=["relevance", "date"], default="relevance",
                   help="relevance (naming the subject first, then closest; without one, newest first) or date")
    p.add_argument("--json", action="store_true", help="print the quotes as JSON")
    p.set_defaults(command=quotes)

    p = commands.add_parser("eval", parents=[common], help="measure retrieval on questions with known answers")
    p.add_argument("questions", metavar="QUESTIONS.jsonl")
    p.add_argument("--retriever", choices=["dense", "bm25", "hybrid"], help="override QA_RETRIEVER")
    p.add_argument("--top-k", type=int, default=10, help="passages retrieved per question (at least 10)")
    p.add_argument("--json", action="store_true", help="print the measures as JSON")
    p.set_defaults(command=eval_command)

    cli_sources.add_parsers(commands, common)

    p = commands.add_parser("delete", parents=[common], help="remove articles with their chunks and vectors")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(command=delete)

    p = commands.add_parser("serve", parents=[common], help="serve the HTTP API and the web page")
    p.add_argument("--host", help="address to listen on (default: $QA_HOST, else 127.0.0.1, or 0.0.0.0 with API keys)")
    p.add_argument("--port", type=_port, help="port to listen on (default: $QA_PORT, else 8000)")
    p.add_argument("--workers", type=int, help="processes to serve from (default: $QA_WORKERS, else one per CPU core)")
    p.set_defaults(command=serve, settings=_server_settings)

    p = commands.add_parser("mcp", parents=[common], help="serve the tools to an assistant over MCP (stdio)")
    p.set_defaults(command=mcp)

    p = commands.add_parser("backup", parents=[common], help="copy the index consistently, also while it is in use")
    p.add_argument("destination", metavar="DEST", help="a new folder (or an empty one) for the copy")
    p.set_defaults(command=backup)

    p = commands.add_parser("info", parents=[common], help="show what the index holds")
    p.set_defaults(command=info)
    return parser


if __name__ == "__main__":
    sys.exit(main())

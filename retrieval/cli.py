"""`python -m retrieval`: index documents and ask questions from a terminal.

    python -m retrieval ingest documents/ report.pdf https://example.org/brief [--multilingual]
    python -m retrieval multilingual                     # Korean/Japanese search vectors, now
    python -m retrieval docs [--json]
    python -m retrieval remove DOC_ID
    python -m retrieval ask "What does the report say about X?" [--json]
    python -m retrieval ask --json < questions.jsonl     # one JSON line out per line in
    python -m retrieval chat                              # interactive, with follow-ups
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from .answer import Answer
from .errors import ConfigurationError, FetchError, RetrievalError
from .fetching import fetch_document
from .index import IngestProgress, IngestResult, iter_document_files
from .loading import DocumentError, is_web_source
from .settings import Settings

log = logging.getLogger("retrieval")


def build_parser() -> argparse.ArgumentParser:
    # --data-dir is accepted before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="Overrides DATA_DIR (index, files, state).")
    common.add_argument("--mode", choices=("extractive", "llm"), default=argparse.SUPPRESS,
                        help="Overrides ANSWER_MODE: quoted sentences (offline) or a generated, validated answer.")
    parser = argparse.ArgumentParser(prog="python -m retrieval", description=__doc__.split("\n\n")[0],
                                     parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common],
                       help="Index files, folders (.txt .md .html .pdf .docx) or links to web pages and PDFs.")
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--multilingual", action="store_true",
                   help="Then compute the vectors Korean and Japanese questions are searched with "
                        "(otherwise the bot or the terminal chat computes them in the background).")

    sub.add_parser("multilingual", parents=[common],
                   help="Compute the Korean/Japanese search vectors of every document that lacks them.")

    p = sub.add_parser("sync", parents=[common], help="Index the shipped documents/ folder if anything is new or changed.")
    p.add_argument("--documents", type=Path, help="Overrides DOCUMENTS_DIR.")

    p = sub.add_parser("docs", parents=[common], help="List indexed documents.")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("remove", parents=[common], help="Remove a document; it is never cited again.")
    p.add_argument("doc_id")

    sub.add_parser("reindex", parents=[common], help="Re-chunk and re-embed every document from its stored file.")

    p = sub.add_parser("ask", parents=[common], help="Answer one question (or, with --json, a stream of them on stdin).")
    p.add_argument("question", nargs="?")
    p.add_argument("--json", action="store_true", help="One JSON object per answer.")

    sub.add_parser("chat", parents=[common], help="Interactive questions in the terminal.")
    return parser


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings or Settings()
    if getattr(args, "data_dir", None):
        settings = settings.model_copy(update={"data_dir": args.data_dir.expanduser()})
    if getattr(args, "mode", None):
        settings = settings.model_copy(update={"answer_mode": args.mode})
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    quiet_third_party_loggers()
    try:
        from .service import Services

        services = Services(settings)
        return COMMANDS[args.command](services, args)
    except RetrievalError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def quiet_third_party_loggers() -> None:
    # httpx logs full request URLs at INFO; for the Bot API those URLs contain the token.
    # apscheduler logs every run of every job at INFO (the bot checks for briefings every few seconds).
    for name in ("httpx", "httpcore", "chromadb", "sentence_transformers", "transformers", "urllib3", "bm25s",
                 "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)


def cmd_ingest(services, args) -> int:
    """Paths and links in the order given; one that fails is reported and the rest go on.
    Consecutive files are indexed together (see `Index.ingest_paths`)."""
    failures = 0
    files: list[Path] = []
    for item in args.paths:
        if "://" in item:
            failures += ingest_files(services, files)
            files = []
            failures += not ingest_link(services, item)
            continue
        path = Path(item)
        if not path.exists():
            print(f"error: {path}: no such file or folder", file=sys.stderr)
            failures += 1
            continue
        files += iter_document_files([path])
    failures += ingest_files(services, files)
    if args.multilingual:
        cmd_multilingual(services, args)
    return 1 if failures else 0


def ingest_files(services, files: list[Path]) -> int:
    """Index files, printing each one's outcome; returns how many failed."""
    if not files:
        return 0
    failures = 0
    with progress_bar(files[0].name if len(files) == 1 else f"{len(files)} files") as progress:
        for _, result in services.index.ingest_paths(files, origin="cli", progress=progress):
            if isinstance(result, DocumentError):
                failures += 1
                print(f"skipped   {result}", file=sys.stderr)
            else:
                print(result.summary())
    return failures


def ingest_link(services, url: str) -> bool:
    """Fetch one link (checked as in fetching.py) and index what it points at."""
    try:
        fetched = asyncio.run(fetch_document(url, services.settings))
        with progress_bar(fetched.url) as progress:
            result = services.index.ingest_bytes(fetched.data, fetched.url, origin="cli", progress=progress)
    except (FetchError, DocumentError) as e:
        print(f"skipped   {e}", file=sys.stderr)
        return False
    print(f"{result.summary()}  {fetched.url}")
    return True


def cmd_sync(services, args) -> int:
    directory = args.documents or services.settings.documents_dir
    with progress_bar(directory.name) as progress:
        results = services.index.sync(directory, report=print_sync_result, progress=progress)
    changed = [r for r in results if isinstance(r, IngestResult) and r.status in ("new", "replaced")]
    print(f"{directory}: {len(changed)} indexed, {len(results) - len(changed)} already up to date or skipped")
    return 0


def print_sync_result(path: Path, result: IngestResult | DocumentError) -> None:
    if isinstance(result, DocumentError):
        print(f"skipped   {result}", file=sys.stderr)
    elif result.status != "unchanged":
        print(result.summary())


def cmd_multilingual(services, args) -> int:
    if services.multilingual is None:
        raise ConfigurationError("MULTILINGUAL_MODEL is empty, so there is no multilingual search to prepare.")
    bars: dict[str, progress_bar] = {}

    def progress(record, done: int, total: int) -> None:
        bar = bars.setdefault(record.key, progress_bar(record.source, threshold=0))
        bar.update(IngestProgress("multilingual", done, total, record.chunks))

    try:
        done = services.multilingual.compute_missing(progress)
    finally:
        for bar in bars.values():
            bar.__exit__()
    for record in done:
        print(f"multilingual {record.doc_id}  {record.title}")
    print(f"Korean/Japanese search: {len(done)} documents prepared, {len(services.multilingual.missing())} left")
    return 0


def cmd_docs(services, args) -> int:
    docs = services.index.documents()
    if args.json:
        for d in docs:
            print(json.dumps({
                "doc_id": d.doc_id, "title": d.title, "publisher": d.publisher, "date": d.date,
                "source": d.source, "source_url": d.source_url, "license": d.license,
                "sections": d.sections, "chunks": d.chunks, "ingested_at": d.ingested_at,
                "origin": d.origin,
            }, ensure_ascii=False))
        return 0
    if not docs:
        print("No documents yet. Add some with: python -m retrieval ingest documents/")
    for d in docs:
        link = f"  {d.source}" if is_web_source(d.source) else ""
        print(f"{d.doc_id}  {d.date or '—':<10}  {d.chunks:>3} chunks  {d.title}{link}")
    return 0


def cmd_remove(services, args) -> int:
    record = services.index.remove(args.doc_id)
    print(f"removed   {record.doc_id}  {record.title}")
    return 0


def cmd_reindex(services, args) -> int:
    results = services.index.reindex(lambda r, i, n: print(f"[{i + 1}/{n}] {r.title}", file=sys.stderr))
    print(f"reindexed {len(results)} documents")
    return 0


def cmd_ask(services, args) -> int:
    if args.question is None:
        if not args.json:
            print("error: give a QUESTION, or use --json to read questions from standard input", file=sys.stderr)
            return 2
        return ask_stream(services, sys.stdin, sys.stdout)
    answer = services.answer(args.question)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print(format_answer(answer))
    return 0


def ask_stream(services, lines, out) -> int:
    """One JSON line out for every line in; a bad line yields an `error` line, never a stop."""
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        try:
            question, history = parse_request(line)
            answer = services.answer(question, history)
            record = answer.to_json()
            if answer.kind == "usage" and not answer.question:
                record["error"] = answer.answer
        except ValueError as e:
            record = {"error": f"line {number}: {e}", "answer": "", "abstained": True, "citations": [], "passages": []}
        except Exception as e:  # one bad question must not end a batch of thousands
            log.exception("line %d failed", number)
            record = {"error": f"line {number}: internal error ({type(e).__name__})", "answer": "",
                      "abstained": True, "citations": [], "passages": []}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def parse_request(line: str) -> tuple[str, list[str]]:
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise ValueError(f"malformed JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            raise ValueError('expected an object with a "question" string')
        history = data.get("history") or []
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise ValueError('"history" must be a list of earlier questions (strings)')
        return data["question"], history
    return line, []


def cmd_chat(services, args) -> int:
    run_chat(services)
    return 0


def run_chat(services, banner: str = "") -> None:
    """Terminal conversation over the same core the bot uses; history enables follow-ups."""
    services.start_background()  # multilingual vectors of documents that lack them
    try:
        _chat(services, banner)
    finally:
        services.stop_background()


def _chat(services, banner: str) -> None:
    docs = services.index.documents()
    print(banner or "")
    print(f"I know {len(docs)} documents: " + "; ".join(d.title for d in docs[:6]))
    print("Ask a question (empty line or Ctrl-D to quit, /reset to forget the conversation).\n")
    history: list[str] = []
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            print()
            return
        if not question:
            return
        if question == "/reset":
            history.clear()
            print("(conversation cleared)\n")
            continue
        answer = services.answer(question, history)
        print(format_answer(answer) + "\n")
        if answer.kind in ("answer", "abstain"):
            history.append(question)


def format_answer(answer: Answer) -> str:
    lines = [*(f"({n})" for n in answer.notices), answer.answer]
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            when = f", {c.date}" if c.date else ""
            section = f" — {c.section}" if c.section else ""
            lines.append(f"  [{c.n}] {c.title} ({c.publisher}{when}){section}")
    return "\n".join(lines)


class progress_bar:
    """A tqdm bar per stage (sentences embedded, then rows written), shown only for documents
    big enough to wait on."""

    UNITS = {"embedding": "sent", "writing": "row", "multilingual": "text"}

    def __init__(self, label: str, threshold: int = 400) -> None:
        self.label, self.threshold, self.bar, self.stage = label, threshold, None, ""

    def __enter__(self):
        return self.update

    def update(self, progress: IngestProgress) -> None:
        if progress.stage != self.stage:
            self.__exit__()
            self.bar, self.stage = None, progress.stage
            if progress.total >= self.threshold:
                from tqdm import tqdm

                desc = f"{self.label[:24]} {progress.stage}"
                self.bar = tqdm(total=progress.total, desc=desc, unit=self.UNITS.get(progress.stage, "it"),
                                file=sys.stderr, leave=False)
        if self.bar is not None:
            self.bar.n = progress.done
            self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


COMMANDS = {
    "ingest": cmd_ingest, "sync": cmd_sync, "docs": cmd_docs, "remove": cmd_remove,
    "reindex": cmd_reindex, "ask": cmd_ask, "chat": cmd_chat, "multilingual": cmd_multilingual,
}

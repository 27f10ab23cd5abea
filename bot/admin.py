"""Admin document management: upload, links (/add), /docs, /remove, /reindex, /stats. Every action audited.

An upload (a file, or a fetched link) is kept in the shared database from the moment it is
received until it is in the index; the process indexing it renews its claim every few seconds.
If that process dies, any other (or the same one, restarted) takes the upload over within
UPLOAD_LEASE_SECONDS and finishes it, editing the admin's status message as the first one would have.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from html import escape
from pathlib import PurePath

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from retrieval.errors import FetchError, RetrievalError
from retrieval.fetching import fetch_document, normalise_link
from retrieval.index import IngestProgress, IngestResult, Prepared, is_doc_id, version_id
from retrieval.loading import SUPPORTED_SUFFIXES, DocumentError, is_web_source
from retrieval.worker import core_settings

from .context import BotContext, bot_context
from .render import render_documents
from .replies import ProgressMessage, send_html
from .state import Upload

log = logging.getLogger(__name__)

DOCS_PER_PAGE = 8
NOT_ADMIN = "Sorry, only the bot's administrators can do that. You can still ask me questions."
TELEGRAM_DOWNLOAD_LIMIT_MB = 20
# A private message that is nothing but a link (any scheme: a wrong one gets an explanation).
LINK_ONLY = r"^\s*<?[A-Za-z][A-Za-z0-9+.-]*://\S+>?\s*$"
UPLOAD_RENEW_SECONDS = 3.0
UPLOAD_LEASE_SECONDS = 15.0
# An upload whose indexing stopped this many times (a file that kills its process?) is given up.
UPLOAD_MAX_ATTEMPTS = 3


def admin_only(handler):
    """Refuse politely, change nothing, and audit the attempt."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        app = bot_context(context)
        user = update.effective_user
        if not app.is_admin(user.id if user else None):
            await app.db(app.state.audit, user.id if user else None, user.username if user else None,
                         handler.__name__, "", "refused: not an admin")
            if update.callback_query:
                await update.callback_query.answer(NOT_ADMIN, show_alert=True)
            else:
                await update.effective_message.reply_text(NOT_ADMIN)
            return
        await handler(update, context)

    return wrapper


async def _audit(app: BotContext, update: Update, action: str, target: str, result: str) -> None:
    user = update.effective_user
    await app.db(app.state.audit, user.id if user else None, user.username if user else None, action, target, result)


@admin_only
async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent by an admin in a private chat: download, index off the event loop, report."""
    app = bot_context(context)
    message = update.effective_message
    document = message.document
    name = PurePath((document.file_name or "upload").replace("\\", "/")).name or "upload"
    suffix = PurePath(name).suffix.lower()
    limit_mb = min(app.settings.max_upload_mb, TELEGRAM_DOWNLOAD_LIMIT_MB)
    if suffix not in SUPPORTED_SUFFIXES:
        await message.reply_text(f"I can't index {name}: I read {', '.join(SUPPORTED_SUFFIXES)} files.")
        await _audit(app, update, "upload", name, "refused: unsupported type")
        return
    if document.file_size and document.file_size > limit_mb * 1024 * 1024:
        await message.reply_text(
            f"{name} is {document.file_size / 1048576:.1f} MB; the limit is {limit_mb:g} MB. "
            "Split it or send the text of the part you need."
        )
        await _audit(app, update, "upload", name, "refused: too large")
        return
    status = ProgressMessage.of(await message.reply_text(f"Downloading {name}…"))
    telegram_file = await document.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > limit_mb * 1024 * 1024:  # the declared size can be missing or wrong
        await status.update(f"{escape(name)} is larger than {limit_mb:g} MB; not indexed.", force=True)
        await _audit(app, update, "upload", name, "refused: too large")
        return
    await index_and_report(app, update, data, name, status)


@admin_only
async def add_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A link from an admin (a message that is only a URL, or /add URL): fetched, then indexed
    and reported exactly like an upload."""
    app = bot_context(context)
    message = update.effective_message
    text = (message.text or "").strip()
    words = text.split()[1:] if text.startswith("/") else text.split()
    if len(words) != 1:
        await message.reply_text("Usage: /add URL — a link to a web page or a PDF, for example "
                                 "/add https://example.org/report.pdf")
        return
    try:
        url = normalise_link(words[0])
    except FetchError as e:
        await message.reply_text(f"Not added: {e}")
        await _audit(app, update, "add", words[0][:300], f"failed: {e}")
        return
    status = ProgressMessage.of(await message.reply_text(f"Fetching {url}…", disable_web_page_preview=True))
    try:
        fetched = await fetch_document(url, app.settings)
    except FetchError as e:
        await status.update(f"Not added: {escape(str(e))}", force=True)
        await _audit(app, update, "add", url, f"failed: {e}")
        return
    await index_and_report(app, update, fetched.data, fetched.url, status)


async def index_and_report(app: BotContext, update: Update, data: bytes, name: str, status: ProgressMessage) -> None:
    """Index a file or a fetched link (its name is then its URL) off the event loop, show the
    outcome, audit it. Recorded before "Indexing…" is shown, so that once the admin reads it the
    upload is finished even if this process dies (another process takes it over)."""
    message = update.effective_message
    user = update.effective_user
    upload_id = await app.db(app.state.begin_upload, message.chat_id, user.id, user.username, status.message_id,
                             name, data)
    await status.update(f"Indexing {escape(name)}…", force=True)
    await index_upload(app, status, Upload(upload_id, message.chat_id, user.id, user.username, status.message_id,
                                           name, data))


async def index_upload(app: BotContext, status: ProgressMessage, upload: Upload) -> None:
    """Index an upload and report on its status message: the one path for fresh and resumed ones."""
    name, data = upload.filename, upload.data
    index = app.services.index
    origin = "link" if is_web_source(name) else "upload"
    async with app.indexing, _renewing(app, upload.id):
        try:
            doc_id = await _web_version_id(app, data, name) if is_web_source(name) else None
            result = await asyncio.to_thread(index.existing_version, data, name, False, doc_id)
            if result is None:
                prepared = await _prepare(app, data, name, status)
                latest = _Latest()  # reported from the writing thread
                writing = asyncio.ensure_future(asyncio.to_thread(
                    index.ingest_bytes, data, name, origin=origin, prepared=prepared, progress=latest.set))
                result = await _with_progress(writing, status, name, latest.get)
        except (DocumentError, RetrievalError) as e:
            await _finish_upload(app, status, upload, f"Not indexed: {escape(str(e))}", f"failed: {e}")
            return
    text = render_ingest(result)
    if app.services.multilingual is not None and result.status in ("new", "replaced"):
        text += "\nKorean and Japanese questions will find it once it is prepared for them, in the background."
    await _finish_upload(app, status, upload, text, f"{result.status} {result.record.doc_id}")


async def _finish_upload(app: BotContext, status: ProgressMessage, upload: Upload, html: str, outcome: str) -> None:
    action = "add" if is_web_source(upload.filename) else "upload"
    await app.db(app.state.audit, upload.user_id, upload.username, action, upload.filename, outcome)
    await app.db(app.state.finish_upload, upload.id)  # done, whether or not the admin can be told
    try:
        await status.update(html, force=True)
    except TelegramError as e:
        log.warning("could not report on the upload of %s (%s)", upload.filename, e)


@contextlib.asynccontextmanager
async def _renewing(app: BotContext, upload_id: str | None):
    """Keep renewing this process's claim on an upload while it is being indexed."""
    async def renew() -> None:
        while True:
            await asyncio.sleep(UPLOAD_RENEW_SECONDS)
            await app.db(app.state.renew_upload, upload_id)

    task = asyncio.create_task(renew()) if upload_id else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def start_resuming_uploads(application) -> None:
    application.job_queue.run_repeating(resume_uploads, interval=UPLOAD_LEASE_SECONDS / 3, first=2.0,
                                        name="abandoned uploads")


async def resume_uploads(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Finish uploads whose process stopped while indexing them (killed, crashed, restarted)."""
    app = bot_context(context)
    for upload in await app.db(app.state.claim_abandoned_uploads, UPLOAD_LEASE_SECONDS):
        status = ProgressMessage(context.bot, upload.chat_id, upload.status_message_id)
        if upload.attempts > UPLOAD_MAX_ATTEMPTS:
            log.error("giving up on upload %s of %s: its indexing stopped %d times", upload.id, upload.filename,
                      upload.attempts - 1)
            await _finish_upload(app, status, upload, f"Not indexed: indexing {escape(upload.filename)} was "
                                 f"interrupted {upload.attempts - 1} times. Send it again, or a smaller or "
                                 "simpler version of it.", "failed: interrupted repeatedly")
            continue
        log.warning("resuming upload %s of %s: the process indexing it stopped", upload.id, upload.filename)
        with contextlib.suppress(TelegramError):  # the status message may be gone; the upload is indexed anyway
            await status.update(f"Indexing {escape(upload.filename)}… (resumed after an interruption)", force=True)
        context.application.create_task(index_upload(app, status, upload), name=f"upload {upload.id}")


async def _prepare(app: BotContext, data: bytes, name: str, status: ProgressMessage) -> Prepared | None:
    """Parse and embed in the worker process, so the bot keeps answering meanwhile. If the worker
    cannot start or dies (no memory, a full /dev/shm), None: the index prepares it in a thread."""
    try:
        worker = app.ingest_worker()
        preparing = asyncio.wrap_future(worker.submit(data, name, core_settings(app.settings)))
        return await _with_progress(preparing, status, name, worker.latest)
    except (OSError, BrokenProcessPool) as e:
        log.warning("upload worker unavailable (%s); indexing %s in the bot's process", e, name)
        app.reset_ingest_worker()
        return None


async def _web_version_id(app: BotContext, data: bytes, url: str) -> str:
    """A fetched page is known by its extracted text; extracting a large page is CPU-bound
    Python, so it runs in the worker process too (in a thread if the worker is unavailable)."""
    try:
        return await asyncio.wrap_future(app.ingest_worker().call(version_id, data, url))
    except (OSError, BrokenProcessPool) as e:
        log.warning("upload worker unavailable (%s); reading %s in the bot's process", e, url)
        app.reset_ingest_worker()
        return await asyncio.to_thread(version_id, data, url)


class _Latest:
    """The last progress report from another thread."""

    def __init__(self) -> None:
        self.value: IngestProgress | None = None

    def set(self, progress: IngestProgress) -> None:
        self.value = progress

    def get(self) -> IngestProgress | None:
        return self.value


async def _with_progress(task: asyncio.Future, status: ProgressMessage, name: str,
                         latest: Callable[[], IngestProgress | None]):
    """Show the latest progress in the status message while `task` runs (ProgressMessage
    bounds the rate of edits, well within Telegram's limits)."""
    started = time.monotonic()
    while True:
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout=1.0)
        except asyncio.TimeoutError:
            await status.update(render_progress(name, latest(), time.monotonic() - started))


def render_progress(name: str, progress: IngestProgress | None, elapsed: float) -> str:
    if progress is None:  # still reading and cutting the file
        return f"Indexing {escape(name)}… {elapsed:.0f} s"
    if progress.stage == "writing":
        return f"Indexing {escape(name)}… saving {progress.passages:,} passages: {progress.percent}%"
    return f"Indexing {escape(name)}… {progress.percent}% · {progress.passages:,} passages"


def render_ingest(result: IngestResult) -> str:
    r = result.record
    verdict = {
        "new": "Added", "replaced": "Replaced the earlier version of", "unchanged": "Already indexed, unchanged:",
        "duplicate": "Already indexed (same content) as", "skipped-removed": "Previously removed:",
    }.get(result.status, result.status)
    sections = ", ".join(r.sections[:8]) + ("…" if len(r.sections) > 8 else "")
    lines = [
        f"<b>{escape(verdict)}</b> <i>{escape(r.title)}</i>",
        f"id <code>{escape(r.doc_id)}</code> · {escape(r.date or 'undated')} · {r.chunks} chunks",
    ]
    if r.publisher:
        lines.append(escape(r.publisher))
    if sections:
        lines.append(f"Sections: {escape(sections)}")
    if result.status == "duplicate":
        lines.append(f"(stored as {escape(r.source)})")
    elif is_web_source(r.source):
        lines.append(escape(r.source))
    return "\n".join(lines)


@admin_only
async def list_documents(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/docs: documents with paging buttons."""
    app = bot_context(context)
    records = await asyncio.to_thread(app.services.index.documents)
    await send_html(context.bot, update.effective_chat.id, render_documents(records, 0, DOCS_PER_PAGE),
                    markup=_pager(0, len(records)))


@admin_only
async def documents_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    try:
        page = int(query.data.split(":")[1])
    except (IndexError, ValueError):
        await query.answer("Unknown page.")
        return
    records = await asyncio.to_thread(bot_context(context).services.index.documents)
    page = min(max(page, 0), _page_count(len(records)) - 1)  # stale or forged pages
    await query.answer()
    try:
        await query.edit_message_text(render_documents(records, page, DOCS_PER_PAGE), parse_mode=ParseMode.HTML,
                                      reply_markup=_pager(page, len(records)))
    except BadRequest as e:
        if "not modified" not in str(e).lower():  # that page is already shown
            raise


def _page_count(total: int) -> int:
    return max(1, -(-total // DOCS_PER_PAGE))


def _pager(page: int, total: int) -> InlineKeyboardMarkup | None:
    pages = _page_count(total)
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("◀ Previous", callback_data=f"docs:{page - 1}"))
    if page < pages - 1:
        buttons.append(InlineKeyboardButton("Next ▶", callback_data=f"docs:{page + 1}"))
    return InlineKeyboardMarkup([buttons]) if buttons else None


@admin_only
async def remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove ID: asks for confirmation with a button."""
    app = bot_context(context)
    args = context.args or []
    if len(args) != 1:
        await update.effective_message.reply_text("Usage: /remove DOC_ID — see /docs for the ids.")
        return
    try:
        record = await asyncio.to_thread(app.services.index.find, args[0])
    except RetrievalError as e:
        await update.effective_message.reply_text(str(e).replace("`docs`", "/docs"))
        return
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton("Remove", callback_data=f"rm:{record.doc_id}"),
        InlineKeyboardButton("Cancel", callback_data="rm:-"),
    ]])
    await send_html(context.bot, update.effective_chat.id,
                    f"Remove <i>{escape(record.title)}</i> (<code>{record.doc_id}</code>)? "
                    "It will never be cited again.", markup=markup)


@admin_only
async def remove_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    app = bot_context(context)
    query = update.callback_query
    doc_id = (query.data or "").partition(":")[2]
    await query.answer()
    if doc_id in ("", "-"):
        await query.edit_message_text("Nothing removed.")
        return
    if not is_doc_id(doc_id):  # a button always carries a full id, never a prefix
        await query.edit_message_text("Nothing removed: that button is not valid. Use /docs and /remove ID.")
        await _audit(app, update, "remove", doc_id[:40], "refused: malformed button data")
        return
    try:
        async with app.indexing:
            record = await asyncio.to_thread(app.services.index.remove, doc_id)
    except RetrievalError as e:
        await query.edit_message_text(f"Nothing removed: {e}".replace("`docs`", "/docs"))
        await _audit(app, update, "remove", doc_id, f"failed: {e}")
        return
    await query.edit_message_text(f"Removed {record.title} ({record.doc_id}).")
    await _audit(app, update, "remove", doc_id, "removed")


@admin_only
async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex: rebuild every document from its stored file; answering continues meanwhile."""
    app = bot_context(context)
    status = ProgressMessage.of(await update.effective_message.reply_text("Reindexing…"))
    loop = asyncio.get_running_loop()

    def progress(record, i: int, n: int) -> None:
        asyncio.run_coroutine_threadsafe(status.update(f"Reindexing {i + 1}/{n}: {escape(record.title)}"), loop)

    async with app.indexing:
        try:
            results = await asyncio.to_thread(app.services.index.reindex, progress)
        except (RetrievalError, DocumentError, OSError) as e:
            await status.update(f"Reindex stopped: {escape(str(e))}. Documents not yet rebuilt keep their old index.",
                                 force=True)
            await _audit(app, update, "reindex", "all", f"failed: {e}")
            return
    chunks = sum(r.record.chunks for r in results)
    await status.update(f"Reindexed {len(results)} documents ({chunks} chunks).", force=True)
    await _audit(app, update, "reindex", "all", f"{len(results)} documents")


@admin_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: usage and index size."""
    app = bot_context(context)
    s = await app.db(app.state.stats)
    docs = await asyncio.to_thread(app.services.index.documents)
    text = (
        "<b>Usage</b>\n"
        f"Questions answered: {s['questions']}\n"
        f"Abstentions: {s['abstained']} ({100 * s['abstention_rate']:.0f}%)\n"
        f"Feedback: 👍 {s['up']} · 👎 {s['down']}\n\n"
        "<b>Index</b>\n"
        f"Documents: {len(docs)}\nChunks: {sum(d.chunks for d in docs)}"
    )
    await send_html(context.bot, update.effective_chat.id, text)

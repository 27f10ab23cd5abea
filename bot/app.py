"""The Telegram application: one builder, handlers grouped by who uses them, one error handler."""

from __future__ import annotations

import asyncio
import html
import logging
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, BotCommandScopeChat, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from retrieval.errors import ConfigurationError
from retrieval.service import Services

from . import admin, asking, briefings, inline
from .context import BotContext, InlineCache, bot_context, install
from .delivery import DeliveringRateLimiter
from .settings import BotSettings
from .state import BotState

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = [
    ("ask", "Ask a question about the documents"),
    ("brief", "A short cited briefing [topic]"),
    ("reset", "Forget our conversation"),
    ("help", "What I know and how to ask"),
]
GROUP_COMMANDS = [
    ("ask", "Ask a question about the documents"),
    ("brief", "A short cited briefing [topic]"),
    ("subscribe", "Daily briefing: HH:MM [topic] (group admins)"),
    ("unsubscribe", "Stop the daily briefings (group admins)"),
    ("subscriptions", "List this group's briefings"),
    ("help", "What I know and how to ask"),
]
ADMIN_COMMANDS = PRIVATE_COMMANDS + [
    ("add", "Add a document by link: URL"),
    ("docs", "List documents"),
    ("remove", "Remove a document: ID"),
    ("reindex", "Rebuild the index from stored files"),
    ("stats", "Usage and index statistics"),
]
KNOWN_COMMANDS = {c for c, _ in PRIVATE_COMMANDS + GROUP_COMMANDS + ADMIN_COMMANDS} | {"start"}
ALLOWED_UPDATES = ["message", "callback_query", "inline_query"]
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."


def webhook_options(settings: BotSettings) -> dict:
    """Arguments for PTB's `run_webhook` / `Updater.start_webhook`: where to listen, the URL to
    register with Telegram, and the secret Telegram must send back (PTB rejects other requests)."""
    secret = settings.webhook_secret.get_secret_value()
    if not secret:
        raise ConfigurationError(
            "WEBHOOK_URL is set but WEBHOOK_SECRET is not: choose one (1–256 characters of A-Z a-z 0-9 _ -) "
            "and give every bot process behind the load balancer the same one."
        )
    return {
        "listen": settings.webhook_listen, "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"), "webhook_url": settings.webhook_url,
        "secret_token": secret, "allowed_updates": ALLOWED_UPDATES, "drop_pending_updates": False,
    }


def build_app(settings: BotSettings, services: Services, state: BotState | None = None) -> Application:
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .rate_limiter(DeliveringRateLimiter(max_retries=3, network_retry_seconds=settings.telegram_retry_seconds))
        .concurrent_updates(64)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .get_updates_read_timeout(settings.poll_timeout + 5)
    )
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
    if settings.telegram_file_base_url:
        builder = builder.base_file_url(settings.telegram_file_base_url)
    application = builder.build()
    # Small index writes: the embedded Chroma holds the GIL for a whole write, and this event
    # loop waits behind it (16 sentence rows ≈ 12 ms, 64 ≈ 50 ms; measured by `make bench`).
    services.store.write_batch = min(services.store.write_batch, 16)
    install(application, BotContext(
        settings=settings,
        services=services,
        state=state or BotState(services.database, legacy_dir=settings.data_dir),
        inline_cache=InlineCache(settings.inline_cache_seconds),
    ))
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handlers([
        CommandHandler(["start", "help"], asking.start),
        CommandHandler("ask", asking.ask_command),
        CommandHandler("reset", asking.reset),
        CommandHandler("brief", briefings.brief),
        CommandHandler("subscribe", briefings.subscribe),
        CommandHandler("unsubscribe", briefings.unsubscribe),
        CommandHandler("subscriptions", briefings.subscriptions),
        CommandHandler("add", admin.add_link),
        CommandHandler("docs", admin.list_documents),
        CommandHandler("remove", admin.remove),
        CommandHandler("reindex", admin.reindex),
        CommandHandler("stats", admin.stats),
        MessageHandler(filters.Document.ALL & private, admin.upload),
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.TEXT & private & filters.Regex(admin.LINK_ONLY), admin.add_link),
        MessageHandler(filters.TEXT & private, asking.private_text),
        MessageHandler(filters.TEXT & groups, asking.group_message),
        CallbackQueryHandler(asking.show_quotes, pattern=r"^q:"),
        CallbackQueryHandler(asking.feedback, pattern=r"^fb:"),
        CallbackQueryHandler(admin.documents_page, pattern=r"^docs:"),
        CallbackQueryHandler(admin.remove_confirmed, pattern=r"^rm:"),
        CallbackQueryHandler(stale_button),
        InlineQueryHandler(inline.inline_query),
    ])
    application.add_error_handler(on_error)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Commands we don't know; in groups only when addressed to this bot."""
    message = update.effective_message
    command = (message.text or "").split()[0][1:]
    name, _, target = command.partition("@")
    if target and target.lower() != context.bot.username.lower():
        return  # addressed to another bot
    if update.effective_chat.type != ChatType.PRIVATE and not target:
        return  # a bare /command in a group may be meant for another bot
    await message.reply_text(f"I don't know /{name[:32]}. Send /help to see what I can do.")


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer("That button has expired.")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log first (with the traceback), then tell the user something went wrong, without internals."""
    error = context.error
    if isinstance(error, (NetworkError, TimedOut, RetryAfter)) and not isinstance(error, BadRequest):
        log.warning("Telegram unavailable: %s", error)  # PTB retries polling by itself
        return
    log.error("error while handling an update", exc_info=error)
    if isinstance(error, Forbidden):
        return
    if isinstance(update, Update) and update.effective_chat:
        try:
            if update.callback_query:
                await update.callback_query.answer(SORRY)
            else:
                await context.bot.send_message(update.effective_chat.id, html.escape(SORRY))
        except Exception:  # the error handler must never raise
            log.warning("could not tell the user about the error", exc_info=True)


async def _post_init(application: Application) -> None:
    app = bot_context(application)
    bot = application.bot

    def commands(pairs):
        return [BotCommand(c, d) for c, d in pairs]

    await bot.set_my_commands(commands(PRIVATE_COMMANDS), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(commands(GROUP_COMMANDS), scope=BotCommandScopeAllGroupChats())
    for admin_id in app.settings.admin_user_ids:
        try:
            await bot.set_my_commands(commands(ADMIN_COMMANDS), scope=BotCommandScopeChat(admin_id))
        except BadRequest:  # the admin has not opened a chat with the bot yet
            log.info("admin %s has no private chat with the bot yet", admin_id)
    if not bot.supports_inline_queries:
        log.info("inline mode is off; to let people type @%s in any chat, send /setinline to @BotFather",
                 bot.username)
    briefings.start_checks(application)
    admin.start_resuming_uploads(application)
    # Multilingual vectors of documents that lack them, in a background thread (also after
    # every upload), so Korean and Japanese questions soon see every document.
    app.services.start_background()
    documents = await asyncio.to_thread(app.services.index.documents)
    log.info("bot @%s ready: %d documents", bot.username, len(documents))


async def _post_shutdown(application: Application) -> None:
    # Waiting for the upload worker and the background thread to end takes a moment; not on the event loop.
    app = bot_context(application)
    await asyncio.to_thread(app.services.stop_background)
    await asyncio.to_thread(app.close)

"""Inline mode: `@bot question` typed in any chat offers the cited answer as a result to post
there, so a sourced answer can be dropped into a conversation the bot is not part of."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from html import escape

from telegram import InlineQuery, InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from retrieval.answer import Answer

from .context import bot_context
from .render import inline_preview, inline_title, render_inline_answer

log = logging.getLogger(__name__)

SLOW_DOWN = "Too many questions — try again in a minute"


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A hint for short queries; otherwise the answer (from the cache when just asked)."""
    app = bot_context(context)
    query = update.inline_query
    settings = app.settings
    text = " ".join(query.query.split())
    if len(text) < settings.inline_min_query_chars:
        documents = await asyncio.to_thread(app.services.index.documents)
        await _reply(query, [hint_result(context.bot.username, len(documents), settings.inline_min_query_chars)],
                     cache_time=settings.inline_cache_seconds, is_personal=False)
        return
    key = text.casefold()
    results = app.inline_cache.get(key)
    if results is None:
        if not await app.latest_inline.settled(query.from_user.id, query.id, settings.inline_debounce_seconds):
            return  # the person typed on; their newer query is the one to answer
        # One budget with their chat questions (kept in the shared state, like theirs).
        if not await app.db(app.state.allow_question, query.from_user.id, settings.user_rate_limit_per_minute):
            await _reply(query, [], cache_time=0, is_personal=True,
                         button=InlineQueryResultsButton(SLOW_DOWN, start_parameter="help"))
            return
        async with app.answer_slots:
            answer = await asyncio.to_thread(app.services.answer, text, [])
        results = [answer_result(key, answer.question or text, answer)]
        app.inline_cache.put(key, results)
    await _reply(query, results, cache_time=settings.inline_cache_seconds, is_personal=False)


async def _reply(query: InlineQuery, results: list, **options) -> None:
    try:
        await query.answer(results, **options)
    except BadRequest as e:
        if "query is too old" not in str(e).lower():
            raise
        # Telegram waits only seconds for an inline answer; a slow one is simply not shown.
        log.info("inline query expired before its answer was ready")


def answer_result(key: str, question: str, answer: Answer) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id="a" + hashlib.sha256(key.encode()).hexdigest()[:40],  # Telegram allows 64 bytes
        title=inline_title(answer),
        description=inline_preview(answer) or None,
        input_message_content=InputTextMessageContent(render_inline_answer(question, answer),
                                                      parse_mode=ParseMode.HTML, disable_web_page_preview=True),
    )


def hint_result(username: str, documents: int, min_chars: int) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id="hint",
        title="Ask a question about the documents",
        description=f"Type a question of {min_chars}+ characters after @{username}: I answer from "
                    f"{documents} documents and cite my sources.",
        input_message_content=InputTextMessageContent(
            f"Ask <b>@{escape(username)}</b>: type @{escape(username)} and a question in any chat "
            "to share an answer that cites its sources.", parse_mode=ParseMode.HTML),
    )

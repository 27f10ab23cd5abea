"""Asking: private messages, /ask, mentions and replies in groups, buttons on answers."""

from __future__ import annotations

import asyncio
import logging
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from retrieval.answer import Citation
from retrieval.hygiene import redact_secrets

from .context import bot_context
from .render import render_answer, render_quotes
from .replies import StreamingReply, send_html, typing

log = logging.getLogger(__name__)

_ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SLOW_DOWN = "You're asking faster than I can read. Please wait a minute and try again."


def answer_keyboard(answer_id: str, has_citations: bool) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton("Show quotes", callback_data=f"q:{answer_id}")] if has_citations else []
    row += [
        InlineKeyboardButton("👍", callback_data=f"fb:{answer_id}:1"),
        InlineKeyboardButton("👎", callback_data=f"fb:{answer_id}:-1"),
    ]
    return InlineKeyboardMarkup([row])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot knows and how to ask."""
    app = bot_context(context)
    docs = await asyncio.to_thread(app.services.index.documents)
    username = context.bot.username
    titles = "\n".join(f"• {escape(d.title)} ({escape(d.date or 'undated')})" for d in docs[:10])
    more = f"\n…and {len(docs) - 10} more." if len(docs) > 10 else ""
    inline = (f"<b>In any chat</b>\nType @{escape(username)} and a question to share a cited answer there.\n\n"
              if context.bot.supports_inline_queries else "")
    text = (
        f"I answer questions about {len(docs)} policy documents, quoting the passages I rely on.\n\n"
        f"{titles}{more}\n\n"
        "<b>Asking</b>\nSend me a question here. In a group, use /ask <i>question</i>, "
        f"mention @{escape(username)} or reply to one of my messages.\n"
        "Follow-up questions work; /reset forgets the conversation.\n\n"
        f"{inline}"
        "<b>Commands</b>\n/ask <i>question</i> — ask\n/brief [topic] — a short cited briefing\n"
        "/subscribe HH:MM [topic] — a daily briefing in this chat (group admins)\n"
        "/unsubscribe, /subscriptions — manage them\n/reset — forget this conversation\n/help — this message"
    )
    if app.is_admin(update.effective_user.id if update.effective_user else None):
        text += (
            "\n\n<b>Admin</b>\nSend a file (.txt .md .html .pdf .docx) to add or replace a document, "
            "or a link to a web page or PDF (or /add URL).\n"
            "/docs — list · /remove ID — remove · /reindex — rebuild · /stats — usage"
        )
    await send_html(context.bot, update.effective_chat.id, text)


async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reset: forget this user's conversation in this chat."""
    app = bot_context(context)
    await app.db(app.state.forget_history, update.effective_chat.id, update.effective_user.id)
    await update.effective_message.reply_text("Done — I've forgotten our conversation here.")


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question (except an answer posted through inline mode)."""
    if _sent_via_me(update, context):
        return
    await answer_question(update, context, update.effective_message.text or "")


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask question (also /ask@BotName in groups)."""
    message = update.effective_message
    question = _after_command(message.text or "")
    if not question.strip() and message.reply_to_message and message.reply_to_message.text:
        question = message.reply_to_message.text  # "/ask" as a reply to someone's question
    if not question.strip():
        await message.reply_text("Usage: /ask your question — for example: /ask What does the latest report recommend?")
        return
    await answer_question(update, context, question)


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer only when addressed: a mention of the bot or a reply to it."""
    message = update.effective_message
    if _sent_via_me(update, context):
        return
    text = message.text or ""
    me = context.bot.username.lower()
    mentioned = any(
        e.type == MessageEntity.MENTION and text[e.offset + 1 : e.offset + e.length].lower() == me
        for e in message.entities or ()
    ) or any(
        e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == context.bot.id
        for e in message.entities or ()
    )
    replied = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == context.bot.id
    if not (mentioned or replied):
        return
    question = _strip_mention(text, context.bot.username)
    extra_history: list[str] = []
    if replied:
        app = bot_context(context)
        earlier = await app.db(app.state.question_for_message, message.chat_id, message.reply_to_message.message_id)
        if earlier:
            extra_history.append(earlier)
    await answer_question(update, context, question, extra_history)


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str,
                          extra_history: list[str] | None = None) -> None:
    app = bot_context(context)
    chat_id = update.effective_chat.id
    user = update.effective_user
    user_id = user.id if user else chat_id
    message = update.effective_message
    turns = app.settings.history_turns
    if not await app.db(app.state.allow_question, user_id, app.settings.user_rate_limit_per_minute):
        await message.reply_text(SLOW_DOWN)
        return
    history = await app.db(app.state.history, chat_id, user_id, turns) + (extra_history or [])
    reply_to = message.message_id if update.effective_chat.type != ChatType.PRIVATE else None
    stream = StreamingReply(context.bot, chat_id, reply_to, app.settings.stream_edit_interval_seconds)
    on_text = stream.on_text if app.services.generator is not None and app.settings.llm_streaming else None
    async with typing(context.bot, chat_id), app.answer_slots, stream:
        answer = await asyncio.to_thread(app.services.answer, question, history, on_text)
    if answer.kind in ("answer", "abstain"):
        await app.db(app.state.remember_question, chat_id, user_id, answer.question, turns)
    answer_id = await app.db(
        app.state.record_answer, chat_id, user_id, redact_secrets(answer.question), answer.answer, answer.abstained,
        [_citation_json(c) for c in answer.citations],
    )
    markup = answer_keyboard(answer_id, bool(answer.citations)) if answer.kind != "usage" else None
    sent = await stream.finish(render_answer(answer), markup)
    await app.db(app.state.attach_message, answer_id, chat_id, sent.message_id)


async def show_quotes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Show quotes": each cited passage's verbatim quote, as a reply to the answer."""
    query = update.callback_query
    stored = await _stored_answer(context, query)
    if stored is None:
        await query.answer("That answer is no longer available.", show_alert=False)
        return
    await query.answer()
    citations = [Citation(**c) for c in stored["citations"]]
    await send_html(context.bot, query.message.chat.id, render_quotes(citations), reply_to=query.message.message_id)


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍 / 👎: one vote per user per answer; pressing again changes it."""
    query = update.callback_query
    app = bot_context(context)
    parts = (query.data or "").split(":")
    stored = await _stored_answer(context, query) if len(parts) == 3 and parts[2] in ("1", "-1") else None
    if stored is None:
        await query.answer("That answer is no longer available.")
        return
    vote = int(parts[2])
    await app.db(app.state.vote, stored["id"], query.from_user.id, vote)
    await query.answer("Thanks — noted 👍" if vote > 0 else "Thanks — noted. I'll use it to improve.")


async def _stored_answer(context, query) -> dict | None:
    """The answer a button belongs to, if it was shown in the chat where the button was pressed."""
    parts = (query.data or "").split(":")
    if len(parts) < 2 or not _ANSWER_ID.fullmatch(parts[1]) or query.message is None:
        return None
    app = bot_context(context)
    return await app.db(app.state.answer, parts[1], query.message.chat.id)


def _citation_json(c: Citation) -> dict:
    return {k: getattr(c, k) for k in Citation.__dataclass_fields__}


def _sent_via_me(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A message someone posted from this bot's inline results is an answer, not a question."""
    via = update.effective_message.via_bot
    return via is not None and via.id == context.bot.id


def _after_command(text: str) -> str:
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _strip_mention(text: str, username: str) -> str:
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.I).strip()


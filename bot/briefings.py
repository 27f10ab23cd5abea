"""Briefings: /brief on demand, and daily ones that group admins schedule with /subscribe."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import time as dtime
from html import escape
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, ContextTypes

from .context import bot_context
from .render import render_briefing
from .replies import send_html, typing
from .state import Subscription

log = logging.getLogger(__name__)

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
USAGE = "Usage: /subscribe HH:MM [topic] — for example /subscribe 08:30 hydrogen (24-hour clock, {tz})."


async def brief(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/brief [topic]: 3–6 cited points across the documents."""
    app = bot_context(context)
    topic = " ".join(context.args or []).strip() or None
    async with typing(context.bot, update.effective_chat.id), app.answer_slots:
        briefing = await asyncio.to_thread(app.services.assistant.brief, topic)
    await send_html(context.bot, update.effective_chat.id, render_briefing(briefing))


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe HH:MM [topic]: a daily briefing in this chat."""
    app = bot_context(context)
    args = context.args or []
    if not args or not _TIME.match(args[0]):
        await update.effective_message.reply_text(USAGE.format(tz=app.settings.timezone))
        return
    if not await may_manage(update, context):
        return
    hours, minutes = (int(x) for x in args[0].split(":"))
    sub = Subscription(update.effective_chat.id, f"{hours:02d}:{minutes:02d}", " ".join(args[1:]).strip(),
                       update.effective_user.id)
    saved = app.state.subscribe(sub)
    schedule(context.application, sub)
    app.state.audit(update.effective_user.id, update.effective_user.username, "subscribe",
                    str(sub.chat_id), f"{sub.time} {sub.topic}".strip())
    about = f" on <i>{escape(sub.topic)}</i>" if sub.topic else ""
    await send_html(context.bot, update.effective_chat.id,
                    f"Daily briefing{about} at {sub.time} ({escape(app.settings.timezone)}). "
                    "I'll only post when the documents have something to say. /unsubscribe stops it."
                    + ("" if saved else "\n\n⚠️ It could not be saved to disk, so it will stop if I restart. "
                       "My administrator has been told."))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe: stop this chat's scheduled briefings."""
    app = bot_context(context)
    if not await may_manage(update, context):
        return
    gone = app.state.unsubscribe(update.effective_chat.id)
    for sub in gone:
        for job in context.job_queue.get_jobs_by_name(sub.name):
            job.schedule_removal()
    app.state.audit(update.effective_user.id, update.effective_user.username, "unsubscribe",
                    str(update.effective_chat.id), f"{len(gone)} removed")
    await update.effective_message.reply_text(
        f"Stopped {len(gone)} scheduled briefing(s)." if gone else "This chat has no scheduled briefings."
    )


async def subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscriptions: this chat's scheduled briefings."""
    app = bot_context(context)
    subs = app.state.subscriptions(update.effective_chat.id)
    if not subs:
        await update.effective_message.reply_text("No scheduled briefings here. Add one with /subscribe HH:MM [topic].")
        return
    lines = [f"• {s.time} {escape(app.settings.timezone)} — {escape(s.topic or 'main themes')}" for s in subs]
    await send_html(context.bot, update.effective_chat.id, "<b>Scheduled briefings</b>\n" + "\n".join(lines))


async def may_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Group subscriptions belong to the group's administrators (and the bot's admins)."""
    app = bot_context(context)
    user = update.effective_user
    chat = update.effective_chat
    if app.is_admin(user.id) or chat.type == ChatType.PRIVATE:
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
        allowed = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
    except BadRequest:
        allowed = False
    if not allowed:
        app.state.audit(user.id, user.username, "subscription change", str(chat.id), "refused: not a group admin")
        await update.effective_message.reply_text("Only this group's administrators can change its briefings.")
    return allowed


def schedule(application: Application, sub: Subscription) -> None:
    tz = ZoneInfo(bot_context(application).settings.timezone)
    for job in application.job_queue.get_jobs_by_name(sub.name):
        job.schedule_removal()
    hours, minutes = (int(x) for x in sub.time.split(":"))
    application.job_queue.run_daily(
        post_briefing, time=dtime(hours, minutes, tzinfo=tz), chat_id=sub.chat_id, name=sub.name, data=sub
    )


def schedule_all(application: Application) -> None:
    for sub in bot_context(application).state.subscriptions():
        schedule(application, sub)


async def post_briefing(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The scheduled job: post only when there is something to say; mark what is new."""
    app = bot_context(context)
    sub: Subscription = context.job.data
    current = next((s for s in app.state.subscriptions(sub.chat_id)
                    if (s.time, s.topic) == (sub.time, sub.topic)), None)
    if current is None:  # unsubscribed in the meantime
        context.job.schedule_removal()
        return
    async with app.answer_slots:
        briefing = await asyncio.to_thread(app.services.assistant.brief, current.topic or None)
    if not briefing.points:
        log.info("briefing for chat %s skipped: nothing to say", sub.chat_id)
        return
    previous = set(current.last_points)
    for point in briefing.points:
        point.new = bool(previous) and point.text not in previous
    try:
        await send_html(context.bot, sub.chat_id, render_briefing(briefing))
    except Forbidden:
        # The bot was removed from the group: nobody is left to read these.
        log.warning("chat %s is gone; dropping its briefings", sub.chat_id)
        app.state.unsubscribe(sub.chat_id)
        context.job.schedule_removal()
        return
    app.state.remember_briefing(current, [p.text for p in briefing.points])


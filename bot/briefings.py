"""Briefings: /brief on demand, and daily ones that group admins schedule with /subscribe.

Subscriptions live in the shared database, and so does the schedule: every bot process
checks every BRIEFING_CHECK_SECONDS which daily slots have come, and claims a slot in the
database before posting it, so each is posted exactly once however many processes run, and
a /subscribe or /unsubscribe handled by any of them is seen by all at their next check.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
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
USAGE = "Usage: /subscribe HH:MM [topic] — for example /subscribe 08:30 budget (24-hour clock, {tz})."
MAX_TOPIC_CHARS = 200
# A slot missed while no process was running is still posted this long after its time.
GRACE = timedelta(hours=1)
# A process that claimed a slot and has not posted it this long after is taken to have died.
CLAIM_LEASE_SECONDS = 600


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
    sub = Subscription(update.effective_chat.id, f"{hours:02d}:{minutes:02d}",
                       " ".join(args[1:]).strip()[:MAX_TOPIC_CHARS], update.effective_user.id)
    saved = await app.db(app.state.subscribe, sub)
    await app.db(app.state.audit, update.effective_user.id, update.effective_user.username, "subscribe",
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
    gone = await app.db(app.state.unsubscribe, update.effective_chat.id)
    await app.db(app.state.audit, update.effective_user.id, update.effective_user.username, "unsubscribe",
                 str(update.effective_chat.id), f"{len(gone)} removed")
    await update.effective_message.reply_text(
        f"Stopped {len(gone)} scheduled briefing(s)." if gone else "This chat has no scheduled briefings."
    )


async def subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscriptions: this chat's scheduled briefings."""
    app = bot_context(context)
    subs = await app.db(app.state.subscriptions, update.effective_chat.id)
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
        await app.db(app.state.audit, user.id, user.username, "subscription change", str(chat.id),
                     "refused: not a group admin")
        await update.effective_message.reply_text("Only this group's administrators can change its briefings.")
    return allowed


def start_checks(application: Application) -> None:
    """Check for due briefings every BRIEFING_CHECK_SECONDS (and once right after start-up,
    which also posts a slot that came while no process was running)."""
    application.job_queue.run_repeating(check_briefings, interval=bot_context(application).settings.briefing_check_seconds,
                                        first=1.0, name="briefings")


async def check_briefings(context: ContextTypes.DEFAULT_TYPE) -> None:
    await post_due(context.application)


async def post_due(application: Application, now: datetime | None = None) -> list[asyncio.Task]:
    """Claim every slot that has come and that no process has posted, and post those claimed
    here (in the background: a briefing takes a while). `now` defaults to the clock."""
    app = bot_context(application)
    tz = ZoneInfo(app.settings.timezone)
    now = now.astimezone(tz) if now else datetime.now(tz)
    tasks = []
    for sub, slot in await app.db(app.state.due_briefings, now, GRACE):
        if await app.db(app.state.claim_briefing, sub, slot, CLAIM_LEASE_SECONDS):
            tasks.append(application.create_task(post_briefing(application, sub, slot), name=f"briefing {slot}"))
    return tasks


async def post_briefing(application: Application, sub: Subscription, slot: str) -> None:
    """Post one claimed slot, only if there is something to say; mark what is new since the last one."""
    app = bot_context(application)
    async with app.answer_slots:
        briefing = await asyncio.to_thread(app.services.assistant.brief, sub.topic or None)
    # Read again now: the chat may have unsubscribed, or seen another briefing, meanwhile.
    current = next((s for s in await app.db(app.state.subscriptions, sub.chat_id)
                    if (s.time, s.topic) == (sub.time, sub.topic)), None)
    if current is None or not briefing.points:
        if current is not None:
            log.info("briefing for chat %s skipped: nothing to say", sub.chat_id)
        await app.db(app.state.briefing_done, sub, slot, None)
        return
    previous = set(current.last_points)
    for point in briefing.points:
        point.new = bool(previous) and point.text not in previous
    try:
        await send_html(application.bot, sub.chat_id, render_briefing(briefing))
    except Forbidden:
        # The bot was removed from the group: nobody is left to read these.
        log.warning("chat %s is gone; dropping its briefings", sub.chat_id)
        await app.db(app.state.unsubscribe, sub.chat_id)
        await app.db(app.state.briefing_done, sub, slot, None)
        return
    await app.db(app.state.briefing_done, sub, slot, [p.text for p in briefing.points])

"""Sending: long HTML split into several messages, typing indicators, progress edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from .render import split_message

log = logging.getLogger(__name__)


async def send_html(bot, chat_id: int, html: str, *, reply_to: int | None = None,
                    markup: InlineKeyboardMarkup | None = None) -> Message:
    """Send HTML in as many messages as it takes; buttons go on the last one."""
    pieces = split_message(html)
    sent: Message | None = None
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        sent = await bot.send_message(
            chat_id,
            piece,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if last else None,
            reply_to_message_id=reply_to if i == 0 else None,
            allow_sending_without_reply=True,
            disable_web_page_preview=True,
        )
    assert sent is not None
    return sent


@contextlib.asynccontextmanager
async def typing(bot, chat_id: int):
    """Keep "typing…" visible while an answer is prepared (Telegram shows it for ~5 s)."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(4.5)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class ProgressMessage:
    """A status message edited in place, at most every `interval` seconds (flood limits)."""

    def __init__(self, message: Message, interval: float = 2.0) -> None:
        self.message = message
        self.interval = interval
        self._last_text = message.text_html if message.text else ""
        self._last_edit = 0.0

    async def update(self, html: str, *, force: bool = False, markup=None) -> None:
        now = time.monotonic()
        if html == self._last_text or (not force and now - self._last_edit < self.interval):
            return
        self._last_text, self._last_edit = html, now
        try:
            await self.message.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as e:
            if "not modified" not in str(e).lower():
                raise

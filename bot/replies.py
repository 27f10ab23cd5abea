"""Sending: long HTML split into several messages, typing indicators, progress edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from html import escape

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from .render import TELEGRAM_LIMIT, split_message

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

    def __init__(self, bot, chat_id: int, message_id: int, text_html: str = "", interval: float = 2.0) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self.interval = interval
        self._last_text = text_html
        self._last_edit = 0.0

    @classmethod
    def of(cls, message: Message, interval: float = 2.0) -> ProgressMessage:
        return cls(message.get_bot(), message.chat_id, message.message_id,
                   message.text_html if message.text else "", interval)

    async def update(self, html: str, *, force: bool = False, markup=None) -> None:
        now = time.monotonic()
        if html == self._last_text or (not force and now - self._last_edit < self.interval):
            return
        self._last_text, self._last_edit = html, now
        try:
            # Status lines may name a link: no preview card under them.
            await self.bot.edit_message_text(html, chat_id=self.chat_id, message_id=self.message_id,
                                             parse_mode=ParseMode.HTML, reply_markup=markup,
                                             disable_web_page_preview=True)
        except BadRequest as e:
            if "not modified" not in str(e).lower():
                raise


class StreamingReply:
    """A generated answer shown while it is written: one message, edited at a bounded rate.

    The model streams in a worker thread, which only stores the latest text (`on_text`); the
    event loop publishes it every `interval` seconds at most, so a fast model cannot exceed
    Telegram's edit limits. The streamed text carries no citation markers: they are checked
    only once the answer is complete, and `finish` replaces the draft with the checked answer.
    """

    def __init__(self, bot, chat_id: int, reply_to: int | None, interval: float) -> None:
        self.bot, self.chat_id, self.reply_to, self.interval = bot, chat_id, reply_to, interval
        self.latest = ""
        self.shown = ""
        self.message: Message | None = None
        self._task: asyncio.Task | None = None

    def on_text(self, text: str) -> None:  # called from the answering thread
        self.latest = text

    async def __aenter__(self) -> StreamingReply:
        self._task = asyncio.create_task(self._publish())
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _publish(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            text = self.latest
            if not text.strip() or text == self.shown:
                continue
            draft = escape(text[: TELEGRAM_LIMIT - 200]) + " …"
            try:
                if self.message is None:
                    self.message = await self.bot.send_message(
                        self.chat_id, draft, parse_mode=ParseMode.HTML, reply_to_message_id=self.reply_to,
                        allow_sending_without_reply=True, disable_web_page_preview=True)
                else:
                    await self.message.edit_text(draft, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
                self.shown = text
            except TelegramError as e:  # a skipped draft costs nothing; the final answer still comes
                log.info("draft update skipped: %s", type(e).__name__)

    async def finish(self, html: str, markup: InlineKeyboardMarkup | None) -> Message:
        """Replace the draft with the final answer (or send it, if no draft was shown)."""
        if self.message is None:
            return await send_html(self.bot, self.chat_id, html, reply_to=self.reply_to, markup=markup)
        first, *rest = split_message(html)
        await self.message.edit_text(first, parse_mode=ParseMode.HTML, disable_web_page_preview=True,
                                     reply_markup=None if rest else markup)
        if not rest:
            return self.message
        return await send_html(self.bot, self.chat_id, "\n\n".join(rest), markup=markup)

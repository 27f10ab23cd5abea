"""What every handler needs, built once in `build_app` and kept in `application.bot_data`."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from telegram.ext import Application, ContextTypes

from retrieval.service import Services
from retrieval.worker import IngestWorker

from .settings import BotSettings
from .state import BotState

_KEY = "research_bot"


@dataclass
class History:
    """Recent questions per (chat, user), bounded: follow-ups are resolved against them."""

    turns: int
    _items: dict[tuple[int, int], deque[str]] = field(default_factory=dict)

    def get(self, chat_id: int, user_id: int) -> list[str]:
        return list(self._items.get((chat_id, user_id), ()))

    def add(self, chat_id: int, user_id: int, question: str) -> None:
        if self.turns:
            self._items.setdefault((chat_id, user_id), deque(maxlen=self.turns)).append(question)

    def reset(self, chat_id: int, user_id: int) -> None:
        self._items.pop((chat_id, user_id), None)


@dataclass
class UserRateLimit:
    """A sliding window per user, so one person cannot starve everyone else."""

    per_minute: int
    _seen: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def allow(self, user_id: int) -> bool:
        now = time.monotonic()
        window = self._seen[user_id]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


@dataclass
class BotContext:
    settings: BotSettings
    services: Services
    state: BotState
    history: History
    rate_limit: UserRateLimit
    # Answers run in worker threads; the embedder is serialised anyway, so a few workers are
    # enough and keep memory bounded under a burst of questions.
    answer_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))
    indexing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _worker: IngestWorker | None = None

    def ingest_worker(self) -> IngestWorker:
        """The worker process that prepares uploads, started on the first one."""
        if self._worker is None:
            self._worker = IngestWorker()
        return self._worker

    def reset_ingest_worker(self) -> None:
        """Forget a broken worker; the next upload starts a fresh one."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=False)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)
        self.state.close()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_user_ids


def bot_context(context: ContextTypes.DEFAULT_TYPE | Application) -> BotContext:
    """From a handler's context or from the application itself (jobs, start-up)."""
    application = getattr(context, "application", context)
    return application.bot_data[_KEY]


def install(application, value: BotContext) -> None:
    application.bot_data[_KEY] = value

"""What every handler needs, built once in `build_app` and kept in `application.bot_data`."""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from telegram.ext import Application, ContextTypes

from retrieval.service import Services
from retrieval.worker import IngestWorker

from .settings import BotSettings
from .state import BotState

_KEY = "research_bot"


class InlineCache:
    """Inline results per normalised query, kept for a short while and bounded in number: the
    same question from many people (or typed again) is searched once."""

    def __init__(self, seconds: float, max_entries: int = 512) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self.hits = 0
        self._items: OrderedDict[str, tuple[float, list]] = OrderedDict()

    def get(self, key: str) -> list | None:
        item = self._items.get(key)
        if item is None or time.monotonic() > item[0]:
            self._items.pop(key, None)
            return None
        self.hits += 1
        return item[1]

    def put(self, key: str, results: list) -> None:
        if self.seconds <= 0:
            return
        self._items[key] = (time.monotonic() + self.seconds, results)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


class LatestQuery:
    """Each person's most recent inline query: while they type, Telegram sends one per pause,
    and only the one still current after a short wait is worth a search."""

    def __init__(self) -> None:
        self._latest: dict[int, str] = {}

    async def settled(self, user_id: int, query_id: str, seconds: float) -> bool:
        self._latest[user_id] = query_id
        if seconds > 0:
            await asyncio.sleep(seconds)
        if self._latest.get(user_id) != query_id:
            return False
        del self._latest[user_id]
        return True


@dataclass
class BotContext:
    settings: BotSettings
    services: Services
    state: BotState
    # Answers run in worker threads; the embedder is serialised anyway, so a few workers are
    # enough and keep memory bounded under a burst of questions.
    answer_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))
    indexing: asyncio.Lock = field(default_factory=asyncio.Lock)
    inline_cache: InlineCache = field(default_factory=lambda: InlineCache(120))
    latest_inline: LatestQuery = field(default_factory=LatestQuery)
    _worker: IngestWorker | None = None
    # Database calls have threads of their own: they must never queue behind long answers.
    _db_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=8, thread_name_prefix="state"))

    async def db(self, method, *args, **kwargs):
        """Call a `BotState` method off the event loop (it waits on the database)."""
        call = functools.partial(method, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._db_threads, call)

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
        self._db_threads.shutdown(wait=True)
        self.state.close()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_user_ids


def bot_context(context: ContextTypes.DEFAULT_TYPE | Application) -> BotContext:
    """From a handler's context or from the application itself (jobs, start-up)."""
    application = getattr(context, "application", context)
    return application.bot_data[_KEY]


def install(application, value: BotContext) -> None:
    application.bot_data[_KEY] = value

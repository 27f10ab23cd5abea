"""Hybrid retrieval: dense passages, dense sentences and BM25, fused, then scored sentence by sentence.

Three ranked lists vote through reciprocal rank fusion (robust to their different score
scales), for the question and for each of its parts. Every sentence of the best candidate
passages is then scored against each part of the question (evidence.py), with its exact
vector from the store, and near-copies are dropped so that the passages shown to the user
each add something.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .embedding import Embedder
from .evidence import Candidate, score_sentences, value_spans
from .index import Index, Snapshot
from .keyword import tokenize
from .labels import label_candidates
from .question import REQUIRED, Question, analyse
from .thresholds import THRESHOLDS as T
from .wordsense import RelatedWords

RRF_K = 60
_DENSE_CHUNKS = 30
_DENSE_SENTENCES = 100
_KEYWORD = 30
_CANDIDATES = 12
_MIN_EXTENDED = 4  # letters a name needs before its longer forms count as it ("Asia": "Asian", not "US": "USB")
_CANDIDATES_PER_EXTRA_PART = 6
_NEAR_DUPLICATE = 0.8  # token-set Jaccard above which two passages say the same thing
_MMR_LAMBDA = 0.75


@dataclass
class ScoredSentence:
    text: str
    start: int  # within the passage text
    end: int
    similarity: float  # cosine with the question (the part it serves best)
    overlap: float  # share of that part's (IDF-weighted) words it contains
    score: float
    part: int = 0  # which part of the question it serves best
    typed: bool = False  # holds what that part asks for (a date, a figure, a name…)
    scores: list[float] = field(default_factory=list)  # per part


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
    question: Question | None = None
    # Every scored sentence of the candidate passages, before diversification trimmed them.
    candidates: list[Candidate] = field(default_factory=list)
    # Set by retrievers that judge coverage on their own scale (cross-lingual search).
    supported: bool | None = None
    # Live documents this search could not look into yet (cross-lingual vectors still being computed).
    pending_documents: int = 0
    # Per part of the question: its words that no document contains (stemmed). A name no document
    # mentions ("the Quantum Sensing Pact") is a strong sign that the subject is not covered.
    unknown: list[set[str]] = field(default_factory=list)
    pool: dict[str, Passage] = field(default_factory=dict)  # every scored candidate passage


class Retriever:
    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.related_words = RelatedWords(embedder)

    def retrieve(self, query: str, k: int, history: tuple[str, ...] | list[str] = ()) -> Retrieval:
        snapshot = self.index.snapshot()
        question = analyse(query, history, snapshot.weight)
        query_tokens = tokenize(question.query)
        if not snapshot.chunks:
            return Retrieval(question.query, [], query_tokens, question)
        context = f"{question.context} " if question.follow_up else ""
        texts = [question.query] + ([context + p.text for p in question.parts] if len(question.parts) > 1 else [])
        vectors = self.embedder.embed_array(texts)
        store = self.index.store
        fused: dict[str, float] = defaultdict(float)
        passage_sims: dict[str, list[float]] = {}
        limit = _CANDIDATES + _CANDIDATES_PER_EXTRA_PART * (len(texts) - 1)
        for text, vector in zip(texts, vectors):
            sentence_hits = store.query_sentences(vector, _DENSE_SENTENCES, snapshot.keys)
            chunk_hits = snapshot.passage_similarities(vector, _DENSE_CHUNKS)
            lists = [
                [cid for cid, _ in chunk_hits],
                _unique(h.chunk_id for h in sentence_hits),
                [cid for cid, _ in snapshot.keyword.search(text, _KEYWORD)],
            ]
            for ranked in lists:
                for rank, chunk_id in enumerate(ranked):
                    fused[chunk_id] += 1.0 / (RRF_K + rank + 1)
        candidates = [c for c in sorted(fused, key=fused.get, reverse=True) if c in snapshot.chunks][:limit]
        part_vectors = vectors[1:] if len(texts) > 1 else vectors[:1]
        whole = vectors[0]
        for cid in candidates:
            passage_sims[cid] = [float(v) for v in snapshot.passage_vector(cid) @ part_vectors.T]
        sentence_vectors = store.sentence_vectors(
            [sid for cid in candidates for sid in snapshot.chunks[cid].sentence_ids()])
        top = max(fused.values(), default=1.0)
        related = self._related_words(question, snapshot, candidates)
        scored = score_sentences(question, snapshot, candidates, part_vectors, sentence_vectors, passage_sims, whole,
                                 {c: fused[c] / top for c in candidates}, related)
        if any(p.label for p in question.parts):
            labels = label_candidates(question, snapshot, scored)
            scored += labels
            candidates += [c.chunk_id for c in labels if c.chunk_id not in candidates]
        passages = _passages(snapshot, candidates, scored, fused)
        # "Europe" is no missing subject in documents that say "European Union".
        unknown = [{t for t in p.surface if not snapshot.keyword.knows(t)
                    and not (t in p.names and len(t) >= _MIN_EXTENDED and snapshot.keyword.extends(t))}
                   for p in question.parts]
        return Retrieval(question.query, _diversify(passages, k, len(question.parts)), query_tokens, question,
                         scored, unknown=unknown, pool={p.chunk_id: p for p in passages})

    def _related_words(self, question: Question, snapshot: Snapshot,
                       chunk_ids: list[str]) -> dict[str, dict[str, float]]:
        """Words of the sentences that hold what a part asks for (a figure, a date, a name) that
        mean the part's words: only there can a paraphrase decide between answering and
        declining, and only their new words cost an embedding."""
        typed = [p for p in question.parts if p.answer_type in REQUIRED and p.focus]
        if not typed:
            return {}
        texts = [chunk.text[a:b] for cid in chunk_ids for chunk in (snapshot.chunks[cid],) for a, b in chunk.spans
                 if any(value_spans(p.answer_type, chunk.text[a:b]) for p in typed)]
        asked = {t: p.surface.get(t, t) for p in typed for t in p.focus}
        return self.related_words.related(asked, texts, min(T.focus_synonym, T.focus_partial))


def _passages(snapshot: Snapshot, chunk_ids: list[str], scored: list[Candidate],
              fused: dict[str, float]) -> list[Passage]:
    by_chunk: dict[str, list[Candidate]] = defaultdict(list)
    for c in scored:
        by_chunk[c.chunk_id].append(c)
    top_fused = max(fused.values(), default=1.0)
    passages = []
    for chunk_id in chunk_ids:
        cands = sorted(by_chunk.get(chunk_id, []), key=lambda c: c.index)
        if not cands:
            continue
        sentences = [ScoredSentence(c.text, c.start, c.end, c.similarity, c.overlap, c.score, c.part, c.typed,
                                    c.scores) for c in cands]
        passage = to_passage(snapshot.chunks[chunk_id], sentences)
        # The best sentence decides; fusion rank breaks ties between similar passages.
        passage.score = max(s.score for s in sentences) + 0.1 * fused[chunk_id] / top_fused
        passages.append(passage)
    passages.sort(key=lambda p: p.score, reverse=True)
    return passages


def to_passage(chunk, sentences: list[ScoredSentence]) -> Passage:
    m = chunk.metadata
    return Passage(
        chunk_id=chunk.chunk_id, doc_id=m["doc_id"], title=m.get("title", ""),
        publisher=m.get("publisher", ""), date=m.get("date", ""), section=m.get("section", ""),
        kind=m.get("kind", "body"), paragraph=int(m.get("paragraph", 0)), start=int(m.get("start", 0)),
        end=int(m.get("end", 0)), source=m.get("source", ""), text=chunk.text, sentences=sentences,
    )


def _diversify(passages: list[Passage], k: int, parts: int = 1) -> list[Passage]:
    """Maximal marginal relevance over token sets, after dropping near-duplicates; each part of
    the question keeps its best passage."""
    tokens = {p.chunk_id: set(tokenize(p.text)) for p in passages}
    chosen: list[Passage] = []
    for part in range(parts if parts > 1 else 0):
        best = max(passages, key=lambda p: max((s.scores[part] for s in p.sentences if s.scores), default=-1.0),
                   default=None)
        if best is not None and best not in chosen:
            chosen.append(best)
    pool = [p for p in passages if p not in chosen]
    while pool and len(chosen) < k:
        def mmr(p: Passage) -> float:
            redundancy = max((_jaccard(tokens[p.chunk_id], tokens[c.chunk_id]) for c in chosen), default=0.0)
            return _MMR_LAMBDA * p.score - (1 - _MMR_LAMBDA) * redundancy
        best = max(pool, key=mmr)
        pool.remove(best)
        if any(_jaccard(tokens[best.chunk_id], tokens[c.chunk_id]) > _NEAR_DUPLICATE for c in chosen):
            continue
        chosen.append(best)
    chosen.sort(key=lambda p: p.score, reverse=True)
    return chosen


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _unique(ids) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)


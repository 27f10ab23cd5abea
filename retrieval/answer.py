"""The answer value and the offline, extractive answer composer.

An extractive answer is made of whole sentences copied from the retrieved passages, each
followed by the number of the passage it came from. Nothing is paraphrased, so every quote is
verbatim by construction; `check_citations` verifies it anyway before an answer leaves the core.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .keyword import tokenize
from .search import Passage, Retrieval, ScoredSentence

# Evidence gate, calibrated on the dev set and on off-topic questions (tests/test_quality.py):
# a question is answered only when some sentence is close in meaning to it, or shares its
# rarest words. Below both, the documents do not support an answer.
MIN_SIMILARITY = 0.42
MIN_SUPPORT = 0.5  # similarity + 0.3 * overlap, for sentences that share the question's words
MIN_OVERLAP = 0.34
MIN_SIMILARITY_UNKNOWN_NAME = 0.55
_KEEP_WITHIN = 0.12  # sentences this close to the best one are worth adding
_MIN_WORDS = 3
_MAX_ANSWER_CHARS = 900
_REDUNDANT = 0.6
_BRIEF_MIN_SIMILARITY = 0.3


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    publisher: str
    date: str
    section: str
    quote: str
    passage: str
    chunk_id: str
    source: str


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    abstained: bool = False
    kind: str = "answer"  # "answer", "abstain", "refusal", "usage"
    notices: list[str] = field(default_factory=list)
    generated: bool = False  # written by a language model (validated), not quoted sentences

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "kind": self.kind,
            "notices": self.notices,
            "generated": self.generated,
            "citations": [asdict(c) for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
        }


def is_supported(retrieval: Retrieval) -> bool:
    if retrieval.supported is not None:
        return retrieval.supported
    best = _best_sentence(retrieval.passages)
    if best is None:
        return False
    if retrieval.unknown_names:
        return best.similarity >= MIN_SIMILARITY_UNKNOWN_NAME
    return best.similarity >= MIN_SIMILARITY or (best.overlap >= MIN_OVERLAP and best.score >= MIN_SUPPORT)


def compose_extractive(question: str, retrieval: Retrieval, max_sentences: int) -> Answer:
    """A few of the most relevant sentences, each cited; or an abstention."""
    if not is_supported(retrieval):
        return abstain(question, retrieval.passages)
    picked = select_sentences(retrieval.passages, max_sentences)
    return cite(question, picked, retrieval.passages)


def select_sentences(passages: list[Passage], max_sentences: int) -> list[tuple[Passage, ScoredSentence]]:
    candidates = [
        (p, s) for p in passages for s in p.sentences if len(s.text.split()) >= _MIN_WORDS or s.overlap > 0
    ]
    candidates.sort(key=lambda ps: ps[1].score, reverse=True)
    if not candidates:
        return []
    best = candidates[0][1].score
    picked: list[tuple[Passage, ScoredSentence]] = []
    seen_words: list[set[str]] = []
    length = 0
    for passage, sentence in candidates:
        if len(picked) >= max_sentences or sentence.score < best - _KEEP_WITHIN:
            break
        words = set(tokenize(sentence.text))
        if any(_overlap(words, w) > _REDUNDANT for w in seen_words):
            continue  # the same fact from another passage (or a repeated boilerplate line)
        if picked and length + len(sentence.text) > _MAX_ANSWER_CHARS:
            continue
        picked.append((passage, sentence))
        seen_words.append(words)
        length += len(sentence.text)
    # Read in document order within each source: the answer flows like the text it quotes.
    order = {p.chunk_id: i for i, p in enumerate(passages)}
    first_seen: dict[str, int] = {}
    for i, (p, _) in enumerate(picked):
        first_seen.setdefault(p.doc_id, i)
    picked.sort(key=lambda ps: (first_seen[ps[0].doc_id], ps[0].start + ps[1].start, order[ps[0].chunk_id]))
    return picked


def select_briefing_points(passages: list[Passage], limit: int, exclude: set[str] = frozenset(),
                           per_passage: int = 2) -> list[tuple[Passage, ScoredSentence]]:
    """Relevant, non-repetitive sentences spread over several passages, most relevant first."""
    candidates = sorted(
        ((p, s) for p in passages for s in p.sentences
         if len(s.text.split()) >= 6 and s.text not in exclude
         and (s.similarity >= _BRIEF_MIN_SIMILARITY or s.overlap >= MIN_OVERLAP)),
        key=lambda ps: ps[1].score, reverse=True,
    )
    picked: list[tuple[Passage, ScoredSentence]] = []
    seen_words: list[set[str]] = []
    used: dict[str, int] = {}
    for passage, sentence in candidates:
        words = set(tokenize(sentence.text))
        if used.get(passage.chunk_id, 0) >= per_passage or any(_overlap(words, w) > _REDUNDANT for w in seen_words):
            continue
        picked.append((passage, sentence))
        seen_words.append(words)
        used[passage.chunk_id] = used.get(passage.chunk_id, 0) + 1
        if len(picked) >= limit:
            break
    return picked


def cite(question: str, picked: list[tuple[Passage, ScoredSentence]], passages: list[Passage],
         lead: str = "") -> Answer:
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts: list[str] = [lead] if lead else []
    for passage, sentence in picked:
        if passage.chunk_id not in numbers:
            numbers[passage.chunk_id] = len(numbers) + 1
            citations.append(_citation(numbers[passage.chunk_id], passage, sentence.text))
        else:
            c = citations[numbers[passage.chunk_id] - 1]
            c.quote = f"{c.quote} … {sentence.text}"
        parts.append(f"{sentence.text} [{numbers[passage.chunk_id]}]")
    answer = Answer(question, " ".join(parts), citations, passages)
    check_citations(answer)
    return answer


def abstain(question: str, passages: list[Passage], reason: str = "") -> Answer:
    text = reason or "I couldn't find this in the documents."
    nearest = _nearest_titles(passages)
    if nearest:
        text += " The closest passages I found are in: " + "; ".join(nearest) + "."
    return Answer(question, text, [], passages, abstained=True, kind="abstain")


def check_citations(answer: Answer) -> None:
    """Every [n] refers to a citation, and every quoted piece occurs verbatim in its passage."""
    numbers = {c.n for c in answer.citations}
    used = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    if not used <= numbers:
        raise AssertionError(f"answer cites {sorted(used - numbers)} which are not sources")
    for c in answer.citations:
        for piece in c.quote.split(" … "):
            if piece not in c.passage:
                raise AssertionError(f"quote for [{c.n}] is not in its passage: {piece!r}")


def _citation(n: int, p: Passage, quote: str) -> Citation:
    return Citation(n, p.doc_id, p.title, p.publisher, p.date, p.section, quote, p.text, p.chunk_id, p.source)


def _best_sentence(passages: list[Passage]) -> ScoredSentence | None:
    return max((s for p in passages for s in p.sentences), key=lambda s: s.score, default=None)


def _nearest_titles(passages: list[Passage], limit: int = 3) -> list[str]:
    titles: list[str] = []
    for p in passages:
        label = f"{p.title} ({p.date})" if p.date else p.title
        if label not in titles:
            titles.append(label)
    return titles[:limit]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0

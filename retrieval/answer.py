"""The answer value and the offline, extractive answer composer.

An extractive answer is made of whole sentences copied from the retrieved passages, each
followed by the number of the passage it came from. Nothing is paraphrased, so every quote is
verbatim by construction; `check_citations` verifies it anyway before an answer leaves the core.

What is said follows `evidence.judge`: each part of the question is answered with the sentences
that support it; a part the documents discuss without giving what is asked (a date, a figure, a
name) is declined as such ("The documents don't give a date for …"), followed by what they do
say, cited; a question with nothing on its topic gets an honest "I couldn't find this". When the
sentences come from sources of different dates, the newest comes first and every statement
carries its source's date.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .discourse import carries_on, is_anaphoric
from .evidence import ABSENT, ANSWERED, UNSTATED, Candidate, PartVerdict, disagree, judge, on_topic
from .keyword import tokenize
from .search import Passage, Retrieval, ScoredSentence
from .thresholds import THRESHOLDS as T

_MIN_WORDS = 3
_BRIEF_MIN_SIMILARITY = 0.3
_LIST_ITEMS = 6  # "… committed to:" is followed by at most this many items


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

    @property
    def text(self) -> str:
        """The cited passage; the same as `passage` (some tools read `text`)."""
        return self.passage

    def to_json(self) -> dict:
        return {**asdict(self), "text": self.passage}


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
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
        }


def is_supported(retrieval: Retrieval, max_sentences: int = 4) -> bool:
    """Whether the documents answer at least one part of the question."""
    if retrieval.supported is not None:
        return retrieval.supported
    if retrieval.question is None or not retrieval.candidates:
        return False
    return any(v.status == ANSWERED for v in _verdicts(retrieval, max_sentences))


def covers_topic(retrieval: Retrieval) -> bool:
    """Whether the documents speak to a briefing's topic. A topic is a subject, not a question:
    no fact about it need be stated, so a passage about it is enough ("tidal power" for a
    compact funding tidal turbines), unless it names something no document mentions."""
    if is_supported(retrieval):
        return True
    question = retrieval.question
    if question is None or retrieval.supported is not None:
        return False
    if any(part.names & unknown for part, unknown in zip(question.parts, retrieval.unknown)):
        return False
    return any(on_topic(c, p) for c in retrieval.candidates if c.label_for < 0 for p in range(len(question.parts)))


def _verdicts(retrieval: Retrieval, max_sentences: int) -> list[PartVerdict]:
    return judge(retrieval.question, retrieval.candidates, retrieval.unknown, max_sentences)


def compose_extractive(question: str, retrieval: Retrieval, max_sentences: int) -> Answer:
    """The sentences that answer each part of the question, each cited; or an honest decline."""
    if retrieval.supported is not None:  # cross-lingual search judges coverage on its own scale
        if not retrieval.supported:
            return abstain(question, retrieval.passages)
        return cite(question, select_sentences(retrieval.passages, max_sentences), retrieval.passages)
    if retrieval.question is None or not retrieval.candidates:
        return abstain(question, retrieval.passages)
    verdicts = _verdicts(retrieval, max_sentences)
    parts = retrieval.question.parts
    answered = [v for v in verdicts if v.status == ANSWERED]
    if not answered:
        unstated = [v for v in verdicts if v.status == UNSTATED and v.picked]
        if not unstated:
            # Names no document mentions are said ("I couldn't find anything on “X”"), so that
            # the user knows what to ask about instead.
            named = [v for v in verdicts if v.missing.startswith("“") and v.missing[1:2].isupper()]
            reason = " ".join(_declined(v, parts, len(parts) > 1) for v in named)
            return abstain(question, retrieval.passages, reason)
        lead = " ".join(_declined(v, parts, len(parts) > 1) for v in verdicts) + " What they do say:"
        picked = _expand([c for v in unstated for c in v.picked[:2]], retrieval, max_sentences)
        result = _cite_candidates(question, picked, retrieval, lead)
        result.abstained, result.kind = True, "abstain"
        return result
    picked = _expand([c for v in answered for c in v.picked], retrieval, max_sentences + len(answered))
    tail = " ".join(_declined(v, parts, True) for v in verdicts if v.status != ANSWERED)
    return _cite_candidates(question, picked, retrieval, tail=tail)


def _declined(v: PartVerdict, parts, name_part: bool) -> str:
    about = f" on “{parts[v.part].text.rstrip('?. ')}”" if name_part else ""
    if v.status == ABSENT:
        if v.missing.startswith("“"):
            return f"I couldn't find anything on {v.missing} in the documents."
        return f"I couldn't find anything{about} in the documents." if name_part else "I couldn't find this in the documents."
    if v.missing.startswith("“"):
        return f"The documents don't mention {v.missing}{about}."
    if not v.missing:
        return f"The documents don't answer this directly{about}."
    return f"The documents don't give {v.missing}{about}."


def _expand(picked: list[Candidate], retrieval: Retrieval, limit: int) -> list[Candidate]:
    """Whole thoughts: a sentence opening with "This"/"They" brings the one before it, one
    ending with a colon brings the list that follows, and one that the next sentence carries on
    ("… have since changed. These changes include …") brings that sentence."""
    by_position = {(c.chunk_id, c.index): c for c in retrieval.candidates}
    out: list[Candidate] = []
    for c in picked[:limit]:
        before = by_position.get((c.chunk_id, c.index - 1))
        if is_anaphoric(c.text) and before is not None and before not in out and before not in picked:
            out.append(before)
        if c not in out:
            out.append(c)
        if c.text.rstrip().endswith(":"):
            for i in range(1, _LIST_ITEMS + 1):
                item = by_position.get((c.chunk_id, c.index + i))
                if item is None or item in out:
                    break
                out.append(item)
        elif c.label_for < 0:  # a title or caption asked for is quoted alone
            after = by_position.get((c.chunk_id, c.index + 1))
            if after is not None and after not in out and after not in picked and carries_on(after, c):
                out.append(after)
    return out


def _cite_candidates(question: str, picked: list[Candidate], retrieval: Retrieval, lead: str = "",
                     tail: str = "") -> Answer:
    pool = {p.chunk_id: p for p in retrieval.pool.values()} if retrieval.pool else {p.chunk_id: p for p in retrieval.passages}
    dates = sorted({c.date for c in picked if c.date}, reverse=True)
    order = {id(c): i for i, c in enumerate(picked)}
    question_read = retrieval.question
    dated = len(dates) > 1 and question_read is not None and (question_read.temporal or disagree(question_read, picked))
    if not dated:
        dates = []
    if dated:
        # Sources of different dates: the newest first, each statement with its source's date.
        picked = sorted(picked, key=lambda c: (-_date_rank(c.date, dates), order[id(c)]))
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts: list[str] = [lead] if lead else []
    current_date = None
    for c in picked:
        passage = pool[c.chunk_id]
        if dated and c.date != current_date:
            current_date = c.date
            if c.date == dates[0]:
                parts.append(f"As of {c.date} (newest source):")
            elif c.date:
                parts.append(f"Earlier, on {c.date}:")
            else:
                parts.append("Undated source:")
        if passage.chunk_id not in numbers:
            numbers[passage.chunk_id] = len(numbers) + 1
            citations.append(_citation(numbers[passage.chunk_id], passage, c.text))
        else:
            citation = citations[numbers[passage.chunk_id] - 1]
            if c.text not in citation.quote.split(" … "):
                citation.quote = f"{citation.quote} … {c.text}"
        parts.append(f"{c.text} [{numbers[passage.chunk_id]}]")
    if tail:
        parts.append(tail)
    answer = Answer(question, " ".join(parts), citations, retrieval.passages)
    check_citations(answer)
    return answer


def _date_rank(date: str, dates: list[str]) -> int:
    return len(dates) - dates.index(date) if date in dates else 0


def select_sentences(passages: list[Passage], max_sentences: int) -> list[tuple[Passage, ScoredSentence]]:
    """The best-scoring sentences, without repeats (for retrievers that score sentences themselves)."""
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
        if len(picked) >= max_sentences or sentence.score < best - T.keep_within:
            break
        words = set(tokenize(sentence.text))
        if any(_overlap(words, w) > T.redundant for w in seen_words):
            continue  # the same fact from another passage (or a repeated boilerplate line)
        if picked and length + len(sentence.text) > T.max_answer_chars:
            continue
        picked.append((passage, sentence))
        seen_words.append(words)
        length += len(sentence.text)
    return picked


def select_briefing_points(passages: list[Passage], limit: int, exclude: set[str] = frozenset(),
                           per_passage: int = 2) -> list[tuple[Passage, ScoredSentence]]:
    """Relevant, non-repetitive sentences spread over several passages, most relevant first."""
    candidates = sorted(
        ((p, s) for p in passages for s in p.sentences
         if len(s.text.split()) >= 6 and s.text not in exclude
         and (s.similarity >= _BRIEF_MIN_SIMILARITY or s.overlap >= T.min_overlap)),
        key=lambda ps: ps[1].score, reverse=True,
    )
    picked: list[tuple[Passage, ScoredSentence]] = []
    seen_words: list[set[str]] = []
    used: dict[str, int] = {}
    for passage, sentence in candidates:
        words = set(tokenize(sentence.text))
        if used.get(passage.chunk_id, 0) >= per_passage or any(_overlap(words, w) > T.redundant for w in seen_words):
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


def _nearest_titles(passages: list[Passage], limit: int = 3) -> list[str]:
    titles: list[str] = []
    for p in passages:
        label = f"{p.title} ({p.date})" if p.date else p.title
        if label not in titles:
            titles.append(label)
    return titles[:limit]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0

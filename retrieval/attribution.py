"""Checking a generated answer's citations against the passages it was given.

A language model cites [n] after its sentences, but may cite the wrong passage, a passage it
was never given, or none at all, and may state figures no passage contains. Each sentence is
checked against the passages it cites: a verbatim quote it contains must occur in the passage;
otherwise its content words must mostly occur there, every number it states must occur there,
and, for sentences in another language than the passages, a multilingual similarity decides.
A sentence whose citations fail is re-attributed to the passage that does support it, or
dropped. What is left cites only passages that say what it says, each with a verbatim quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .answer import Citation
from .hygiene import question_language
from .keyword import tokenize
from .search import Passage
from .sentences import split_sentences
from .thresholds import THRESHOLDS as T

_MARKERS = re.compile(r"\s*\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
_QUOTED = re.compile(r"[\"“「『]([^\"”」』]{12,400})[\"”」』]")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
MIN_WORDS_TO_JUDGE = 3  # fewer content words than this: too little to judge by words

# (sentence, candidate passage sentences, the passage's chunk id) -> similarity per candidate;
# for other languages. The chunk id lets stored vectors of the passage's sentences be reused.
Similarity = Callable[[str, Sequence[str], str], Sequence[float]]


@dataclass
class Attributed:
    text: str  # the answer with [n] renumbered in order of first use
    citations: list[Citation]
    claims: list[tuple[str, list[Citation]]]  # each kept sentence, without markers, and what it cites
    kept: int
    dropped: int
    reattributed: int


def markers(text: str) -> list[int]:
    numbers: list[int] = []
    for m in _MARKERS.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            if re.fullmatch(r"\d+\s*[–-]\s*\d+", part):  # "[1-3]"
                a, b = (int(x) for x in re.split(r"\s*[–-]\s*", part))
                numbers += list(range(a, min(b, a + 10) + 1))
            else:
                numbers.append(int(part))
    return numbers


def strip_markers(text: str) -> str:
    return re.sub(r"\s+([.,;:!?。、])", r"\1", _MARKERS.sub("", text)).strip()


def attribute(text: str, passages: Sequence[Passage], similarity: Similarity | None = None) -> Attributed:
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    claims: list[tuple[str, list[Citation]]] = []
    kept = dropped = moved = 0
    for line in text.splitlines():
        for a, b in split_sentences(line):
            raw = line[a:b]
            claim = strip_markers(raw)
            if not re.search(r"\w", claim):
                continue
            cited = [n for n in dict.fromkeys(markers(raw)) if 1 <= n <= len(passages)]
            support = [(passages[n - 1], q) for n in cited if (q := supporting_quote(claim, passages[n - 1], similarity))]
            if not support:
                best = _best_support(claim, passages, similarity)
                if best is None:
                    dropped += 1
                    continue
                support, moved = [best], moved + 1
            kept += 1
            labels, cited_here = [], []
            for passage, quote in support:
                if passage.chunk_id not in numbers:
                    numbers[passage.chunk_id] = len(numbers) + 1
                    citations.append(Citation(numbers[passage.chunk_id], passage.doc_id, passage.title,
                                              passage.publisher, passage.date, passage.section, quote,
                                              passage.text, passage.chunk_id, passage.source))
                else:
                    c = citations[numbers[passage.chunk_id] - 1]
                    if quote not in c.quote.split(" … "):
                        c.quote = f"{c.quote} … {quote}"
                labels.append(f"[{numbers[passage.chunk_id]}]")
                cited_here.append(citations[numbers[passage.chunk_id] - 1])
            parts.append(_with_labels(claim, "".join(labels)))
            claims.append((claim, cited_here))
    return Attributed(" ".join(parts), citations, claims, kept, dropped, moved)


def supporting_quote(claim: str, passage: Passage, similarity: Similarity | None = None) -> str | None:
    """A verbatim piece of the passage that supports the claim, or None if it does not."""
    text = passage.text
    quoted = [q.strip() for q in _QUOTED.findall(claim)]
    if quoted:
        found = [_find(q, text) for q in quoted]
        return " … ".join(found) if all(found) else None  # a misquote is never supported
    numbers = set(_NUMBER.findall(claim))
    if numbers - set(_NUMBER.findall(text)):
        return None  # a figure the passage does not state
    sentences = [text[a:b] for a, b in split_sentences(text)] or [text]
    foreign = bool(question_language(claim))  # a Korean/Japanese sentence about English passages
    words = {w for w in tokenize(claim) if not foreign or w.isascii()}
    if foreign and similarity is not None:
        scores = list(similarity(claim, sentences, passage.chunk_id))
        best = max(range(len(sentences)), key=scores.__getitem__)
        return sentences[best] if scores[best] >= T.attribution_min_cross_lingual else None
    if len(words) < MIN_WORDS_TO_JUDGE:
        return None
    if len(words & set(tokenize(text))) / len(words) < T.attribution_min_word_support:
        return None
    return max(sentences, key=lambda s: len(words & set(tokenize(s))))


def _best_support(claim: str, passages: Sequence[Passage],
                  similarity: Similarity | None) -> tuple[Passage, str] | None:
    words = set(tokenize(claim))
    ranked = sorted(passages, key=lambda p: len(words & set(tokenize(p.text))), reverse=True)
    for passage in ranked:
        quote = supporting_quote(claim, passage, similarity)
        if quote:
            return passage, quote
    return None


def _find(quote: str, text: str) -> str | None:
    """The passage's own words for a quote, matched ignoring case and spacing."""
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    m = re.search(pattern, text, re.I)
    return m.group(0) if m else None


def _with_labels(claim: str, labels: str) -> str:
    m = re.search(r"[.!?。！？]+[\"'”’)]*$", claim)
    return f"{claim[:m.start()]} {labels}{claim[m.start():]}" if m else f"{claim} {labels}"

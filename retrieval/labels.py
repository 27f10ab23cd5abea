"""Answers about a document's own labels: its title ("what is the headline of …"), a section's
heading ("what is the heading of the part on …", "what is section 3 called") and the line under
the title ("the subtitle", "the summary under the headline"); and the small passages the loader
labels, a photo's caption with its credit and a page's disclaimer ("who took the photo?"), and
the dateline under a page's title ("when was the brief last updated?").

Titles and headings are never answer sentences otherwise (they label passages, evidence.py
reads them as context), so a question about them would only find the body text they label.
Here the label is taken from where the question points: the document, or the section, of the
passage that best matches the rest of the question, or the section whose number it gives. The
label is quoted from its passage's text like any sentence, so it is cited and checked the same
way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from .evidence import Candidate, dates_in, supports
from .keyword import terms
from .question import CAPTION, DATELINE, DISCLAIMER, HEADING, SUBTITLE, TITLE, Question
from .store import chunk_id

_SEARCHED_FOR_TITLE = 4  # a title stands in one of a document's first passages
_MAX_GAP = 50  # passages without sentences (a heading alone) leave gaps in the numbering
_NUMBERED = re.compile(r"\b(?:section|part|chapter|heading)\s+(?:no\.?\s*)?([0-9]+|[IVXLC]+)\b", re.I)
_BYLINE = re.compile(r"^(?:by|written by|author:?)\s", re.I)
_DATELINE = re.compile(r"^(?:(?:first |last )?(?:published|updated|released|issued|posted|dated)|as of)\b", re.I)


def label_candidates(question: Question, snapshot, scored: list[Candidate]) -> list[Candidate]:
    """For each part asking for a label: the label, as a candidate marked `label_for` = part."""
    found = []
    for p, part in enumerate(question.parts):
        if not part.label:
            continue
        # The passage the question points to: one that could answer it, in the document that
        # has most of what it names ("the Harbour Trust piece") and is of the date it gives
        # ("the May 2024 fact sheet"), the best of those.
        dates = _months(part.text)

        def named(c: Candidate) -> float:
            words = snapshot.document_words(c.key)
            return sum(part.weights.get(t, 1.0) for t in part.names if t in words)

        def pointing(c: Candidate) -> float:
            return _held(part, snapshot.document_words(c.key))

        if part.label in (CAPTION, DISCLAIMER):
            found += _standalone(part, p, snapshot, scored, named, pointing, dates)
            continue
        if part.label == DATELINE:  # any passage of the document pointed to leads to its dateline
            pool = [c for c in scored if c.label_for < 0]
        else:
            pool = [c for c in scored if c.label_for < 0 and supports(c, p)]
        # Datelines match no question in meaning: the document is found by the words of the
        # question it holds ("the ferry analysis").
        by_words = part.label == DATELINE
        ranked = sorted(pool, key=lambda c: (named(c), pointing(c) if by_words else 0.0,
                                             (c.date[:7] in dates) + (c.date[:4] in dates), c.scores[p]), reverse=True)
        if not ranked or (part.names and not named(ranked[0])):
            continue
        top = ranked[0]
        if part.label == HEADING:  # a section's heading, not the document's own (a page's first heading)
            title = snapshot.records[top.key].title
            top = next((c for c in ranked if c.key == top.key and _section(snapshot, c) not in ("", title)), top)
        label = _find(part.label, part.text, snapshot, top)
        if label is not None:
            found.append(replace(top, **label, label_for=p))
    return found


def _standalone(part, p: int, snapshot, scored: list[Candidate], named, pointing, dates: set[str]) -> list[Candidate]:
    """The caption (or disclaimer) passage itself, of the document the question points to: it
    holds the credit, what the photo shows, what the page disclaims; asked for a figure's source
    or notes, the source or notes line printed under it (after the table or chart) too. Such
    passages are few and match no question in meaning, so all of them are looked at, not only
    those retrieved: the document by the question's words it holds ("the ferry analysis"), the
    passage by the figure's number ("Figure 2") and its own words."""
    base = next((c for c in scored if c.label_for < 0), None)
    if base is None:
        return []
    pool = [replace(base, chunk_id=chunk.chunk_id, key=chunk.key, date=snapshot.records[chunk.key].date, index=0,
                    text=chunk.text, start=0, end=len(chunk.text))
            for chunk in (snapshot.chunks[cid] for cid in snapshot.standalone.get(part.label, ()))]
    number = _FIGURE.search(part.text)

    def numbered(c: Candidate) -> bool:
        return bool(number) and re.search(rf"\b{re.escape(number.group(1))}\.?\s+{number.group(2)}\b", c.text, re.I) \
            is not None

    def titled(c: Candidate) -> float:
        record = snapshot.records[c.key]
        return _held(part, terms(f"{record.title} {record.publisher}"))

    ranked = sorted(pool, key=lambda c: (named(c), titled(c), pointing(c), (c.date[:7] in dates) + (c.date[:4] in dates),
                                         numbered(c), _held(part, terms(c.text))), reverse=True)
    if not ranked or (part.names and not named(ranked[0])):
        return []
    top = replace(ranked[0], label_for=p)
    note = _NOTE_ASKED.search(part.text)
    if not note or _NOTE_ASKED.match(top.text.lstrip("|*_ ")):
        return [top]
    # The source or notes line under the figure, a few passages on (a table may stand between).
    ordinal = int(snapshot.chunks[top.chunk_id].metadata.get("ordinal", 0))
    kind = note.group(0)[:4].lower()
    for o in range(ordinal + 1, ordinal + 1 + _MAX_GAP):
        chunk = snapshot.chunks.get(chunk_id(top.key, o))
        if chunk is None or chunk.metadata.get("kind") != part.label:
            continue  # the table or chart itself
        if chunk.text.lstrip("|*_ ").lower().startswith(kind):
            return [top, replace(top, chunk_id=chunk.chunk_id, text=chunk.text, start=0, end=len(chunk.text))]
        if _FIGURE.match(chunk.text.lstrip("|*_ ")):
            break  # the next figure's caption
    return [top]


def _held(part, words) -> float:
    """How much of the part's weighted words `words` holds."""
    return sum(w for t, w in part.weights.items() if t in words)


_FIGURE = re.compile(r"\b(figure|fig|table|chart|map|exhibit)\.?\s+(\d+)\b", re.I)
_NOTE_ASKED = re.compile(r"\b(?:sources?|notes?)\b", re.I)


def _find(kind: str, asked: str, snapshot, top: Candidate) -> dict | None:
    """Where the label is in its passage's text: the Candidate fields that place it (a title or
    heading has no sentence index: -1)."""
    record = snapshot.records[top.key]
    if kind == DATELINE:
        # "Published on May 2, 2024", or a line that is nothing but the date ("May 2, 2024")
        lines = [(chunk, j, a, b) for chunk in _chunks(snapshot, top.key, min(record.chunks, _SEARCHED_FOR_TITLE))
                 for j, (a, b) in enumerate(chunk.spans)]
        for test in (lambda text: _DATELINE.match(text) and dates_in(text), _only_a_date):
            for chunk, j, a, b in lines:
                if test(chunk.text[a:b]):
                    return _placed(chunk, j, a, b)
        return None
    if kind in (TITLE, SUBTITLE):
        for chunk in _chunks(snapshot, top.key, min(record.chunks, _SEARCHED_FOR_TITLE)):
            at = _head(chunk).find(record.title) if record.title else -1
            if at < 0:
                continue
            after = at + len(record.title)
            if kind == TITLE:
                return _placed(chunk, -1, at, after)
            for j, (a, b) in enumerate(chunk.spans):  # the first line of text under the title
                text = chunk.text[a:b]
                if a >= after and not _only_a_date(text) and not _BYLINE.match(text):
                    return _placed(chunk, j, a, b)
            return None
        return None
    number = _NUMBERED.search(asked)
    section = _numbered_section(record.sections, number.group(1)) if number else None
    section = section or _section(snapshot, top)
    if not section:
        return None
    for chunk in _section_starts(snapshot, top, section, record.chunks):
        at = _head(chunk).find(section)
        if at >= 0:
            return _placed(chunk, -1, at, at + len(section))
    return None


def _head(chunk) -> str:
    """A passage's text before its first sentence: the title and heading it opens with, if any."""
    spans = chunk.spans
    return chunk.text[:spans[0][0]] if spans else chunk.text


def _placed(chunk, index: int, start: int, end: int) -> dict:
    return {"chunk_id": chunk.chunk_id, "index": index, "text": chunk.text[start:end], "start": start, "end": end}


def _section(snapshot, c: Candidate) -> str:
    return snapshot.chunks[c.chunk_id].metadata.get("section", "")


def _numbered_section(sections: list[str], number: str) -> str | None:
    pattern = re.compile(rf"^\s*(?:(?:section|part|chapter)\s+)?{re.escape(number)}\b[.):]?", re.I)
    return next((s for s in sections if pattern.match(s)), None)


def _section_starts(snapshot, top: Candidate, section: str, count: int) -> Iterator:
    """The passages of `section` that may open with its heading: walking back from the passage
    the question points to, or, for another section, through the document from its start."""
    here = snapshot.chunks[top.chunk_id]
    if here.metadata.get("section") == section:
        ordinal = int(here.metadata.get("ordinal", 0))
        for o in range(ordinal, max(-1, ordinal - _MAX_GAP), -1):
            chunk = snapshot.chunks.get(chunk_id(top.key, o))
            if chunk is not None and chunk.metadata.get("section") != section:
                return
            if chunk is not None:
                yield chunk
        return
    for chunk in _chunks(snapshot, top.key, count):
        if chunk.metadata.get("section") == section:
            yield chunk


def _chunks(snapshot, key: str, limit: int) -> Iterator:
    """A document's first `limit` passages, in order."""
    seen, gap, ordinal = 0, 0, 0
    while seen < limit and gap <= _MAX_GAP:
        chunk = snapshot.chunks.get(chunk_id(key, ordinal))
        ordinal += 1
        if chunk is None:
            gap += 1
            continue
        gap = 0
        seen += 1
        yield chunk


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                             "nov", "dec"))}


def _months(text: str) -> set[str]:
    """The years ("2024") and months ("2024-05") a question dates a document by."""
    found = set()
    for date in dates_in(text):
        year = re.search(r"(?:19|20)\d{2}", date)
        if not year:
            continue
        found.add(year.group(0))
        month = re.match(r"[A-Za-z]{3}", date)
        if month and month.group(0).lower() in _MONTHS:
            found.add(f"{year.group(0)}-{_MONTHS[month.group(0).lower()]:02d}")
    return found


def _only_a_date(text: str) -> bool:
    dates = dates_in(text)
    return bool(dates) and len(re.sub(r"[\W_]+", "", text)) <= len(re.sub(r"[\W_]+", "", "".join(dates))) + 4

"""Which sentences answer which part of a question, and whether the documents answer it at all.

Every sentence of the candidate passages gets, for each part of the question, a handful of
features: meaning (cosine with the part), the part's weighted words in the sentence and in
its neighbourhood, the passage's meaning, whether it holds what the part asks for (a date for
"when", a figure for "how many", a name for "who"), whether its document is the one the
question names. Their weighted sum ranks the sentences; the weights and the gate below come
from `thresholds.json`, set on the calibration questions only.

A part is then answered (sentences that support it), unstated (the documents discuss the topic
but never give what is asked: no date, no figure, no name, or words no document contains), or
absent (nothing on the topic).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .common_words import zipf
from .discourse import carries_on
from .keyword import terms, tokenize
from .question import (DATE, DAY, IDENT, MEASURE, MONEY, NAME, NUMBER, OTHER, PERCENT, PERSON, PLACE, QUOTE, REASON, REQUIRED,
                       WHERE, WHO, YEAR, Question, years_in)
from .store import sentence_id
from .thresholds import THRESHOLDS as T

ANSWERED, UNSTATED, ABSENT = "answered", "unstated", "absent"

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_DATE = re.compile(
    rf"\b(?:{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}} {_MONTH} \d{{4}}|{_MONTH}\.? \d{{4}}"
    rf"|{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?\b|(?:early|mid|late|end of|fall of|spring of|summer of|winter of|"
    rf"autumn of) ?-?\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:19|20)\d{{2}}s?"
    r"|(?-i:January|February|March|April|June|July|August|September|October|November|December))\b")
# "Section 232", "H.R. 4687", "EO 14257", "Figure 1", "5 U.S.C. 552": numbers that name things, not figures.
_IDENTIFIER = re.compile(r"(?:\bNos?\.|\bSec(?:tion|s?\.)|\bArt(?:icle|\.)|\bTitle|\bChapter|\bH\.R\.|\bS\.(?:Rept\.)?|\bP\.L\."
                         r"|\b[A-Z]{1,4}|\bFigure|\bTable|\bNumber|\bversion|\bpart|§|U\.\s?S\.\s?C\.|C\.\s?F\.\s?R\.)\s?$")
# A number that places a provision in a code rather than counting anything: the "6" of
# "6 U.S.C. 124n", the "124" of "124n(k)", the "49" of "49 CFR 1.95".
_CITED = re.compile(r"\s?(?:U\.\s?S\.\s?C\.|USC\b|C\.\s?F\.\s?R\.|CFR\b|Stat\.)|[a-z]\(", re.I)
_SUBSECTION = re.compile(r"\(\d{1,2}\)")  # "(8)", "(2)": a paragraph's number
_DAY_OF_MONTH = re.compile(rf"\b{_MONTH}\.?\s$")  # the "5" of "April 5, 2024" dates, it counts nothing
# What numbers a bill, a law, an order or a report: "H.R. 7567", "P.L. 115-334", "S. 5526", "R48363".
_IDENT_VALUE = re.compile(r"(?<![\w.])(?:(?:P\.\s?L\.|H\.\s?R\.|S\.|H\.\s?(?:J\.\s?)?Res\.|S\.\s?(?:J\.\s?)?Res\.|E\.O\.|No\.)"
                          r"\s?\d[\d-]*\d|\b[A-Z]{1,4}(?!(?:19|20)\d\d\b)\d{3,}\b)")  # not "FY2026"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_QUANTITY = re.compile(
    rf"(?<![\w.-])(?:[$€£¥₩]\s?{_NUM}(?:\s?(?:million|billion|trillion|thousand))?"
    rf"|{_NUM}\s?(?:%|percent|per cent|percentage points?)"
    rf"|{_NUM}(?:\s(?:million|billion|trillion|thousand|hundred))?(?![\d-])"
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|thousand|dozen|dozens|hundreds|thousands|millions|billions|half|twice|double|triple|third|"
    r"quarter|majority)\b)", re.I)
_DAY = re.compile(r"(?<!\d)\d{1,2}(?!\d)")  # the day of "August 23", "23 August 2025", "2025-08-23"
_SHARE_WORDS = {"half", "third", "quarter", "majority"}
_YEAR = re.compile(f"^{YEAR}$")
_PERIOD = re.compile(r"[A-Z]{1,3}(?:19|20)?\d{2}")  # "FY2025", "MY2027", "FY26": a period, not a name
_NAME = re.compile(r"(?<![\w’'])(?:[A-Z][a-z]+(?:[-’'][A-Za-z]+)*|[A-Z]{2,}[\w-]*|[A-Z]\.(?:[A-Z]\.)+)")
_QUOTATION = re.compile(r"[\"“«「『][^\"”»」』]{3,}[\"”»」』]")
_CAUSE = re.compile(r"\b(?:because|due to|as a result|owing to|in order to|so that|in response to|amid|"
                    r"following|driven by|stemming from|reflect(?:s|ing|ed)?|aimed at|to address|"
                    # "after"/"since" before a time tell when, not why: "raised since then", "since 2019"
                    rf"(?:after|since)(?!\s+(?:then\b|\d|{_MONTH}\b|(?:the )?(?:start|beginning|end|early|mid|late)\b))|"
                    r"prompted|led to|caused|over concerns?|concerns? (?:over|about)|"
                    # a purpose is a reason too: "with the stated goal to reduce …", "to ensure …"
                    r"reasons? for|goals? (?:to|of)|aims? (?:to|of)|purposes? (?:to|of)|to ensure|so as to|in an effort to|"
                    r"intended to|designed to|meant to|in a bid to|with the aim|"
                    # grounds given: "in light of …", "on the grounds that …", "crucial to managing …"
                    r"in light of|thanks to|on the grounds that|on account of|rationale|justifi\w+|"
                    r"(?:crucial|critical|essential|vital|key|important) (?:to|for))\b", re.I)
_NOT_NAMES = {"I", "A", "An", "The", "In", "On", "At", "By", "For", "To", "Of", "And", "But", "Or", "As"}


@dataclass
class Candidate:
    chunk_id: str
    key: str  # document version
    date: str
    index: int  # sentence index within its passage
    text: str
    start: int
    end: int
    features: list[dict[str, float]]  # per part
    scores: list[float]  # per part
    part: int = 0
    score: float = 0.0
    label_for: int = -1  # a document's title or heading, answering this part (labels.py); else -1

    @property
    def similarity(self) -> float:
        return self.features[self.part]["similarity"]

    @property
    def overlap(self) -> float:
        return self.features[self.part]["overlap"]

    @property
    def typed(self) -> bool:
        return self.features[self.part]["typed"] > 0


@dataclass
class PartVerdict:
    part: int
    status: str  # ANSWERED, UNSTATED or ABSENT
    picked: list[Candidate] = field(default_factory=list)  # the answer, or what the documents do say
    missing: str = ""  # for UNSTATED: what the documents do not give ("a date", "the figure", "“hotline”")


# -- what a sentence holds ---------------------------------------------------------------------
_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
_UNIT_WINDOW = 5  # a counted noun follows its number closely: "25,000 lead service lines"
_SPANS_OF_TIME = frozenset(tokenize("seconds minutes hours days weeks months years decades"))
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|inside|from|to|across|throughout|within|into)\s+(?:the\s+)?$", re.I)


def value_spans(answer_type: str, sentence: str) -> list[tuple[str, int]]:
    """What a sentence holds of a kind, with where it starts: dates, figures, names, quotations, causes."""
    if answer_type == DATE:
        return [(m.group(0), m.start()) for m in _DATE.finditer(sentence)]
    if answer_type == NUMBER:
        return [(m.group(0).strip(), m.start()) for m in _QUANTITY.finditer(sentence)
                if not _YEAR.match(m.group(0).strip()) and m.group(0).strip().lower() != "one"
                and not _IDENTIFIER.search(sentence, max(0, m.start() - 12), m.start())
                and not _CITED.match(sentence, m.end()) and not _SUBSECTION.match(sentence, m.start() - 1)
                and not _DAY_OF_MONTH.search(sentence, max(0, m.start() - 12), m.start())]
    if answer_type in (NAME, WHO, WHERE, PLACE):
        found = []
        begins = _run_in_heading(sentence)  # where the sentence proper begins
        for m in _NAME.finditer(sentence):
            word = m.group(0)
            if word in _NOT_NAMES or m.start() < begins or (m.start() == begins and not word.isupper()) \
                    or re.fullmatch(_MONTH, word) or _PERIOD.fullmatch(word):
                continue
            if answer_type in (WHERE, PLACE) and not _LOCATIVE.search(sentence, max(0, m.start() - 12), m.start()):
                continue  # a place is where something happens: "in Geneva", "at the Hague"
            found.append((word, m.start()))
        return found
    if answer_type == QUOTE:
        return [(m.group(0), m.start()) for m in _QUOTATION.finditer(sentence)]
    if answer_type == REASON:
        return [(m.group(0), m.start()) for m in _CAUSE.finditer(sentence)]
    return []


_MINOR_WORDS = frozenset("a an the of for on in to and or from with by at as is are be".split())


def _run_in_heading(sentence: str) -> int:
    """Where the text after a run-in heading in title case begins ("Committing to Publish New
    Guidance on Lead Service Lines: Today, the agency …"), or 0. Its capitals mark a heading, not
    names; a short label ("Minister Osei: …") is left alone."""
    colon = sentence.find(": ", 0, 200)
    if colon < 0:
        return 0
    words = sentence[:colon].split()
    capitalised = [w for w in words if w[0].isupper() or w[0].isdigit() or w[0] in "$€£"]
    if len(capitalised) >= 4 and all(w in capitalised or w.lower() in _MINOR_WORDS for w in words):
        return colon + 2
    return 0


def dates_in(text: str) -> list[str]:
    return [v for v, _ in value_spans(DATE, text)]


def quantities_in(text: str) -> list[str]:
    """Figures: amounts, shares, counts (years, "one" and numbers that name things are not figures)."""
    return [v for v, _ in value_spans(NUMBER, text)]


def names_in(text: str) -> list[str]:
    """Proper names and acronyms (not the sentence's first word, which is capitalised anyway)."""
    return [v for v, _ in value_spans(NAME, text)]


def given_in(value: str, text: str) -> bool:
    """Whether the text writes the value itself: "2018년" gives 2018, "FY2023" does not give 3
    (nor "in 2023" the "20" of "20 lines")."""
    value, text = value.lower(), text.lower()
    return value in text and re.search(rf"(?<!\d){re.escape(value)}(?!\d)", text) is not None


def _new(answer_type: str, value: str, asked: str, asked_words: set[str]) -> bool:
    if answer_type in (NAME, WHO, WHERE, PLACE):
        return not set(tokenize(value)) <= asked_words
    return not given_in(value, asked)


def holds(answer_type: str, sentence: str, asked: str, asked_words: set[str],
          focus: frozenset[str] | set[str] = frozenset(), near: int = 10, unit: frozenset[str] = frozenset()) -> bool:
    """Whether the sentence contains what the question asks for, and not only what it says; with
    `focus`, the value must stand within `near` words of what is asked about (the number of
    submarines, not any number in a sentence that mentions submarines); with `unit`, a figure
    must be of the kind asked ("how many pipes": pipes; "how much does it cost": money) and a
    date asked for to the day must give the day ("on what date": not "in December 2021")."""
    spans = [(m.group(0), m.start()) for m in _IDENT_VALUE.finditer(sentence)] if IDENT in unit \
        else value_spans(answer_type, sentence)
    found = [(v, at) for v, at in spans if _new(answer_type, v, asked, asked_words)]
    words = [(m.start(), set(tokenize(m.group(0)))) for m in _WORD.finditer(sentence)]
    if unit and answer_type == NUMBER and IDENT not in unit:
        found = [(v, at) for v, at in found if _of_unit(v, at, unit, words, sentence)]
    if DAY in unit and answer_type == DATE:
        found = [(v, at) for v, at in found if _DAY.search(v)]
    if PERSON in unit:
        found = [(v, at) for v, at in found if _is_person(sentence, at)]
    if not found or not focus or answer_type in (QUOTE, REASON):
        return bool(found)
    anchors = [i for i, (_, stems) in enumerate(words) if stems & focus]
    if not anchors:
        return False
    for _, at in found:
        index = next((i for i, (start, _) in enumerate(words) if start >= at), len(words))
        if any(abs(index - a) <= near for a in anchors):
            return True
    return False


def of_period(sentence: str, period: frozenset[int]) -> bool:
    """Whether a sentence may give what is asked of those years: it names one of them, or none
    at all (the year is then in its context); a sentence of other years gives another year's."""
    if not period:
        return True
    years = years_in(sentence)
    return not years or bool(years & period)


def _is_person(sentence: str, at: int) -> bool:
    """Whether the name at `at` is a person's: one with a title ("Senator Osei", "Dr. Lund") or
    of two to four capitalised words that name no body ("Ana María Ruiz", not "House Committee",
    "National Security Act" or "On March")."""
    for m in _NAME_RUN.finditer(sentence):
        if m.start() <= at < m.end():
            words = [w.strip(".,’'") for w in m.group(0).split()]
            break
    else:
        return False
    if _OFFICE_OF.search(sentence, 0, m.start()):
        return False  # the office itself: "the Secretary of Homeland Security", "Minister of Foreign Affairs"
    lowered = [w.lower() for w in words]
    if set(lowered) <= _OFFICE_WORDS:
        return False  # "Attorney General", "Deputy Secretary": an office, whoever holds it
    if len(words) >= 2 and set(lowered[:-1]) & _TITLES:
        return True
    return (len(words) >= 2 and not set(lowered) & (_BODIES | _MINOR_WORDS)
            and not any(w.isupper() and len(w) > 1 for w in words) and not any(re.fullmatch(_MONTH, w) for w in words))


_NAME_RUN = re.compile(r"(?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'.-]*")
_TITLES = frozenset("""mr mrs ms dr sen rep gov gen amb hon president secretary administrator director chair chairman
chairwoman governor mayor minister senator representative congressman congresswoman ambassador commissioner judge
justice speaker chancellor premier""".split())
_OFFICE_WORDS = _TITLES | frozenset("""attorney general deputy vice chief officer inspector surgeon solicitor
comptroller assistant acting principal under""".split())
_OFFICE_OF = re.compile(r"\b(?:" + "|".join(sorted(_TITLES)) + r")\s+of\s+(?:the\s+)?$", re.I)
# Words that make a capitalised phrase a body, a law or a place rather than a person.
_BODIES = frozenset("""committee subcommittee act department agency administration office bureau service congress
house senate council commission bank fund program programme law court university institute association party union
plan initiative partnership agreement treaty summit states state republic ministry government corporation company
inc group organization organisation authority board center centre foundation coalition federal national united
international alliance forum caucus assembly parliament cabinet white city county district region province
north south east west northern southern eastern western new""".split())


def _of_unit(value: str, at: int, unit: frozenset[str], words: list[tuple[int, set[str]]], sentence: str) -> bool:
    low = value.lower()
    if MONEY in unit:  # an amount, or a share of one ("3.5% of GDP", "49 percent of the funds")
        if ("%" in value or "percent" in low) and re.match(r"\s*of\b", sentence[at + len(value):]):
            return True
        return bool(re.match(r"[$€£¥₩]", value)) or "dollar" in low or bool(re.search(r"million|billion|trillion", low)) \
            and any("dollar" in w for _, stems in words for w in stems)
    if PERCENT in unit:
        return "%" in value or "percent" in low or low in _SHARE_WORDS
    if re.match(r"[$€£¥₩]", value) or "%" in value or "percent" in low:
        return False  # a count of things is neither money nor a share
    following = next((stems for start, stems in words if start >= at + len(value)), set())
    if following & _SPANS_OF_TIME and not following & unit:
        return False  # "within 90 days" counts days, whatever the sites or years asked for
    if MEASURE not in unit and not unit & set().union(*(stems for _, stems in words)):
        return True  # the sentence calls the things counted otherwise ("staff": "employees")
    index = next((i for i, (start, _) in enumerate(words) if start >= at), len(words))
    after = set().union(*(stems for _, stems in words[index:index + _UNIT_WINDOW])) if index < len(words) else set()
    return bool(after & unit)


def values(answer_type: str, sentence: str, asked: str, asked_words: set[str]) -> set[str]:
    """What the sentence says in answer: its new dates, figures or names (figures by default)."""
    kind = answer_type if answer_type in (DATE, NAME, WHO, WHERE, PLACE) else NUMBER
    return {v for v, _ in value_spans(kind, sentence) if _new(kind, v, asked, asked_words)}


def disagree(question: Question, picked: Sequence[Candidate]) -> bool:
    """Sources of different dates give different values for the same part of the question."""
    asked = question.asked
    words = question.words
    for p, part in enumerate(question.parts):
        if part.answer_type not in REQUIRED | {WHO, WHERE}:
            continue
        by_date: dict[str, set[str]] = {}
        for c in picked:
            if c.part == p and c.date:
                by_date.setdefault(c.date, set()).update(values(part.answer_type, c.text, asked, words))
        seen = [v for v in by_date.values() if v]
        if len(seen) > 1 and any(a != b for a in seen for b in seen):
            return True
    return False


# -- scoring -------------------------------------------------------------------------------
_BEFORE, _AFTER = 2, 1  # neighbours a sentence is read with
_MIN_CONTENT_WORDS = 2
_LONG = 25  # content words from which a sentence counts as long
_NAMES_COVERED = 0.5  # share of the question's names a sentence answering it (with its neighbours) has
SOFT = frozenset({WHO, WHERE})  # a name for "who", a place for "where": a hint, not a must
FEATURES = ("similarity", "overlap", "window", "context", "typed", "cue", "focus", "anchor", "recency", "length",
            "retrieval")


def weighted(f: dict[str, float], t) -> float:
    return sum(getattr(t, f"w_{name}") * f[name] for name in FEATURES)


def score_sentences(question: Question, snapshot, chunk_ids: Sequence[str], part_vectors: np.ndarray,
                    sentence_vectors: dict[str, np.ndarray], passage_sims: dict[str, list[float]],
                    whole: np.ndarray | None = None, retrieval: dict[str, float] | None = None,
                    related: dict[str, dict[str, float]] | None = None) -> list[Candidate]:
    """`whole` is the whole question's vector: a part ("and who was it in 2023?") often leaves
    its subject to the rest of the question, so a part's similarity is the better of the two.
    `retrieval` is each passage's fused retrieval score, relative to the best (0–1). `related`
    gives, for a word of the question, the passages' words that mean it (wordsense.py)."""
    parts = question.parts
    # What each part asks about, each word with the words that stand for it ("staff": "employees").
    # How far each word of the passages speaks to each focus word: fully if it is the word or
    # means it, in part if it is near in meaning ("swapping": "replacement").
    close = related or {}
    credit = [{t: {t: 1.0, **{w: _partial(sim) for w, sim in close.get(t, {}).items()}} for t in part.focus}
              for part in parts]
    senses = [{t: {w for w, c in words.items() if c >= 1.0} for t, words in part_credit.items()}
              for part_credit in credit]
    focus_words = [set().union(*s.values()) if s else set() for s in senses]
    units = [_unit(part.unit, part_credit, snapshot) for part, part_credit in zip(parts, credit)]
    asked_words = question.words | {t for t in tokenize(question.context)}
    asked = question.asked
    anchors = _anchors(question, snapshot)
    anchor_total = sum(anchors.values())  # 0 when they are only words that point to a document
    dates = sorted({snapshot.records[snapshot.chunks[c].key].date for c in chunk_ids} - {""})
    recency = {d: (i / (len(dates) - 1) if len(dates) > 1 else 1.0) for i, d in enumerate(dates)}
    candidates: list[Candidate] = []
    # The question's names that a candidate passage on the subject does use: a sentence leaving
    # one of them out is then about something else ("Denver has 25,000 lead lines" for "how many
    # does Chicago have", Chicago being named elsewhere), not the same thing in other words.
    used_names = [part.names & set().union(*(terms(snapshot.chunks[c].text) for c in chunk_ids
                                             if passage_sims[c][p] >= T.min_similarity))
                  for p, part in enumerate(parts)]
    for chunk_id in chunk_ids:
        chunk = snapshot.chunks[chunk_id]
        record = snapshot.records[chunk.key]
        spans = chunk.spans
        texts = [chunk.text[a:b] for a, b in spans]
        tokens = [terms(t) for t in texts]
        label = set(tokenize(chunk.metadata.get("section", "")))
        # Names the document carries in its title, or its publisher's, are what each of its
        # sentences is about ("Director Osei …" in the Harbour Accord statement is about the
        # Harbour Accord; any line of "the Harbour Trust piece" is of the Harbour Trust's).
        titled = terms(f"{record.title} {record.publisher}")
        doc_words = snapshot.document_words(chunk.key)
        anchor = sum(w for t, w in anchors.items() if t in doc_words) / anchor_total if anchor_total else 1.0
        fresh = recency.get(record.date, 0.0) if question.wants_current else 0.0
        for j, ((a, b), text) in enumerate(zip(spans, texts)):
            if len(tokenize(text)) < _MIN_CONTENT_WORDS:
                continue  # "(R12345)", "Overview.": context for their neighbours, never an answer
            vector = sentence_vectors.get(sentence_id(chunk_id, j))
            sims = (vector @ part_vectors.T).tolist() if vector is not None else [0.0] * len(parts)
            if whole is not None and len(parts) > 1 and vector is not None:
                sims = [max(s, float(vector @ whole)) for s in sims]
            # The sentence read with its neighbours: "His term ends in 2030" two sentences after the name.
            window = tokens[j].union(label, *tokens[max(0, j - _BEFORE):j], *tokens[j + 1:j + 1 + _AFTER])
            about = window | titled
            features, scores = [], []
            for p, part in enumerate(parts):
                f = {
                    "similarity": sims[p],
                    "overlap": sum(w for t, w in part.weights.items() if t in tokens[j]) / part.total,
                    "window": sum(w for t, w in part.weights.items() if t in window) / part.total,
                    # A one-sentence passage (a caption) adds no context to its sentence.
                    "context": passage_sims[chunk_id][p] * (1 - 1 / len(texts)),
                    # What is asked, about what is named: the figure near "submarines", in a
                    # sentence (or its neighbours) that names the country asked about.
                    "typed": 1.0 if part.answer_type in REQUIRED and (
                        _names_covered(part, about) or (sims[p] >= T.strong_similarity
                                                         and not (part.names - about) & used_names[p])) and holds(
                        part.answer_type, text, asked, asked_words, focus_words[p], T.near_words, units[p])
                        and of_period(text, part.period) else 0.0,
                    "cue": 1.0 if part.answer_type in SOFT and holds(
                        part.answer_type, text, asked, asked_words, focus_words[p], T.near_words) else 0.0,
                    "focus": (sum(w * max((credit[p][t].get(word, 0.0) for word in tokens[j]), default=0.0)
                                  for t, w in part.focus.items()) / (sum(part.focus.values()) or 1.0)
                              if part.focus else 0.0),
                    "anchor": anchor,
                    "recency": fresh,
                    "length": min(len(tokens[j]), _LONG) / _LONG,
                    "retrieval": (retrieval or {}).get(chunk_id, 0.0),
                    # Not scored: whether the sentence (with its neighbours) names anything the
                    # part names, so that a shared common word alone does not make it support.
                    "named": _named(part, about),
                    "asks": 1.0 if not part.focus or focus_words[p] & tokens[j] else 0.0,
                    # Not scored: names given as what the part asks for ("which states": "four
                    # states—Ohio, …"); that is what it asks, however else it words it.
                    "instances": 1.0 if part.instance_of and _instances(part.instance_of, text) else 0.0,
                }
                features.append(f)
                scores.append(weighted(f, T))
            best = int(np.argmax(scores))
            candidates.append(Candidate(chunk_id, chunk.key, record.date, j, text, a, b, features, scores,
                                        best, scores[best]))
    return candidates


_INSTANCE_LEAD = re.compile(r"\s*(?:[—–:(]\s*|,?\s*(?:such as|including|namely|like|of)\s+)(?:the\s+)?[A-Z]")


def _instances(kind: str, sentence: str) -> bool:
    """Whether the sentence names things as of that kind: "four states—Ohio, …", "cities such
    as Lyon", "the City of Evanston"."""
    return any(tokenize(m.group(0)) == [kind] and _INSTANCE_LEAD.match(sentence, m.end())
               for m in _WORD.finditer(sentence))


def _partial(sim: float) -> float:
    if sim >= T.focus_synonym:
        return 1.0
    if sim < T.focus_partial:
        return 0.0
    return (sim - T.focus_partial) / (T.focus_synonym - T.focus_partial)


def _unit(unit: frozenset[str], credit: dict[str, dict[str, float]], snapshot) -> frozenset[str]:
    """What a figure must be a figure of, with the words that mean it. Things no document names
    ("how much marshland") can only be counted under another name: a word near them in meaning
    ("wetlands") then stands for them, and one of those words must follow the figure, else any
    count in the sentence would pass for them."""
    things = {u for u in unit if u not in (MONEY, PERCENT, MEASURE, DAY)}
    named = any(snapshot.keyword.knows(u) for u in things)
    expanded = set(unit).union(*({w for w, c in credit.get(u, {}).items() if c >= 1.0 or (c > 0 and not named)}
                                   for u in things))
    if things and not named:
        expanded.add(MEASURE)
    return frozenset(expanded)


def _named(part, window: set[str]) -> float:
    return 1.0 if not part.names or part.names & window else 0.0


def _names_covered(part, window: set[str]) -> bool:
    """A sentence answering "how many pipes does Chicago have" is about Chicago (with its
    neighbours or its document's title): one of the names must be there, of several names most
    of them. A name paraphrased ("America": "the U.S.") leaves the meaning close: the caller
    lets a close sentence through, unless the passages on the subject use the name itself."""
    named = {t: w for t, w in part.weights.items() if t in part.names}
    if not named:
        return True
    covered = sum(w for t, w in named.items() if t in window)
    return covered > 0 and (len(named) < 2 or covered >= _NAMES_COVERED * sum(named.values()))


def _anchors(question: Question, snapshot) -> dict[str, float]:
    """The question's names and its references to a document ("the joint statement"), weighted."""
    words = {t: w for p in question.parts for t, w in p.weights.items()}
    refs = {t for t in words if snapshot.is_reference(t)}
    return {t: words.get(t, 1.0) for t in (question.names | refs) if t in words or t in question.names}


# -- judging ---------------------------------------------------------------------------------
def supports(c: Candidate, p: int) -> bool:
    """Close in meaning, or sharing the part's words (and not unrelated in meaning). Shared words
    count only if they include both one of the names the part is about and one of the words of
    what it asks: "the capital of Australia" is answered neither by a sentence on venture capital
    nor by one that only lists Australia."""
    f = c.features[p]
    overlap = max(f["overlap"], f["window"])
    return f["similarity"] >= T.min_similarity or (
        overlap >= T.min_overlap and c.scores[p] >= T.min_support and f["similarity"] >= T.min_overlap_similarity
        and f.get("named", 1.0) > 0 and f.get("asks", 1.0) > 0)


def on_topic(c: Candidate, p: int) -> bool:
    """About what the part is about, if not an answer to it."""
    f = c.features[p]
    return f["similarity"] >= T.min_topic or (
        max(f["overlap"], f["window"]) >= T.min_overlap and f["similarity"] >= T.min_overlap_similarity
        and f.get("named", 1.0) > 0)


def judge(question: Question, candidates: list[Candidate], unknown: Sequence[set[str]],
          max_sentences: int) -> list[PartVerdict]:
    verdicts = []
    per_part = max(1, max_sentences // max(1, len(question.parts)))
    labels: dict[int, list[Candidate]] = {}
    for c in candidates:
        if c.label_for >= 0:
            labels.setdefault(c.label_for, []).append(c)
    candidates = [c for c in candidates if c.label_for < 0]
    for p, part in enumerate(question.parts):
        ranked = sorted(candidates, key=lambda c: c.scores[p], reverse=True)
        supporting = [c for c in ranked if supports(c, p)]
        topical = [c for c in ranked if on_topic(c, p)]
        if p in labels:  # the title, heading or caption asked for, found where the question points
            verdicts.append(PartVerdict(p, ANSWERED, labels[p]))
            continue
        # Words no document has, but any English text uses, say the documents word it otherwise.
        absent_words = {t for t in (unknown[p] if p < len(unknown) else set())
                        if t in part.names or zipf(part.surface.get(t, t)) < T.common_word_zipf}
        words_share = sum(part.weights.get(t, 0.0) for t in absent_words) / part.total
        names_share = sum(part.weights.get(t, 0.0) for t in absent_words & part.names) / part.total
        best_similarity = max((c.features[p]["similarity"] for c in ranked), default=0.0)
        if best_similarity < T.strong_similarity and (words_share > T.unknown_term_weight
                                                      or names_share > T.unknown_name_weight):
            missing = _unknown_phrases(part, absent_words)
            status = UNSTATED if supporting else ABSENT
            verdicts.append(PartVerdict(p, status, _pick(supporting, p, 2), missing))
            continue
        if part.answer_type in REQUIRED:
            # What is asked must be in a sentence about as relevant as the best one: a date in an
            # unrelated sentence does not answer "when".
            # Measured against sentences about what the part names: a closer sentence about
            # something else ("Osei held two summits" for "who held office at the Harbour
            # talks") does not push the one that names the answer out.
            named = [c for c in supporting if c.features[p]["named"] > 0] or supporting
            top = named[0].scores[p] if named else 0.0
            # A sentence that carries the best one on ("It won $4 million to replace the
            # village's 2,700 lines") says more of the same thing, however it scores alone.
            typed = [c for c in supporting if c.features[p]["typed"] > 0
                     and (c.scores[p] >= top - T.typed_within or (named and carries_on(c, named[0])))
                     and (c.features[p]["focus"] >= T.min_focus or not part.focus or c.features[p]["instances"])]
            if typed:
                picked = _pick(typed + named, p, per_part, question.temporal)
                verdicts.append(PartVerdict(p, ANSWERED, picked + _given_otherwise(question, part, picked, supporting)))
            elif supporting or topical:  # on the subject, without what is asked
                verdicts.append(PartVerdict(p, UNSTATED, _pick(supporting or topical, p, 2), _MISSING[part.answer_type]))
            else:
                verdicts.append(PartVerdict(p, ABSENT))
            continue
        if supporting:
            picked = _pick(supporting, p, per_part, question.temporal)
            verdicts.append(PartVerdict(p, ANSWERED, picked))
        else:
            verdicts.append(PartVerdict(p, ABSENT))
    return verdicts


def _given_otherwise(question: Question, part, picked: list[Candidate], supporting: list[Candidate]) -> list[Candidate]:
    """The same thing given otherwise by a source of another date: a sentence naming everything
    the question names, as the answer does, with another figure, date or name of the kind asked
    ("Milwaukee: $30 million" in October, "$41 million" in May). Both are shown, each with its
    date; a sentence about another city or programme is not, since it does not name them all."""
    if not part.names or not picked or not part.names <= set(tokenize(picked[0].text)):
        return []
    asked = question.asked
    given = values(part.answer_type, picked[0].text, asked, question.words)
    dates = {c.date for c in picked}
    for c in supporting:
        if c.date and c.date not in dates and c not in picked and part.names <= set(tokenize(c.text)) \
                and holds(part.answer_type, c.text, asked, question.words, unit=part.unit):
            other = values(part.answer_type, c.text, asked, question.words)
            if other and given and not other & given:
                return [c]
    return []


_MISSING = {DATE: "a date", NUMBER: "that figure", NAME: "a name", PLACE: "the place", QUOTE: "the exact words",
            REASON: "the reason",
            OTHER: "this"}


_PHRASE = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|for|on|and|the)\s+)*[A-Z][\w'’.-]*)*")


def _unknown_phrases(part, absent: set[str]) -> str:
    """The words no document contains, as the user wrote them: whole names where they are names
    ("“Tidal Power Compact”"), single words otherwise."""
    phrases = [_from_name(m.group(0), part.names) for m in _PHRASE.finditer(part.text)
               if set(tokenize(m.group(0))) & absent & part.names]
    if not phrases:
        phrases = list(dict.fromkeys(part.surface[t] for t in part.surface if t in absent))
    phrases = [re.sub(r"['’]s$", "", p) for p in phrases]  # “Germany”, not “Germany's”
    return "“" + "”, “".join(dict.fromkeys(phrases)) + "”"


def _from_name(phrase: str, names: set[str]) -> str:
    """The phrase from its first name on: "Has Pyongyang" opens a question, the name is "Pyongyang"."""
    words = phrase.split()
    while len(words) > 1 and not set(tokenize(words[0])) & names:
        words.pop(0)
    return " ".join(words)


def _pick(ranked: list[Candidate], p: int, limit: int, across_dates: bool = False) -> list[Candidate]:
    """The best sentence, and close runners-up that add something. For a question about how
    things stand or changed, the best sentence of each dated source comes first (newest sources
    say what is current, older ones what it changed from)."""
    picked: list[Candidate] = []
    seen: list[set[str]] = []
    if across_dates and ranked:
        by_date: dict[str, Candidate] = {}
        for c in ranked:
            if c.date and c.date not in by_date and c.scores[p] >= ranked[0].scores[p] - T.dated_within:
                by_date[c.date] = c
        if len(by_date) > 1:
            for c in sorted(by_date.values(), key=lambda c: c.date, reverse=True)[:limit]:
                picked.append(c)
                seen.append(set(tokenize(c.text)))
            return picked
    for c in ranked:
        if len(picked) >= limit or (picked and c.scores[p] < picked[0].scores[p] - T.keep_within):
            break
        words = set(tokenize(c.text))
        if c in picked or any(_overlap(words, w) > T.redundant for w in seen):
            continue
        picked.append(c)
        seen.append(words)
    return picked


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0

"""Sentence boundaries that survive policy prose ("U.S.-ROK", "D.C.", "No. 3", "Mr. Lee").

Returned as (start, end) offsets so every sentence stays a verbatim slice of its source:
citations quote sentences, and a quote must occur word for word in its passage.
"""

from __future__ import annotations

import re

# Tokens that end with a period but rarely end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "no", "nos", "vs", "etc", "e.g", "i.e",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "gen", "gov", "sen", "rep", "pres", "amb", "lt", "col", "corp", "inc", "ltd", "co",
    "fig", "figs", "vol", "p", "pp", "art", "sec", "approx", "est", "u.s", "u.k", "u.n",
    "d.c", "a.m", "p.m", "cf", "al",
}
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)|[。！？]+[」』”’)]*")
_CJK_END = re.compile(r"[。！？]")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.\-]*)$")
_DOTTED_ACRONYM = re.compile(r"(?:[a-z]\.)+[a-z]")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_LINES = re.compile(r"[^\n]+")
# The longest token worth looking at before a full stop: abbreviations and dotted acronyms are
# short, and a window keeps each look-back constant-time (a search from the start of the text
# made splitting quadratic in the document's length).
_LOOK_BACK = 64


def _is_abbreviation(text: str, dot_pos: int) -> bool:
    if text[dot_pos] != ".":
        return False
    m = _WORD_BEFORE.search(text, max(0, dot_pos - _LOOK_BACK), dot_pos)
    if not m:
        return False
    word = m.group(1).lower()
    last = word.rsplit("-", 1)[-1]  # "U.S.-ROK" style compounds
    if last in _ABBREVIATIONS or last.rstrip(".") in _ABBREVIATIONS:
        return True
    # Initials ("J. Smith") and dotted acronyms ("U.S." handled above, "R.O.K.").
    return len(last) == 1 or bool(_DOTTED_ACRONYM.fullmatch(last))


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end], whitespace-trimmed, never empty.

    Line breaks always end a sentence: in captured pages they separate list items,
    captions and headings that carry no final punctuation.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _LINES.finditer(text, start, end):
        line_start, line_end = line.start(), line.end()
        cursor = line_start
        for m in _CANDIDATE.finditer(text, line_start, line_end):
            stop = m.end()
            if _is_abbreviation(text, m.start()) and not _CJK_END.match(text, m.start()):
                continue
            # A lower-case continuation means the period was not a sentence end ("approx. five").
            nxt = _NEXT_CHAR.match(text, stop, line_end)
            if nxt and nxt.group(1).islower():
                continue
            spans.append((cursor, stop))
            cursor = stop
        spans.append((cursor, line_end))
    return [trim_span(text, a, b) for a, b in spans if text[a:b].strip()]


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """Offsets of text[a:b] without its surrounding whitespace."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b

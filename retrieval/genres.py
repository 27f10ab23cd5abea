"""Which kind of document or passage a question points at ("the commentary", "the photo").

Readers name sources by their kind more often than by their title. When a question does,
passages from documents of that kind are preferred (a soft boost, never a filter: the words
are often used loosely).
"""

from __future__ import annotations

import re

# kind → (words in a question that refer to it, cues in a document's title/publisher/label)
GENRES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "analysis": (
        ("commentary", "article", "piece", "essay", "op-ed", "author", "analysis", "writer", "column"),
        ("commentary", "endowment", "institute", "foundation", "council", "center for", "think tank", "analysis"),
    ),
    "statement": (
        ("statement", "joint statement", "declaration", "communique", "communiqué", "readout", "fact sheet",
         "white house", "press release"),
        ("statement", "declaration", "white house", "fact sheet", "readout", "briefing"),
    ),
    "report": (
        ("report", "crs", "in focus", "congressional research", "brief"),
        ("congressional research service", "in focus", "report"),
    ),
}


def referenced_genres(question: str) -> set[str]:
    text = question.lower()
    return {g for g, (words, _) in GENRES.items() if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)}


def document_genre(*descriptions: str) -> str:
    """From a document's title, publisher and any label its page carried."""
    text = " ".join(descriptions).lower()
    for genre, (_, cues) in GENRES.items():
        if any(cue in text for cue in cues):
            return genre
    return ""


# Passage kinds a question can point at: "the article's photo", "the disclaimer".
PASSAGE_KINDS: dict[str, tuple[str, ...]] = {
    "caption": ("photo", "photograph", "picture", "image", "caption", "pictured", "shown"),
    "disclaimer": ("disclaimer", "institutional position", "institutional positions"),
}


def referenced_kinds(question: str) -> set[str]:
    text = question.lower()
    return {k for k, words in PASSAGE_KINDS.items() if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)}

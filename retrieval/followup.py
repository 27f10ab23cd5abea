"""Resolving elliptical follow-ups ("and his counterpart?") against earlier questions.

Without a language model the rewrite is a retrieval query, not prose: the previous question
is prepended when the new one cannot stand alone, which is what dense and keyword search need.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .keyword import tokenize

_CONTINUATION = re.compile(r"^\s*(and|also|plus|but|so|or|what about|how about|then|same for)\b", re.I)
_REFERRING = re.compile(
    r"\b(he|she|him|his|her|hers|they|them|their|it|its|this|that|these|those|there|"
    r"the other|counterpart|former|latter|same|one|ones)\b",
    re.I,
)
MAX_HISTORY = 6


def standalone_query(question: str, history: Sequence[str]) -> str:
    previous = [h for h in history if h and h.strip()][-MAX_HISTORY:]
    if not previous or not needs_context(question):
        return question
    return f"{previous[-1].strip()} {question.strip()}"


def needs_context(question: str) -> bool:
    content = tokenize(question)
    if _CONTINUATION.match(question):
        return True
    if len(content) <= 2 and len(question.split()) <= 4:
        return True
    return bool(_REFERRING.search(question)) and len(content) <= 4
